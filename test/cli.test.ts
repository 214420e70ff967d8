import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deriveKey as deriveKeyNode } from "altcha-lib/algorithms/sha";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openLink } from "../src/client/open-link.js";
import { finished, runCli as runBuiltCli, spawnCli, type CliResult } from "./helpers/cli.js";
import { recordSecrets } from "./helpers/secrets.js";
import { freePort, startServer, type RunningServer } from "./helpers/server.js";

// The `oncelink` command end to end: the built CLI as a child process against the real built server.
// Needs `npm run build` first (npm test does it).


let server: RunningServer;
let workDir: string;

beforeAll(async () => {
  server = await startServer({ name: "cli" });
  workDir = mkdtempSync(join(tmpdir(), "oncelink-cli-"));
});

afterAll(async () => {
  await server?.stop();
});

/** Runs the built CLI against the suite's server with `input` piped into stdin (or an empty stdin). */
function runCli(args: string[], input: Uint8Array | string = "", env: Record<string, string> = {}): Promise<CliResult> {
  return runBuiltCli(args, { input, env: { ONCELINK_SERVER: server.url, ...env } });
}

interface Created {
  url: string;
  manageUrl: string;
  id: string;
}

/** `oncelink create` with `--json`, registering every secret it yields for the log scan. */
async function createViaCli(input: Uint8Array | string, extraArgs: string[] = []): Promise<Created> {
  const r = await runCli(["create", "--json", ...extraArgs], input);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  const json = JSON.parse(r.stdout.toString("utf8")) as { url: string; manage_url: string; id: string; expires_at: string };
  recordLink(json.url, json.manage_url);
  return { url: json.url, manageUrl: json.manage_url, id: json.id };
}

