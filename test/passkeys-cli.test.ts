// The CLI and passkey links: `create --passkey / --passkey-handle / --passphrase-fallback`, `open` refusing a passkey
// link with a clear reason (and opening it with the passphrase where the link allows that), and the operator's
// `oncelink enrol`. The built CLI as a child process against the real built server (npm test builds both).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PublicKeyCredentialCreationOptionsJSON } from "@simplewebauthn/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli as runBuiltCli } from "./helpers/cli.js";
import { recordSecrets } from "./helpers/secrets.js";
import { startServer, type RunningServer } from "./helpers/server.js";
import { SoftAuthenticator } from "./helpers/soft-authenticator.js";


let server: RunningServer;
let workDir: string;
beforeAll(async () => {
  server = await startServer({ name: "passkeys-cli", publicHost: "localhost" });
  workDir = mkdtempSync(join(tmpdir(), "oncelink-passkeys-cli-"));
});
afterAll(async () => {
  await server?.stop();
});

/** The built CLI, with the server's environment (the operator commands read its DATA_DIR); stdout as text. */
async function runCli(args: string[], input = ""): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = { ONCELINK_SERVER: server.url, DATA_DIR: server.dataDir, PUBLIC_URL: server.url, LOG_LEVEL: "silent" };
  const r = await runBuiltCli(args, { input, env });
  return { code: r.code, stdout: r.stdout.toString("utf8"), stderr: r.stderr };
}

async function create(secret: string, args: string[]): Promise<{ url: string; manageUrl: string }> {
  const r = await runCli(["create", "--json", ...args], secret);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  const { url, manage_url: manageUrl } = JSON.parse(r.stdout) as { url: string; manage_url: string };
  recordSecrets(secret, url, manageUrl, url.split("#")[1], manageUrl.split("#")[1], /\/l\/([^#]+)/.exec(url)?.[1]);
  return { url, manageUrl };
}

async function stateOf(manageUrl: string): Promise<string> {
  const r = await runCli(["status", manageUrl]);
  return /fresh|consumed|expired|revoked/.exec(r.stdout)?.[0] ?? r.stdout;
}

describe("oncelink and passkey links", () => {
  it("refuses to open a passkey link, saying why, and leaves it unopened", async () => {
    const link = await create("cli passkey secret", ["--passkey"]);
    const r = await runCli(["open", link.url]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/passkey.*web browser.*not opened/i);
    expect(await stateOf(link.manageUrl)).toBe("fresh");
  });

  it("opens a passkey link with its passphrase when the link allows the fallback", async () => {
    const passFile = join(workDir, "pass.txt");
    writeFileSync(passFile, "cli fallback words\n");
    recordSecrets("cli fallback words");
    const link = await create("cli fallback secret", ["--passkey", "--passphrase-file", passFile, "--passphrase-fallback"]);
    const without = await runCli(["open", link.url]);
    expect(without.code).toBe(1);
    expect(without.stderr).toContain("--passphrase-file");
    const opened = await runCli(["open", link.url, "--passphrase-file", passFile]);
    expect(opened.stderr).toBe("");
    expect(opened.code).toBe(0);
    expect(opened.stdout).toBe("cli fallback secret");
  });

  it("meets Ultra Secure's passkey with --passkey, and refuses --passphrase-fallback as weaker than the template", async () => {
    const link = await create("cli ultra secret", ["--template", "ultra-secure", "--allow-country", "DE", "--passkey"]);
    const status = await runCli(["status", "--json", link.manageUrl]);
    expect(JSON.parse(status.stdout)).toMatchObject({ policy: { template: "ultra-secure", passkey: true, allow_country: ["DE"] } });
    // The CLI cannot run the ceremony: it stops before spending anything.
    const r = await runCli(["open", link.url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/passkey.*web browser/i);
    expect(await stateOf(link.manageUrl)).toBe("fresh");

    const passFile = join(workDir, "ultra-pass.txt");
    writeFileSync(passFile, "cli ultra words\n");
    recordSecrets("cli ultra words");
    const weaker = await runCli(
      ["create", "--template", "ultra-secure", "--allow-country", "DE", "--passkey", "--passphrase-file", passFile, "--passphrase-fallback"],
      "x",
    );
    expect(weaker.code).toBe(1);
    expect(weaker.stdout).toBe("");
    expect(weaker.stderr).toContain("TEMPLATE_CONFLICT");
  });

  it("checks the passkey flags before sending anything", async () => {
    for (const args of [["--passkey", "--passkey-handle", "alice"], ["--passkey-handle", "a b"], ["--passkey", "--passphrase-fallback"]]) {
      const r = await runCli(["create", ...args], "x");
      expect(r.code, args.join(" ")).toBe(1);
      expect(r.stdout).toBe("");
    }
  });

  it("lets the operator issue, refuse, replace and remove enrolment links; links name only enrolled handles", async () => {
    const unknown = await runCli(["create", "--passkey-handle", "Dana@Example.org"], "x");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("HANDLE_UNKNOWN");

    const issued = await runCli(["enrol", "Dana@Example.org", "--ttl", "1h"]);
    expect(issued.code, issued.stderr).toBe(0);
    const enrolUrl = issued.stdout.trim();
    expect(enrolUrl).toMatch(new RegExp(`^${server.url}/enrol/[A-Za-z0-9_-]{22}$`));
    const token = enrolUrl.split("/enrol/")[1]!;
    recordSecrets(token, /Manage token[^:]*: (\S+)/.exec(issued.stderr)?.[1]);
    const again = await runCli(["enrol", "dana@example.org"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("--replace");

    // The recipient enrols through the API (a browser would, on /enrol/TOKEN).
    const options = (await (await fetch(`${server.url}/api/v1/enrolments/${token}/options`, { method: "POST" })).json()) as {
      options: PublicKeyCredentialCreationOptionsJSON;
    };
    const response = new SoftAuthenticator({ origin: server.url }).create(options.options);
    const done = await fetch(`${server.url}/api/v1/enrolments/${token}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ response }),
    });
    expect(done.status).toBe(201);
    const link = await create("for dana", ["--passkey-handle", "DANA@example.org"]);
    expect(await stateOf(link.manageUrl)).toBe("fresh");

    const replaced = await runCli(["enrol", "dana@example.org", "--replace"]);
    expect(replaced.code).toBe(0);
    recordSecrets(replaced.stdout.trim().split("/enrol/")[1], /Manage token[^:]*: (\S+)/.exec(replaced.stderr)?.[1]);
    const removed = await runCli(["enrol", "--remove", "dana@example.org"]);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain("Removed");
    const gone = await runCli(["create", "--passkey-handle", "dana@example.org"], "x");
    expect(gone.stderr).toContain("HANDLE_UNKNOWN");
  });
});
