import { createChallenge, verifySolution } from "altcha-lib";
import { deriveKey as deriveKeyNode } from "altcha-lib/algorithms/sha";
import { describe, expect, it } from "vitest";
import { fromBase64Url, toBase64Url } from "../core/base64url.js";
import { deviceProofMessage } from "../core/device-proof.js";
import { deviceBinding, parseDevicePublicKey, verifyDeviceProof } from "../crypto/device-key.js";
import { decryptEnvelope, encryptText, generateLinkKey } from "../crypto/client-layer.js";
import { encryptFileBytes } from "../crypto/file-stream.js";
import { createFileLink } from "./create-file-link.js";
import { createLink } from "./create-link.js";
import {
  ConfirmationDeclinedError,
  ContentNotReceivedError,
  DecryptionError,
  LinkKeyMissingError,
  OncelinkApiError,
  PassphraseRequiredError,
  UnavailableError,
  UnsupportedRequirementError,
  PasskeyRequiredError,
} from "./errors.js";
import { getStatus, revokeLink } from "./manage-link.js";
import { openLink, type OpenStage } from "./open-link.js";

// An in-memory stand-in for the server, speaking docs/protocol.md, so these tests pin what the client sends
// (and never sends) independently of the real server. test/cli.test.ts covers the real one.

const SERVER = "https://s.example";
const ID = "AAAAAAAAAAAAAAAAAAAAAA";
const MANAGE_TOKEN = "Zz0-_aBcDeFgHiJkLmNoPQ";
const SESSION = "SeSsIoNtOkEnAAAAAAAAAA";
const HMAC_SECRET = "test-secret";

interface Recorded {
  method: string;
  path: string;
  search: string;
  headers: Record<string, string>;
  body: string;
}