function recordLink(url: string, manageUrl: string): void {
  const [, id, key] = /\/l\/([^#]+)#(.+)$/.exec(url) ?? [];
  const [, token] = /#(.+)$/.exec(manageUrl) ?? [];
  recordSecrets(url, manageUrl, id, key, token);
}

/** A text secret that is unique to this run, so the log scan can look for it. */
function uniqueText(prefix: string): string {
  const text = `${prefix} ${randomBytes(12).toString("hex")}`;
  recordSecrets(text);
  return text;
}

async function stateOf(manageUrl: string): Promise<string> {
  const r = await runCli(["status", "--json", manageUrl]);
  expect(r.code).toBe(0);
  return (JSON.parse(r.stdout.toString("utf8")) as { state: string }).state;
}

function expectOneLine(stderr: string): void {
  expect(stderr.endsWith("\n")).toBe(true);
  expect(stderr.trimEnd().split("\n")).toHaveLength(1);
}

describe("oncelink create | oncelink open", () => {
  it("prints only the recipient link on stdout and the manage link on stderr", async () => {
    const secret = uniqueText("plain output");
    const r = await runCli(["create", "--server", server.url], secret);
    expect(r.code).toBe(0);
    const stdout = r.stdout.toString("utf8");
    expect(stdout).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/l\/[A-Za-z0-9_-]{22}#[A-Za-z0-9_-]{22}\n$/);
    const manageUrl = /(http\S+\/m\/\S+)/.exec(r.stderr)?.[1];
    expect(manageUrl).toBeDefined();
    recordLink(stdout.trim(), manageUrl!);
    const opened = await runCli(["open", stdout.trim()]);
    expect(opened.stdout.toString("utf8")).toBe(secret);
  });

  it.each([
    ["ASCII text with a trailing newline", () => uniqueText("correct horse battery staple") + "\n"],
    ["unicode text without a newline", () => uniqueText("Grüße, 世界 🔑 ﷽ —")],
    ["text with CRLF and a NUL byte", () => uniqueText("line1\r\nline2\0end")],
  ])("round-trips %s byte for byte", async (_what, makeSecret) => {
    const secret = makeSecret();
    const link = await createViaCli(secret);
    const r = await runCli(["open", link.url]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.equals(Buffer.from(secret, "utf8"))).toBe(true);
  });

  it("round-trips 100 KiB of random binary exactly", async () => {
    const secret = randomBytes(100 * 1024);
    const link = await createViaCli(secret);
    const r = await runCli(["open", link.url]);
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBe(secret.length);
    expect(r.stdout.equals(secret)).toBe(true);
  });

  it("status shows fresh, then consumed; a second open exits 2 with a one-line reason and no output", async () => {
    const link = await createViaCli(uniqueText("status flow"));
    const fresh = await runCli(["status", link.manageUrl]);
    expect(fresh.code).toBe(0);
    expect(fresh.stdout.toString("utf8")).toMatch(/^state:\s+fresh$/m);

    expect((await runCli(["open", link.url])).code).toBe(0);

    const consumed = await runCli(["status", link.manageUrl]);
    expect(consumed.stdout.toString("utf8")).toMatch(/^state:\s+consumed$/m);
    expect(consumed.stdout.toString("utf8")).toMatch(/^opened:\s+\d{4}-\d\d-\d\dT/m);

    const second = await runCli(["open", link.url]);
    expect(second.code).toBe(2);
    expect(second.stdout.length).toBe(0);
    expectOneLine(second.stderr);
    expect(second.stderr).toContain("no longer available");
  });

  it("status --json prints the API's object", async () => {
    const link = await createViaCli(uniqueText("status json"));
    const r = await runCli(["status", "--json", link.manageUrl]);
    expect(r.code).toBe(0);
    const status = JSON.parse(r.stdout.toString("utf8")) as Record<string, unknown>;
    expect(Object.keys(status).sort()).toEqual(["consumed_at", "created_at", "ended_at", "expires_at", "policy", "state"]);
    expect(status.state).toBe("fresh");
    expect(status.consumed_at).toBeNull();
    expect(status.ended_at).toBeNull();
  });

  it("revoke makes a later open exit 2, and status says when it was revoked", async () => {
    const link = await createViaCli(uniqueText("revoke me"));
    const before = Date.now();
    const revoked = await runCli(["revoke", link.manageUrl]);
    expect(revoked.code).toBe(0);
    const after = Date.now();
    expect(await stateOf(link.manageUrl)).toBe("revoked");

    const human = (await runCli(["status", link.manageUrl])).stdout.toString("utf8");
    const at = /^revoked:\s+(\S+)$/m.exec(human)?.[1];
    expect(at).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(Date.parse(at!)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(at!)).toBeLessThanOrEqual(after);
    const json = JSON.parse((await runCli(["status", "--json", link.manageUrl])).stdout.toString("utf8")) as Record<string, unknown>;
    expect(json).toMatchObject({ state: "revoked", consumed_at: null, ended_at: at });
    const r = await runCli(["open", link.url]);
    expect(r.code).toBe(2);
    expect(r.stdout.length).toBe(0);
    expectOneLine(r.stderr);
  });

  it("a wrong manage token gets exit 2 and is not printed", async () => {
    const link = await createViaCli(uniqueText("wrong token"));
    const wrong = link.manageUrl.replace(/#.*$/, `#${randomBytes(16).toString("base64url")}`);
    const r = await runCli(["status", wrong]);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr);
    expect(r.stderr).not.toContain(wrong.split("#")[1]!);
    expect(await stateOf(link.manageUrl)).toBe("fresh");
  });

  it("--json prints one parseable object with url, manage_url, id and expires_at; --ttl sets the lifetime", async () => {
    const before = Date.now();
    const r = await runCli(["create", "--json", "--ttl", "1h"], uniqueText("json output"));
    expect(r.code).toBe(0);
    const text = r.stdout.toString("utf8");
    expect(text.trimEnd().split("\n")).toHaveLength(1);
    const json = JSON.parse(text) as Record<string, string>;
    recordLink(json.url!, json.manage_url!);
    expect(Object.keys(json).sort()).toEqual(["expires_at", "id", "links", "manage_url", "url"]);
    expect(json.url).toContain(`/l/${json.id}#`);
    expect(json.manage_url).toContain(`/m/${json.id}#`);
    const lifetime = Date.parse(json.expires_at!) - before;
    expect(lifetime).toBeGreaterThan(3590_000);
    expect(lifetime).toBeLessThan(3700_000);
  });

  it("refuses an empty stdin with one line, exit 1", async () => {
    const r = await runCli(["create"], "");
    expect(r.code).toBe(1);
    expect(r.stdout.length).toBe(0);
    expectOneLine(r.stderr);
    expect(r.stderr).toContain("empty");
  });

  it("refuses a URL with the key cut off without burning the link", async () => {
    const secret = uniqueText("cut key");
    const link = await createViaCli(secret);
    const withoutKey = link.url.replace(/#.*$/, "");

    const r = await runCli(["open", withoutKey]);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr);
    expect(r.stderr).toContain("missing its key");
    expect(r.stdout.length).toBe(0);

    const truncated = await runCli(["open", link.url.slice(0, -4)]);
    expect(truncated.code).toBe(1);
    expectOneLine(truncated.stderr);

    expect(await stateOf(link.manageUrl)).toBe("fresh");
    const full = await runCli(["open", link.url]);
    expect(full.code).toBe(0);
    expect(full.stdout.toString("utf8")).toBe(secret);
  });
});

describe("oncelink create / open --passphrase-file", () => {
  it("round-trips with the passphrase; without it or with a wrong one the link stays fresh", async () => {
    const secret = uniqueText("passphrase protected");
    const passphrase = `pass ${randomBytes(9).toString("hex")} wörter`;
    const wrong = `${passphrase}x`;
    recordSecrets(passphrase, wrong);
    const passFile = join(workDir, "pass.txt");
    const wrongFile = join(workDir, "wrong.txt");
    writeFileSync(passFile, `${passphrase}\n`, { mode: 0o600 });
    writeFileSync(wrongFile, wrong, { mode: 0o600 });
    const link = await createViaCli(secret, ["--passphrase-file", passFile]);

    const none = await runCli(["open", link.url]);
    expect(none.code).toBe(1);
    expectOneLine(none.stderr);
    expect(none.stderr).toContain("needs a passphrase");

    const bad = await runCli(["open", link.url, "--passphrase-file", wrongFile]);
    expect(bad.code).toBe(1);
    expectOneLine(bad.stderr);
    expect(bad.stderr).toContain("4 tries left");
    expect(bad.stderr).not.toContain(wrong);
    expect(await stateOf(link.manageUrl)).toBe("fresh");

    const good = await runCli(["open", link.url, "--passphrase-file", passFile]);
    expect(good.stderr).toBe("");
    expect(good.code).toBe(0);
    expect(good.stdout.toString("utf8")).toBe(secret);
    expect(await stateOf(link.manageUrl)).toBe("consumed");
  });

  it("says when a wrong passphrase was the last try, and exits 2 as for any link that is gone", async () => {
    const passFile = join(workDir, "pass-last.txt");
    const wrongFile = join(workDir, "wrong-last.txt");
    const passphrase = `pass ${randomBytes(9).toString("hex")}`;
    recordSecrets(passphrase, `${passphrase}!`);
    writeFileSync(passFile, passphrase, { mode: 0o600 });
    writeFileSync(wrongFile, `${passphrase}!`, { mode: 0o600 });
    const link = await createViaCli(uniqueText("last try"), ["--passphrase-file", passFile]);
    for (const left of [4, 3, 2, 1]) {
      const bad = await runCli(["open", link.url, "--passphrase-file", wrongFile]);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain(`${left} ${left === 1 ? "try" : "tries"} left`);
    }
    const last = await runCli(["open", link.url, "--passphrase-file", wrongFile]);
    expect(last.code).toBe(2);
    expectOneLine(last.stderr);
    expect(last.stderr).toContain("that was the last try");
    expect(await stateOf(link.manageUrl)).toBe("expired");
    const after = await runCli(["open", link.url, "--passphrase-file", passFile]);
    expect(after.code).toBe(2);
    expect(after.stderr).toContain("no longer available");
  });
});

describe("oncelink create with policies", () => {
  it("--template standard needs a passphrase; with one it applies the template, and status shows it", async () => {
    const secret = uniqueText("template standard");
    const refused = await runCli(["create", "--template", "standard"], secret);
    expect(refused.code).toBe(1);
    expectOneLine(refused.stderr);
    expect(refused.stderr).toContain("TEMPLATE_CONFLICT");
    const passFile = join(workDir, "template-pass.txt");
    const words = `template ${randomBytes(6).toString("hex")}`;
    recordSecrets(words);
    writeFileSync(passFile, words, { mode: 0o600 });
    const link = await createViaCli(secret, ["--template", "standard", "--passphrase-file", passFile]);
    const status = await runCli(["status", "--json", link.manageUrl]);
    const json = JSON.parse(status.stdout.toString("utf8")) as { created_at: string; expires_at: string; policy: Record<string, unknown> };
    expect(json.policy).toMatchObject({ template: "standard", passphrase: true });
    expect(Date.parse(json.expires_at) - Date.parse(json.created_at)).toBe(72 * 3_600_000);
  });

  it("--recipients 2 prints two independent links: opening one leaves the other fresh", async () => {
    const secret = uniqueText("two devices");
    const r = await runCli(["create", "--recipients", "2", "--template", "lightweight"], secret);
    expect(r.code).toBe(0);
    const urls = r.stdout.toString("utf8").trimEnd().split("\n");
    const manage = [...r.stderr.matchAll(/^ {2}\d\. (\S+)$/gm)].map((m) => m[1]!);
    expect(urls).toHaveLength(2);
    expect(manage).toHaveLength(2);
    urls.forEach((url, i) => recordLink(url, manage[i]!));
    expect(new Set(urls).size).toBe(2);
    const first = await runCli(["open", urls[0]!]);
    expect(first.stdout.toString("utf8")).toBe(secret);
    expect(await stateOf(manage[0]!)).toBe("consumed");
    expect(await stateOf(manage[1]!)).toBe("fresh");
    expect((await runCli(["open", urls[1]!])).stdout.toString("utf8")).toBe(secret);
  });

  it("--allow-ip, --deny-ip and --allow-country are enforced at the open, and a refusal leaves the link fresh", async () => {
    const allowed = await createViaCli(uniqueText("loopback only"), ["--allow-ip", "127.0.0.0/8,::1"]);
    expect((await runCli(["open", allowed.url])).code).toBe(0);
    const denied = await createViaCli(uniqueText("no loopback"), ["--deny-ip", "127.0.0.0/8", "--deny-ip", "::1"]);
    const refused = await runCli(["open", denied.url]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("POLICY_DENIED");
    // The CLI's loopback address has no country, so a country rule refuses it.
    const country = await createViaCli(uniqueText("germany only"), ["--allow-country", "de", "--allow-country", "AT"]);
    const elsewhere = await runCli(["open", country.url]);
    expect(elsewhere.code).toBe(1);
    expectOneLine(elsewhere.stderr);
    expect(elsewhere.stderr).toContain("COUNTRY_DENIED");
    expect(await stateOf(country.manageUrl)).toBe("fresh");
    const status = JSON.parse((await runCli(["status", "--json", country.manageUrl])).stdout.toString("utf8")) as { policy: { allow_country: string[] } };
    expect(status.policy.allow_country).toEqual(["DE", "AT"]);
  });

  it("templates lists the server's templates with plain summaries", async () => {
    const r = await runCli(["templates"]);
    expect(r.code).toBe(0);
    const text = r.stdout.toString("utf8");
    expect(text).toMatch(/^lightweight\s+Lightweight: No passphrase/m);
    expect(text).toMatch(/^standard\s+Standard: The recipient must type a passphrase/m);
    expect(text).toMatch(/^ultra-secure\s+Ultra Secure: The recipient needs a passkey/m);
  });
});

describe("oncelink open of a server-encrypted link", () => {
  it("opens a link created by a plain API client (no fragment) and prints its text", async () => {
    const secret = uniqueText("server-encrypted ✓");
    const res = await fetch(`${server.url}/api/v1/links`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ content: secret }),
    });
    expect(res.status).toBe(201);
    const created = (await res.json()) as { url: string; manage_url: string; id: string };
    recordSecrets(created.url, created.manage_url, created.id, created.manage_url.split("#")[1]);
    const r = await runCli(["open", created.url]);
    expect(r.code).toBe(0);
    expect(r.stdout.toString("utf8")).toBe(secret);
    expect((await runCli(["open", created.url])).code).toBe(2);
  });
});

