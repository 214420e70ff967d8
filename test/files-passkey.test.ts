// A file link that requires a passkey, over HTTP against the real built server: created through the file upload
// (the finish takes the same passkey option as a text create, src/http/link-options.ts), refused without the
// ceremony and without the credential at the streamed consume (the link stays fresh each time), then opened with the
// software authenticator, verified to the byte. Needs `npm run build` first (npm test does it).
import { createHash, randomBytes } from "node:crypto";
import type { Challenge } from "altcha-lib";
import type { PublicKeyCredentialCreationOptionsJSON } from "@simplewebauthn/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFileLink } from "../src/client/create-file-link.js";
import { createDeviceKey } from "../src/client/device-key.js";
import { PasskeyRequiredError } from "../src/client/errors.js";
import { getStatus } from "../src/client/manage-link.js";
import { openLinkStream } from "../src/client/open-link.js";
import { solvePow } from "./helpers/app.js";
import { recordSecrets } from "./helpers/secrets.js";
import { startServer, type RunningServer } from "./helpers/server.js";
import { SoftAuthenticator } from "./helpers/soft-authenticator.js";

let server: RunningServer;
beforeAll(async () => {
  // Passkeys need a domain name as the relying party: "localhost", not an address.
  server = await startServer({ name: "files-passkey", publicHost: "localhost" });
});
afterAll(async () => {
  await server?.stop();
});

const json = (body: unknown): RequestInit => ({ method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

describe("a file link that requires a passkey", () => {
  it("is refused without the ceremony or its credential, leaving the link fresh, and opens with the soft authenticator", async () => {
    const bytes = new Uint8Array(randomBytes(3 * 1024 * 1024 + 17));
    const created = await createFileLink({
      server: server.url,
      source: new Blob([bytes]).stream(),
      name: "passkey-report.bin",
      size: bytes.length,
      passkey: "required",
    });
    const [, id, key] = /\/l\/([^#]+)#(.+)$/.exec(created.url) ?? [];
    recordSecrets(created.url, created.manageUrl, id, key, created.manageUrl.split("#")[1]);
    const status = await getStatus(created.manageUrl);
    expect(status.state).toBe("fresh");
    const state = async () => (await getStatus(created.manageUrl)).state;

    // The link says what it asks for; the client refuses before anything is spent when it cannot run a ceremony.
    const info = (await (await fetch(`${server.url}/api/v1/links/${id}`)).json()) as Record<string, unknown>;
    expect(info).toMatchObject({ content: "file", requires: { passkey: { mode: "required" } } });
    await expect(openLinkStream(created.url)).rejects.toBeInstanceOf(PasskeyRequiredError);
    expect(await state()).toBe("fresh");

    // By hand: a session without the ceremony is refused at the session step.
    const api = `${server.url}/api/v1/links/${id}`;
    const fresh = async () => {
      const { friction: _friction, ...challenge } = (await (await fetch(`${api}/challenge`)).json()) as Challenge & { friction: string };
      return challenge;
    };
    const device = await createDeviceKey();
    let challenge = await fresh();
    const refused = await fetch(`${api}/session`, json({ pow: await solvePow(challenge), device_key: device.publicKey }));
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: string }).error).toBe("PASSKEY_REQUIRED");
    expect(await state()).toBe("fresh");

    // With the ceremony, a session; but its streamed consume without the credential header is refused.
    const auth = new SoftAuthenticator({ origin: server.url });
    challenge = await fresh();
    const ceremony = await fetch(`${api}/passkey`, json({ challenge, device_key: device.publicKey }));
    expect(ceremony.status).toBe(200);
    const { options } = (await ceremony.json()) as { ceremony: "create"; options: PublicKeyCredentialCreationOptionsJSON };
    const response = auth.create(options);
    const minted = await fetch(`${api}/session`, json({ pow: await solvePow(challenge), device_key: device.publicKey, passkey: response }));
    expect(minted.status).toBe(201);
    const { session } = (await minted.json()) as { session: string };
    recordSecrets(session);
    const headers = {
      "content-type": "application/json",
      authorization: `Session ${session}`,
      "oncelink-device-key": device.publicKey,
      "oncelink-device-signature": await device.signSession(session),
    };
    const noCredential = await fetch(`${api}/consume`, { method: "POST", headers, body: "{}" });
    expect(noCredential.status).toBe(401);
    expect(((await noCredential.json()) as { error: string }).error).toBe("SESSION_INVALID");
    expect(await state()).toBe("fresh");

    // The whole open through the client, with the soft authenticator as the page's passkey: the exact file.
    const opened = await openLinkStream(created.url, {
      passkey: async (request) => (request.ceremony === "create" ? auth.create(request.options as unknown as PublicKeyCredentialCreationOptionsJSON) : auth.get(request.options as never)),
    });
    expect(opened.kind).toBe("file");
    if (opened.kind !== "file") return;
    expect(opened.name).toBe("passkey-report.bin");
    const hash = createHash("sha256");
    let size = 0;
    const reader = opened.stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      hash.update(value);
      size += value.length;
    }
    const summary = await opened.done;
    expect(size).toBe(bytes.length);
    expect(summary.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
    expect(hash.digest("hex")).toBe(summary.sha256);
    expect(summary.sha256).toBe(created.file.sha256);
    expect(await state()).toBe("consumed");
  });
});