interface FakeLink {
  encryption: "client" | "server";
  release: () => Response;
  requires?: Record<string, unknown>;
  sessionError?: { status: number; code: string };
  friction?: "none" | "raised" | "confirm";
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

function fakeServer(link: FakeLink | null) {
  const requests: Recorded[] = [];
  // The session's device binding, as the real server keeps it inside the signed token.
  let binding: Uint8Array | null = null;
  const fetchFn: typeof fetch = async (input, init) => {
    const url = new URL(String(input));
    const headers = Object.fromEntries(new Headers(init?.headers).entries());
    const body = typeof init?.body === "string" ? init.body : "";
    requests.push({ method: init?.method ?? "GET", path: url.pathname, search: url.search, headers, body });
    const base = `/api/v1/links/${ID}`;
    if (link === null) return json(404, { error: "UNAVAILABLE", message: "This link is no longer available." });
    const route = `${init?.method ?? "GET"} ${url.pathname}`;
    if (route === `GET ${base}`) {
      return json(200, { state: "fresh", expires_at: "2030-01-01T00:00:00.000Z", encryption: link.encryption, requires: link.requires ?? { pow: true } });
    }
    if (route === `GET ${base}/challenge`) {
      const challenge = await createChallenge({
        algorithm: "SHA-256",
        cost: 1,
        counter: 300,
        deriveKey: deriveKeyNode,
        hmacSignatureSecret: HMAC_SECRET,
        expiresAt: Math.floor(Date.now() / 1000) + 60,
      });
      return json(200, { ...challenge, friction: link.friction ?? "none" });
    }
    if (route === `POST ${base}/session`) {
      if (link.sessionError) return json(link.sessionError.status, { error: link.sessionError.code, message: "nope" });
      const { pow, device_key: deviceKey, confirm } = JSON.parse(body) as { pow: string; device_key?: string; confirm?: boolean };
      if (link.friction === "confirm" && confirm !== true) return json(428, { error: "CONFIRMATION_REQUIRED", message: "confirm" });
      const parsedKey = deviceKey === undefined ? null : parseDevicePublicKey(deviceKey);
      if (parsedKey === null) return json(400, { error: "DEVICE_KEY_INVALID", message: "no device key" });
      binding = deviceBinding(parsedKey.raw);
      const payload = JSON.parse(Buffer.from(pow, "base64").toString("utf8"));
      const result = await verifySolution({ ...payload, deriveKey: deriveKeyNode, hmacSignatureSecret: HMAC_SECRET });
      if (!result.verified) return json(400, { error: "POW_INVALID", message: "bad pow" });
      return json(201, { session: SESSION, expires_in: 120 });
    }
    if (route === `POST ${base}/consume`) {
      if (headers.authorization !== `Session ${SESSION}`) return json(401, { error: "SESSION_INVALID", message: "no" });
      const signed = verifyDeviceProof(
        binding!,
        headers["oncelink-device-key"],
        headers["oncelink-device-signature"],
        deviceProofMessage(SESSION),
      );
      if (!signed) return json(401, { error: "SESSION_INVALID", message: "not this device" });
      return link.release();
    }
    return json(404, { error: "NOT_FOUND", message: "Nothing is here." });
  };
  return { fetchFn, requests };
}

function releaseEnvelope(envelope: Uint8Array): () => Response {
  return () => json(200, { ciphertext: toBase64Url(envelope) });
}

/** True when no request (path, header or body) carried `secret`. */
function neverSent(requests: Recorded[], secret: string): boolean {
  return requests.every((r) => !r.path.includes(secret) && !r.body.includes(secret) && !Object.values(r.headers).some((v) => v.includes(secret)));
}

describe("openLink", () => {
  it("runs check, challenge, session and consume in order, then decrypts locally", async () => {
    const key = generateLinkKey();
    const { fetchFn, requests } = fakeServer({ encryption: "client", release: releaseEnvelope(await encryptText("hunter2 ✓", key)) });
    const stages: OpenStage[] = [];
    const content = await openLink(`${SERVER}/l/${ID}#${key}`, { fetch: fetchFn, deriveKey: deriveKeyNode, onProgress: (s) => stages.push(s) });
    expect(content).toEqual({ kind: "text", text: "hunter2 ✓" });
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /api/v1/links/${ID}`,
      `GET /api/v1/links/${ID}/challenge`,
      `POST /api/v1/links/${ID}/session`,
      `POST /api/v1/links/${ID}/consume`,
    ]);
    expect(stages).toEqual(["checking", "solving", "opening", "decrypting"]);
    expect(neverSent(requests, key)).toBe(true);
  });

  it("binds the session to a key made for this open and signs the consume with it", async () => {
    const key = generateLinkKey();
    const { fetchFn, requests } = fakeServer({ encryption: "client", release: releaseEnvelope(await encryptText("bound", key)) });
    await expect(openLink(`${SERVER}/l/${ID}#${key}`, { fetch: fetchFn, deriveKey: deriveKeyNode })).resolves.toEqual({ kind: "text", text: "bound" });
    const session = JSON.parse(requests[2]!.body) as Record<string, unknown>;
    expect(Object.keys(session).sort()).toEqual(["device_key", "pow"]);
    expect(requests[3]!.headers["oncelink-device-key"]).toBe(session.device_key);
    expect(requests[3]!.headers["oncelink-device-signature"]).toMatch(/^[A-Za-z0-9_-]{86}$/);
    // Every open makes its own key pair.
    const again = fakeServer({ encryption: "client", release: releaseEnvelope(await encryptText("bound", key)) });
    await openLink(`${SERVER}/l/${ID}#${key}`, { fetch: again.fetchFn, deriveKey: deriveKeyNode });
    expect((JSON.parse(again.requests[2]!.body) as Record<string, unknown>).device_key).not.toBe(session.device_key);
  });

  it("reports the click to the challenge request", async () => {
    const key = generateLinkKey();
    const { fetchFn, requests } = fakeServer({ encryption: "client", release: releaseEnvelope(await encryptText("x", key)) });
    await openLink(`${SERVER}/l/${ID}#${key}`, { fetch: fetchFn, deriveKey: deriveKeyNode, gesture: { webdriver: false, gestureMs: 1234.6 } });
    expect(requests[1]!.search).toBe("?webdriver=false&gesture_ms=1235");
    expect(requests[0]!.search).toBe("");
  });

  it("asks for the second confirmation before solving, and spends nothing when it is declined", async () => {
    const key = generateLinkKey();
    const stages: OpenStage[] = [];
    const { fetchFn, requests } = fakeServer({ encryption: "client", friction: "confirm", release: releaseEnvelope(await encryptText("x", key)) });
    const url = `${SERVER}/l/${ID}#${key}`;
    let asked = 0;
    const declined = openLink(url, { fetch: fetchFn, deriveKey: deriveKeyNode, onProgress: (s) => stages.push(s), confirm: async () => (asked++, false) });
    await expect(declined).rejects.toBeInstanceOf(ConfirmationDeclinedError);
    await expect(openLink(url, { fetch: fetchFn, deriveKey: deriveKeyNode })).rejects.toBeInstanceOf(ConfirmationDeclinedError);
    expect(asked).toBe(1);
    expect(stages).toEqual(["checking"]);
    expect(requests.some((r) => r.method === "POST")).toBe(false);

    const confirmed = await openLink(url, { fetch: fetchFn, deriveKey: deriveKeyNode, confirm: async () => true });
    expect(confirmed).toEqual({ kind: "text", text: "x" });
    expect(JSON.parse(requests.find((r) => r.path.endsWith("/session"))!.body)).toMatchObject({ confirm: true });
  });

  it("solves with the default WebCrypto deriveKey too (what browsers use)", async () => {
    const key = generateLinkKey();
    const { fetchFn } = fakeServer({ encryption: "client", release: releaseEnvelope(await encryptText("x", key)) });
    await expect(openLink(`${SERVER}/l/${ID}#${key}`, { fetch: fetchFn })).resolves.toEqual({ kind: "text", text: "x" });
  });

  it("returns exact bytes with the sealed name and type from a file link's streamed (octet-stream) answer", async () => {
    const key = generateLinkKey();
    const bytes = crypto.getRandomValues(new Uint8Array(4096));
    const envelope = await encryptFileBytes(bytes, key, { name: "id_ed25519", type: "text/plain" });
    const release = () => new Response(new Uint8Array(envelope), { status: 200, headers: { "content-type": "application/octet-stream" } });
    const { fetchFn } = fakeServer({ encryption: "client", release });
    const content = await openLink(`${SERVER}/l/${ID}#${key}`, { fetch: fetchFn, deriveKey: deriveKeyNode });
    expect(content.kind).toBe("bytes");
    if (content.kind !== "bytes") return;
    expect(Buffer.from(content.bytes).equals(Buffer.from(bytes))).toBe(true);
    expect(content.name).toBe("id_ed25519");
    expect(content.type).toBe("text/plain");
  });

  it("returns the text of a server-encrypted link", async () => {
    const { fetchFn } = fakeServer({ encryption: "server", release: () => json(200, { content: "plain" }) });
    await expect(openLink(`${SERVER}/l/${ID}`, { fetch: fetchFn, deriveKey: deriveKeyNode })).resolves.toEqual({ kind: "text", text: "plain" });
  });

  it("refuses a client-encrypted link without its key after the check alone, spending nothing", async () => {
    const { fetchFn, requests } = fakeServer({ encryption: "client", release: () => json(500, {}) });
    await expect(openLink(`${SERVER}/l/${ID}`, { fetch: fetchFn })).rejects.toBeInstanceOf(LinkKeyMissingError);
    expect(requests.map((r) => r.path)).toEqual([`/api/v1/links/${ID}`]);
  });

  it("refuses a link that requires a proof this client cannot give, before the challenge", async () => {
    const { fetchFn, requests } = fakeServer({ encryption: "client", requires: { pow: true, attestation: true }, release: () => json(500, {}) });
    const error = await openLink(`${SERVER}/l/${ID}#${generateLinkKey()}`, { fetch: fetchFn }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedRequirementError);
    expect((error as Error).message).toContain("attestation");
    expect(requests).toHaveLength(1);
  });

  it("stops before the challenge on a passkey link when it cannot run a ceremony (unless the passphrase may replace it)", async () => {
    const requires = { pow: true, passkey: { mode: "recipient", passphrase_fallback: false } };
    const { fetchFn, requests } = fakeServer({ encryption: "client", requires, release: () => json(500, {}) });
    const error = await openLink(`${SERVER}/l/${ID}#${generateLinkKey()}`, { fetch: fetchFn }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PasskeyRequiredError);
    expect((error as PasskeyRequiredError).passphraseFallback).toBe(false);
    expect(requests).toHaveLength(1);
    const withFallback = fakeServer({
      encryption: "client",
      requires: { pow: true, passkey: { mode: "required", passphrase_fallback: true }, passphrase: { salt: "AAAAAAAAAAAAAAAAAAAAAA", params: {} } },
      release: () => json(500, {}),
    });
    const noPassphrase = await openLink(`${SERVER}/l/${ID}#${generateLinkKey()}`, { fetch: withFallback.fetchFn }).catch((e: unknown) => e);
    expect(noPassphrase).toBeInstanceOf(PasskeyRequiredError);
    expect((noPassphrase as PasskeyRequiredError).passphraseFallback).toBe(true);
    expect(withFallback.requests).toHaveLength(1);
  });

  it("stops before the challenge when a passphrase is required and none was given", async () => {
    const requires = { pow: true, passphrase: { salt: "AAAAAAAAAAAAAAAAAAAAAA", params: {} } };
    const { fetchFn, requests } = fakeServer({ encryption: "client", requires, release: () => json(500, {}) });
    const error = await openLink(`${SERVER}/l/${ID}#${generateLinkKey()}`, { fetch: fetchFn }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PassphraseRequiredError);
    expect(requests).toHaveLength(1);
  });

  it("maps 404 UNAVAILABLE to UnavailableError", async () => {
    const { fetchFn } = fakeServer(null);
    const error = await openLink(`${SERVER}/l/${ID}#${generateLinkKey()}`, { fetch: fetchFn }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error).toMatchObject({ status: 404, code: "UNAVAILABLE" });
  });

  it("maps other refusals to OncelinkApiError with the server's code", async () => {
    const key = generateLinkKey();
    const { fetchFn, requests } = fakeServer({ encryption: "client", sessionError: { status: 409, code: "POW_REPLAYED" }, release: () => json(500, {}) });
    const error = await openLink(`${SERVER}/l/${ID}#${key}`, { fetch: fetchFn, deriveKey: deriveKeyNode }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OncelinkApiError);
    expect(error).not.toBeInstanceOf(UnavailableError);
    expect(error).toMatchObject({ status: 409, code: "POW_REPLAYED" });
    expect(requests.some((r) => r.path.endsWith("/consume"))).toBe(false);
    expect((error as Error).message).not.toContain(key);
  });

  it("tells a consume refused by a node that is shutting down (nothing spent) from one whose answer was lost", async () => {
    const key = generateLinkKey();
    const shutting = fakeServer({
      encryption: "client",
      release: () => json(503, { error: "SHUTTING_DOWN", message: "This server is shutting down. Try again in a moment." }),
    });
    const refused = await openLink(`${SERVER}/l/${ID}#${key}`, { fetch: shutting.fetchFn, deriveKey: deriveKeyNode }).catch((e: unknown) => e);
    // The node answers it before any route runs: the link is as it was, and the person may simply try again.
    expect(refused).toBeInstanceOf(OncelinkApiError);
    expect(refused).not.toBeInstanceOf(ContentNotReceivedError);
    expect(refused).toMatchObject({ status: 503, code: "SHUTTING_DOWN" });
    // A 503 that is not the node's own (a proxy's) proves nothing.
    const proxy = fakeServer({ encryption: "client", release: () => new Response("<html>Service Unavailable</html>", { status: 503 }) });
    const lost = await openLink(`${SERVER}/l/${ID}#${key}`, { fetch: proxy.fetchFn, deriveKey: deriveKeyNode }).catch((e: unknown) => e);
    expect(lost).toBeInstanceOf(ContentNotReceivedError);
  });

  it("throws DecryptionError when the released envelope does not open with the key", async () => {
    const { fetchFn } = fakeServer({ encryption: "client", release: releaseEnvelope(await encryptText("s", generateLinkKey())) });
    const key = generateLinkKey();
    const error = await openLink(`${SERVER}/l/${ID}#${key}`, { fetch: fetchFn, deriveKey: deriveKeyNode }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DecryptionError);
    expect((error as Error).message).not.toContain(key);
  });

  it("reports an unreachable server by origin only", async () => {
    const failing: typeof fetch = async () => {
      throw new TypeError("fetch failed", { cause: Object.assign(new Error("connect"), { code: "ECONNREFUSED" }) });
    };
    const error = await openLink(`${SERVER}/l/${ID}#${generateLinkKey()}`, { fetch: failing }).catch((e: unknown) => e);
    expect((error as Error).message).toBe("Could not reach the oncelink server at https://s.example (ECONNREFUSED).");
  });
});

describe("createLink", () => {
  it("posts only the ciphertext and ttl, and appends the key to the returned url", async () => {
    let sent: { body: string; url: string } | null = null;
    const fetchFn: typeof fetch = async (input, init) => {
      sent = { url: String(input), body: String(init?.body) };
      return json(201, {
        id: ID,
        url: `${SERVER}/l/${ID}`,
        manage_url: `${SERVER}/m/${ID}#${MANAGE_TOKEN}`,
        expires_at: "2030-01-01T00:00:00.000Z",
      });
    };
    const link = await createLink({ server: `${SERVER}/`, bytes: new Uint8Array([0, 255, 10]), name: "a.bin", ttl: 600, fetch: fetchFn });
    const key = link.url.split("#")[1]!;
    expect(link).toEqual({ id: ID, url: `${SERVER}/l/${ID}#${key}`, manageUrl: `${SERVER}/m/${ID}#${MANAGE_TOKEN}`, expiresAt: "2030-01-01T00:00:00.000Z" });
    expect(sent!.url).toBe(`${SERVER}/api/v1/links`);
    const body = JSON.parse(sent!.body) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(["ciphertext", "ttl"]);
    expect(body.ttl).toBe(600);
    expect(sent!.body).not.toContain(key);
    const opened = await decryptEnvelope(fromBase64Url(body.ciphertext as string)!, key);
    expect(opened).toEqual({ kind: "bytes", bytes: new Uint8Array([0, 255, 10]), name: "a.bin" });
  });

  it("refuses an empty secret and a missing or doubled input without calling the server", async () => {
    const fetchFn: typeof fetch = async () => {
      throw new Error("must not be called");
    };
    await expect(createLink({ server: SERVER, text: "", fetch: fetchFn })).rejects.toThrow("empty");
    await expect(createLink({ server: SERVER, bytes: new Uint8Array(0), fetch: fetchFn })).rejects.toThrow("empty");
    await expect(createLink({ server: SERVER, fetch: fetchFn })).rejects.toThrow("exactly one");
    await expect(createLink({ server: SERVER, text: "a", bytes: new Uint8Array(1), fetch: fetchFn })).rejects.toThrow("exactly one");
    await expect(createLink({ server: "localhost", text: "a", fetch: fetchFn })).rejects.toThrow("http");
  });

  it("refuses a rule list given but empty (it would restrict nothing) without calling the server", async () => {
    const fetchFn: typeof fetch = async () => {
      throw new Error("must not be called");
    };
    await expect(createLink({ server: SERVER, text: "a", allowIp: [], fetch: fetchFn })).rejects.toThrow(/allowIp was given but has no entries/);
    await expect(createLink({ server: SERVER, text: "a", allowIp: [" "], fetch: fetchFn })).rejects.toThrow(/allowIp/);
    await expect(createLink({ server: SERVER, text: "a", denyIp: [], fetch: fetchFn })).rejects.toThrow(/denyIp/);
    await expect(createLink({ server: SERVER, text: "a", allowCountry: [], fetch: fetchFn })).rejects.toThrow(/allowCountry/);
    await expect(
      createFileLink({ server: SERVER, source: new Blob(["x"]).stream(), size: 1, allowIp: [], fetch: fetchFn }),
    ).rejects.toThrow(/allowIp/);
  });
});

describe("getStatus and revokeLink", () => {
  it("send the manage token as a bearer token and map the answer", async () => {
    const requests: Array<{ method: string; path: string; auth: string | null }> = [];
    const fetchFn: typeof fetch = async (input, init) => {
      requests.push({ method: init?.method ?? "GET", path: new URL(String(input)).pathname, auth: new Headers(init?.headers).get("authorization") });
      if (init?.method === "DELETE") return new Response(null, { status: 204 });
      return json(200, {
        state: "consumed",
        created_at: "2030-01-01T00:00:00.000Z",
        expires_at: "2030-01-02T00:00:00.000Z",
        consumed_at: "2030-01-01T01:00:00.000Z",
        events: [{ kind: "chat-preview", at: "2030-01-01T00:10:00.000Z" }, { kind: 7 }, { kind: "mail-scanner", at: "2030-01-01T00:20:00.000Z" }],
        policy: {
          template: "standard",
          passphrase: true,
          passkey: true,
          passkey_mode: "recipient",
          passphrase_fallback: true,
          preview: "none",
          allow_country: ["DE", 5],
          allow_ip: ["10.0.0.0/8"],
          deny_ip: [],
        },
      });
    };
    const manageUrl = `${SERVER}/m/${ID}#${MANAGE_TOKEN}`;
    await expect(getStatus(manageUrl, { fetch: fetchFn })).resolves.toEqual({
      state: "consumed",
      createdAt: "2030-01-01T00:00:00.000Z",
      expiresAt: "2030-01-02T00:00:00.000Z",
      consumedAt: "2030-01-01T01:00:00.000Z",
      // This answer is shaped like an older server's (no ended_at): an opened link ended when it was opened.
      endedAt: "2030-01-01T01:00:00.000Z",
      events: [
        { kind: "chat-preview", at: "2030-01-01T00:10:00.000Z" },
        { kind: "mail-scanner", at: "2030-01-01T00:20:00.000Z" },
      ],
      policy: {
        template: "standard",
        passphrase: true,
        passkey: true,
        passkeyMode: "recipient",
        passphraseFallback: true,
        preview: "none",
        allowCountry: ["DE"],
        allowIp: ["10.0.0.0/8"],
        denyIp: [],
      },
    });
    await revokeLink(manageUrl, { fetch: fetchFn });
    expect(requests).toEqual([
      { method: "GET", path: `/api/v1/links/${ID}/status`, auth: `Bearer ${MANAGE_TOKEN}` },
      { method: "DELETE", path: `/api/v1/links/${ID}`, auth: `Bearer ${MANAGE_TOKEN}` },
    ]);
  });

  it("reads when a revoked link ended, and refuses an ended_at that is not a time", async () => {
    const answer = (endedAt: unknown): Response =>
      json(200, {
        state: "revoked",
        created_at: "2030-01-01T00:00:00.000Z",
        expires_at: "2030-01-02T00:00:00.000Z",
        consumed_at: null,
        ended_at: endedAt,
      });
    const manageUrl = `${SERVER}/m/${ID}#${MANAGE_TOKEN}`;
    const status = await getStatus(manageUrl, { fetch: async () => answer("2030-01-01T02:00:00.000Z") });
    expect(status).toMatchObject({ state: "revoked", consumedAt: null, endedAt: "2030-01-01T02:00:00.000Z" });
    await expect(getStatus(manageUrl, { fetch: async () => answer(12) })).rejects.toThrow();
  });

  it("maps a wrong token (404 UNAVAILABLE) to UnavailableError", async () => {
    const fetchFn: typeof fetch = async () => json(404, { error: "UNAVAILABLE", message: "This link is no longer available." });
    await expect(getStatus(`${SERVER}/m/${ID}#${MANAGE_TOKEN}`, { fetch: fetchFn })).rejects.toBeInstanceOf(UnavailableError);
    await expect(revokeLink(`${SERVER}/m/${ID}#${MANAGE_TOKEN}`, { fetch: fetchFn })).rejects.toBeInstanceOf(UnavailableError);
  });
});