describe("oncelink create --file / open --out", () => {
  it("round-trips a file exactly into a new 0600 file", async () => {
    const source = join(workDir, "report.pdf");
    const bytes = randomBytes(64 * 1024);
    writeFileSync(source, bytes);
    const link = await createViaCli("", ["--file", source]);
    const target = join(workDir, "received.pdf");
    const r = await runCli(["open", link.url, "--out", target]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBe(0);
    expect(readFileSync(target).equals(bytes)).toBe(true);
    expect(statSync(target).mode & 0o777).toBe(0o600);
  });

  it("seals the file's base name and media type inside the envelope", async () => {
    const source = join(workDir, "notes.txt");
    writeFileSync(source, uniqueText("file meta"));
    const link = await createViaCli("", ["--file", source]);
    const content = await openLink(link.url, { deriveKey: deriveKeyNode });
    expect(content).toMatchObject({ kind: "bytes", name: "notes.txt", type: "text/plain" });
  });

  it("refuses to overwrite an existing --out file, and the link stays fresh", async () => {
    const link = await createViaCli(uniqueText("no overwrite"));
    const target = join(workDir, "existing.txt");
    writeFileSync(target, "keep me");
    const r = await runCli(["open", link.url, "--out", target]);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr);
    expect(r.stderr).toContain("already exists");
    expect(readFileSync(target, "utf8")).toBe("keep me");
    expect(await stateOf(link.manageUrl)).toBe("fresh");
  });

  it("leaves no empty --out file behind when the link is unavailable", async () => {
    const link = await createViaCli(uniqueText("no leftover"));
    expect((await runCli(["revoke", link.manageUrl])).code).toBe(0);
    const target = join(workDir, "never.txt");
    const r = await runCli(["open", link.url, "--out", target]);
    expect(r.code).toBe(2);
    expect(existsSync(target)).toBe(false);
  });
});

