import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import type { CliContext } from "../src/cli/cli-context.js";
import { MAX_STDIN_BYTES } from "../src/cli/create-command.js";
import { runCommand } from "../src/cli/main.js";

// The CLI's argument handling, in process and without a server: every refusal here must happen before any
// network call, which the unreachable server address proves (a call would fail with a different message).

const UNREACHABLE = "http://127.0.0.1:4";
const LINK = "http://127.0.0.1:4/l/AAAAAAAAAAAAAAAAAAAAAA#q3V1i0n2Yx_-Zt9aQkLmNA";
const MANAGE = "http://127.0.0.1:4/m/AAAAAAAAAAAAAAAAAAAAAA#Zz0-_aBcDeFgHiJkLmNoPQ";

async function run(argv: string[], stdin: { data?: string; tty?: boolean } = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on("data", (c: Buffer) => out.push(c));
  stderr.on("data", (c: Buffer) => err.push(c));
  const input = Object.assign(Readable.from(stdin.data === undefined ? [] : [Buffer.from(stdin.data)]), { isTTY: stdin.tty });
  const ctx: CliContext = { env: { ONCELINK_SERVER: UNREACHABLE }, stdin: input, stdout, stderr };
  const code = await runCommand(argv, ctx);
  return { code, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") };
}

function expectOneLine(stderr: string, fragment: string): void {
  expect(stderr.endsWith("\n")).toBe(true);
  expect(stderr.trimEnd().split("\n")).toHaveLength(1);
  expect(stderr).toContain(fragment);
}

describe("oncelink usage", () => {
  it.each([["help"], ["--help"], ["-h"]])("%s prints the usage on stdout and exits 0", async (verb) => {
    const r = await run([verb]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("oncelink create");
    expect(r.stdout).toContain("oncelink open URL");
  });

  it("an unknown verb prints the usage on stderr, exits 1, and does not echo the verb", async () => {
    const r = await run(["hunter2-secret"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("unknown command");
    expect(r.stderr).toContain("Usage: oncelink");
    expect(r.stderr).not.toContain("hunter2-secret");
  });

  it("no verb at all exits 1 with the usage", async () => {
    const r = await run([]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Usage: oncelink");
  });

  it("per-verb --help exits 0", async () => {
    for (const verb of ["serve", "create", "open", "status", "revoke", "templates", "keys", "enrol"]) {
      for (const flag of ["--help", "-h"]) {
        const r = await run([verb, flag]);
        expect(r.code, `${verb} ${flag}`).toBe(0);
        expect(r.stdout, `${verb} ${flag}`).toContain(`oncelink ${verb}`);
        expect(r.stderr, `${verb} ${flag}`).toBe("");
      }
    }
  });

  it("serve with any other argument still refuses to start", async () => {
    const r = await run(["serve", "--port", "1"]);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr, "serve takes no arguments");
  });
});

describe("oncelink create refusals", () => {
  it.each([
    [["--recipients", "11"], "--recipients must be a whole number from 1 to 10"],
    [["--recipients", "two"], "--recipients must be a whole number"],
    [["--allow-country", "XX"], "--allow-country takes ISO 3166-1 alpha-2 country codes"],
    [["--allow-country", ""], "--allow-country takes ISO 3166-1 alpha-2 country codes"],
    // An unset variable or a stray comma must not make a link that opens from anywhere.
    [["--allow-ip", ""], "--allow-ip was given without a network"],
    [["--allow-ip", ","], "--allow-ip was given without a network"],
    [["--allow-ip", " , ", "--allow-ip", ""], "--allow-ip was given without a network"],
    [["--deny-ip", ""], "--deny-ip was given without a network"],
    [["--passphrase-file", "/nonexistent/oncelink-pass"], "cannot read --passphrase-file"],
    [["--ttl", "soon"], "--ttl must be a duration"],
    [["--ttl", "0"], "--ttl must be a duration"],
    [["--server", "localhost:8080"], "--server must be an http:// or https:// URL"],
    [["my-secret"], "takes no arguments"],
    [["--bogus=my-secret"], "Unknown option '--bogus'"],
    [["--file", "/nonexistent/oncelink-test"], "cannot read --file"],
    // Refused before the file is opened or anything is sent: a file link has one recipient.
    [["--file", "/nonexistent/oncelink-test", "--recipients", "2"], "a --file link has one recipient"],
  ])("create %j → exit 1", async (args, message) => {
    const r = await run(["create", ...args], { data: "secret" });
    expect(r.code).toBe(1);
    expectOneLine(r.stderr, message);
    expect(r.stderr).not.toContain("my-secret");
    expect(r.stdout).toBe("");
  });

  it("refuses an empty stdin", async () => {
    const r = await run(["create"], { data: "" });
    expect(r.code).toBe(1);
    expectOneLine(r.stderr, "empty");
  });

  it("stops reading stdin past the largest secret any server accepts and points to --file", async () => {
    const piece = Buffer.alloc(4 * 1024 * 1024, 0x61);
    let pulled = 0;
    // An endless producer: without a limit the CLI would buffer it until memory runs out.
    async function* endless() {
      for (;;) {
        pulled += piece.length;
        yield piece;
      }
    }
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const err: Buffer[] = [];
    stderr.on("data", (c: Buffer) => err.push(c));
    const ctx: CliContext = { env: { ONCELINK_SERVER: UNREACHABLE }, stdin: Readable.from(endless(), { objectMode: false }), stdout, stderr };
    const code = await runCommand(["create"], ctx);
    expect(code).toBe(1);
    expectOneLine(Buffer.concat(err).toString("utf8"), "larger than any server accepts for a text link");
    expect(Buffer.concat(err).toString("utf8")).toContain("--file PATH");
    expect(pulled).toBeLessThanOrEqual(MAX_STDIN_BYTES + 2 * piece.length);
  });

  it("says to use --file when the server answers PAYLOAD_TOO_LARGE", async () => {
    const server = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        res.writeHead(413, { "content-type": "application/json" }).end(JSON.stringify({ error: "PAYLOAD_TOO_LARGE", message: "The request is larger than this server accepts." }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    try {
      const port = (server.address() as AddressInfo).port;
      const r = await run(["create", "--server", `http://127.0.0.1:${port}`], { data: "x".repeat(2048) });
      expect(r.code).toBe(1);
      expectOneLine(r.stderr, "larger than this server accepts for a text link");
      expect(r.stderr).toContain("--file PATH");
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("refuses a terminal as stdin instead of waiting for typing", async () => {
    const r = await run(["create"], { tty: true });
    expect(r.code).toBe(1);
    expectOneLine(r.stderr, "no secret on stdin");
  });

  it("refuses a --file that is not a regular file (an empty file is a valid file link: see test/files.test.ts)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "oncelink-cli-"));
    const r = await run(["create", "--file", dir]);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr, "is not a regular file");
  });

  it("reports an unreachable server on one line, exit 1", async () => {
    const r = await run(["create"], { data: "secret" });
    expect(r.code).toBe(1);
    expectOneLine(r.stderr, "Could not reach the oncelink server at http://127.0.0.1:4");
  });
});

describe("oncelink open/status/revoke refusals", () => {
  it("refuses a link whose key was cut short, without printing it", async () => {
    const cut = LINK.slice(0, -3);
    const r = await run(["open", cut]);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr, "not a complete oncelink link");
    expect(r.stderr).not.toContain(cut.split("#")[1]!);
  });

  it("refuses an existing --out file before contacting the server and leaves it untouched", async () => {
    const dir = mkdtempSync(join(tmpdir(), "oncelink-cli-"));
    const out = join(dir, "exists.txt");
    writeFileSync(out, "keep me");
    const r = await run(["open", LINK, "--out", out]);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr, "already exists");
    expect(readFileSync(out, "utf8")).toBe("keep me");
  });

  it("refuses an unreadable --passphrase-file and a missing or extra URL", async () => {
    expectOneLine((await run(["open", LINK, "--passphrase-file", "/nonexistent/oncelink-pass"])).stderr, "cannot read --passphrase-file");
    expectOneLine((await run(["open"])).stderr, "expected exactly one link URL");
    expectOneLine((await run(["open", LINK, LINK])).stderr, "expected exactly one link URL");
  });

  it("status and revoke refuse anything but a manage link", async () => {
    for (const verb of ["status", "revoke"]) {
      const r = await run([verb, LINK]);
      expect(r.code, verb).toBe(1);
      expectOneLine(r.stderr, "not a complete oncelink manage link");
      expect(r.stderr).not.toContain("q3V1i0n2Yx_-Zt9aQkLmNA");
    }
  });

  it("a network failure on open never prints the key or the id", async () => {
    const r = await run(["open", LINK]);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr, "Could not reach");
    expect(r.stderr).not.toContain("q3V1i0n2Yx_-Zt9aQkLmNA");
    expect(r.stderr).not.toContain("AAAAAAAAAAAAAAAAAAAAAA");
    const s = await run(["status", MANAGE]);
    expect(s.stderr).not.toContain("Zz0-_aBcDeFgHiJkLmNoPQ");
  });
});