describe("oncelink serve with a bad configuration", () => {
  /**
   * `oncelink serve` with `env` on top of a fresh DATA_DIR and a free port. A start that wrongly succeeds is
   * stopped by PID after a few seconds, so the assertion fails instead of the suite hanging.
   */
  async function serveWith(env: Record<string, string>): Promise<CliResult> {
    const port = await freePort();
    const child = spawnCli(["serve"], {
      DATABASE_URL: undefined,
      HOST: "127.0.0.1",
      PORT: String(port),
      DATA_DIR: mkdtempSync(join(workDir, "serve-")),
      ...env,
    });
    child.stdin.end();
    return finished(child, 15_000);
  }

  function expectConfigFailure(r: CliResult, names: string): void {
    expect(r.code).toBe(1);
    expectOneLine(r.stderr);
    expect(r.stderr).toMatch(/^oncelink serve: configuration error: /);
    expect(r.stderr).toContain(names);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }

  it("exits 1 with one clear line for a bad variable", async () => {
    expectConfigFailure(await serveWith({ PORT: "http" }), "PORT");
  });

  it("exits 1 with one clear line for a bad keyring setting", async () => {
    expectConfigFailure(await serveWith({ ONCELINK_SIGNING_KEY: "x" }), "ONCELINK_SIGNING_KEY");
  });

  it("exits 1 with one clear line for a policy file that is not JSON, or missing", async () => {
    const file = join(workDir, "bad-policy.json");
    writeFileSync(file, "{ not json");
    expectConfigFailure(await serveWith({ ONCELINK_POLICY_FILE: file }), "ONCELINK_POLICY_FILE");
    expectConfigFailure(await serveWith({ ONCELINK_POLICY_FILE: join(workDir, "missing.json") }), "ONCELINK_POLICY_FILE");
  });

  it("exits 1 with one line when the port is taken", async () => {
    const r = await serveWith({ PORT: String(server.port) });
    expect(r.code).toBe(1);
    expect(r.stderr.trimEnd().split("\n").at(-1)).toMatch(/^oncelink serve: .*EADDRINUSE/);
  });
});
