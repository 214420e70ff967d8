import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { randomBytes } from "node:crypto";
import type { FileHandle } from "node:fs/promises";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeAllToHandle } from "../src/cli/open-command.js";
import { finished, runCli as runBuiltCli, spawnCli as spawnBuiltCli, type CliResult } from "./helpers/cli.js";
import { recordSecrets } from "./helpers/secrets.js";
import { startServer, type RunningServer } from "./helpers/server.js";

// `oncelink open` when things break after the server may have used the link up: a proxy that loses the consume
// answer, an output that closes early, a signal mid-download. The built CLI as a child process against the real
// built server (needs `npm run build` first; npm test does it), through a tiny local proxy the test controls.


/** What the proxy does to the answer of a consume (everything else passes through untouched). */
type ConsumeMode =
  | "pass"
  | "bad-gateway" // forwards the consume, waits for the whole answer, then says 502
  | "gateway-timeout" // the same with 504
  | "reset" // forwards the consume, waits for the whole answer, then drops the connection
  | "truncate" // forwards the consume and sends the first half of its answer, then drops the connection
  | "stall"; // sends the answer's head and first `stallBytes`, then holds the rest until the test ends

let server: RunningServer;
let workDir: string;
let proxy: Server;
let proxyUrl: string;
let consumeMode: ConsumeMode = "pass";
/** How much of a consume answer "stall" lets through. */
let stallBytes = 1 << 20;
const stalled = new Set<IncomingMessage>();

beforeAll(async () => {
  server = await startServer({ name: "cli-open-failures" });
  workDir = mkdtempSync(join(tmpdir(), "oncelink-open-failures-"));
  proxy = createServer(forward);
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const upstream of stalled) upstream.destroy();
  proxy?.closeAllConnections();
  await new Promise<void>((resolve) => (proxy ? proxy.close(() => resolve()) : resolve()));
  await server?.stop();
});

function forward(req: IncomingMessage, res: ServerResponse): void {
  const upstreamReq = httpRequest(
    { host: "127.0.0.1", port: server.port, method: req.method, path: req.url, headers: { ...req.headers, host: `127.0.0.1:${server.port}` } },
    (upstream) => {
      const mode = req.method === "POST" && /\/consume$/.test(req.url ?? "") ? consumeMode : "pass";
      if (mode === "pass") {
        res.writeHead(upstream.statusCode ?? 502, upstream.headers);
        upstream.pipe(res);
        return;
      }
      if (mode === "stall") {
        res.writeHead(upstream.statusCode ?? 502, upstream.headers);
        stalled.add(upstream);
        let sent = 0;
        upstream.on("data", (piece: Buffer) => {
          if (sent >= stallBytes) return upstream.pause();
          sent += piece.length;
          res.write(piece);
        });
        return;
      }
      const parts: Buffer[] = [];
      upstream.on("data", (piece: Buffer) => parts.push(piece));
      upstream.on("end", () => {
        const body = Buffer.concat(parts);
        if (mode === "bad-gateway" || mode === "gateway-timeout") {
          res.writeHead(mode === "bad-gateway" ? 502 : 504, { "content-type": "text/html" });
          res.end("<html><body>proxy error</body></html>");
        } else if (mode === "reset") {
          req.socket.destroy();
        } else {
          res.writeHead(upstream.statusCode ?? 502, upstream.headers);
          res.write(body.subarray(0, body.length >> 1), () => req.socket.destroy());
        }
      });
    },
  );
  upstreamReq.on("error", () => res.destroy());
  req.pipe(upstreamReq);
}

const spawnCli = (args: string[]): ChildProcessWithoutNullStreams => spawnBuiltCli(args, { ONCELINK_SERVER: server.url });
const runCli = (args: string[], input: Uint8Array | string = ""): Promise<CliResult> =>
  runBuiltCli(args, { input, env: { ONCELINK_SERVER: server.url } });

interface Created {
  url: string;
  manageUrl: string;
}

/** `oncelink create --json` on the real server, every secret registered for the log scan. */
async function create(input: Uint8Array | string, extraArgs: string[] = []): Promise<Created> {
  const r = await runCli(["create", "--json", ...extraArgs], input);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  const json = JSON.parse(r.stdout.toString("utf8")) as { url: string; manage_url: string; id: string };
  const [, key] = /#(.+)$/.exec(json.url) ?? [];
  const [, token] = /#(.+)$/.exec(json.manage_url) ?? [];
  recordSecrets(json.url, json.manage_url, json.id, key, token);
  return { url: json.url, manageUrl: json.manage_url };
}

/** The same link, reached through the proxy. */
function viaProxy(url: string): string {
  return proxyUrl + url.slice(server.url.length);
}

async function createFile(size: number): Promise<Created> {
  const source = join(workDir, `source-${randomBytes(4).toString("hex")}.bin`);
  writeFileSync(source, randomBytes(size));
  return create("", ["--file", source]);
}

async function stateOf(manageUrl: string): Promise<string> {
  const r = await runCli(["status", "--json", manageUrl]);
  expect(r.code).toBe(0);
  return (JSON.parse(r.stdout.toString("utf8")) as { state: string }).state;
}

function uniqueText(prefix: string): string {
  const text = `${prefix} ${randomBytes(12).toString("hex")}`;
  recordSecrets(text);
  return text;
}

const LOST_MESSAGE = /may have used the link up, but the content did not arrive whole.*Ask the sender for a new link\.\n$/;

describe("oncelink open when the consume answer is lost", () => {
  it.each<[string, ConsumeMode]>([
    ["a proxy's 502 after the consume went through", "bad-gateway"],
    ["a proxy's 504 after the consume went through", "gateway-timeout"],
    ["a connection reset after the consume went through", "reset"],
    ["a JSON answer cut off halfway", "truncate"],
  ])("says the link may be used up on %s, exit 1", async (_what, mode) => {
    const link = await create(uniqueText(`lost answer ${mode}`));
    consumeMode = mode;
    let r: CliResult;
    try {
      r = await runCli(["open", viaProxy(link.url)]);
    } finally {
      consumeMode = "pass";
    }
    expect(r.code).toBe(1);
    expect(r.stdout.length).toBe(0);
    expect(r.stderr).toMatch(/^oncelink open: This attempt /);
    expect(r.stderr).toMatch(LOST_MESSAGE);
    expect(r.stderr).not.toContain("Could not reach");
    expect(r.stderr).not.toContain("unexpected answer");
    expect(await stateOf(link.manageUrl)).toBe("consumed");
  });

  it("says so for a file link whose consume answer a proxy replaced with 502, and leaves no --out file", async () => {
    const link = await createFile(64 * 1024);
    const target = join(workDir, "lost-file.bin");
    consumeMode = "bad-gateway";
    let r: CliResult;
    try {
      r = await runCli(["open", viaProxy(link.url), "--out", target]);
    } finally {
      consumeMode = "pass";
    }
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(LOST_MESSAGE);
    expect(existsSync(target)).toBe(false);
    expect(await stateOf(link.manageUrl)).toBe("consumed");
  });

  it("says a file link cut off midway is used up and to ask for a new link, to stdout and to --out", async () => {
    for (const out of [null, join(workDir, "cut-file.bin")]) {
      const link = await createFile(256 * 1024);
      consumeMode = "truncate";
      let r: CliResult;
      try {
        r = await runCli(["open", viaProxy(link.url), ...(out === null ? [] : ["--out", out])]);
      } finally {
        consumeMode = "pass";
      }
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^oncelink open: The file was cut off before its end; the link is now used up\. .*ask the sender for a new link\.\n$/);
      if (out !== null) expect(existsSync(out)).toBe(false);
      expect(await stateOf(link.manageUrl)).toBe("consumed");
    }
  });

  it("still says 'no longer available' (exit 2) when the server itself refuses the consume", async () => {
    const link = await create(uniqueText("refused consume"));
    expect((await runCli(["revoke", link.manageUrl])).code).toBe(0);
    const r = await runCli(["open", viaProxy(link.url)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no longer available");
  });
});

describe("oncelink open of a file when the output fails", () => {
  it("exits promptly with status 1 when stdout is closed mid-file (EPIPE), while the rest is still on its way", async () => {
    const link = await createFile(4 * 1024 * 1024);
    // The proxy holds back all but the first 256 KiB, as a slow network would: the download is still open when the
    // write fails, so only stopping it lets the process end.
    consumeMode = "stall";
    stallBytes = 1024 * 1024;
    try {
      const child = spawnCli(["open", viaProxy(link.url)]);
      child.stdin.end();
      const result = finished(child, 10_000);
      // Like `| head -c 1000`: read a little, then close the pipe at once, in the same callback: reading on (a
      // flowing stream keeps reading) could drain everything the proxy let through, and the CLI would then only be
      // waiting for the network, with nothing left to write.
      await new Promise<void>((resolve) =>
        child.stdout.once("data", () => {
          child.stdout.destroy();
          resolve();
        }),
      );
      const r = await result;
      expect(r.killedByGuard).toBe(false);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("EPIPE");
    } finally {
      consumeMode = "pass";
      stallBytes = 1 << 20;
    }
  });

  it.each<[NodeJS.Signals, number]>([
    ["SIGTERM", 143],
    ["SIGINT", 130],
    ["SIGHUP", 129],
  ])("removes the placeholder and the partial .part file on %s mid-download, exit %i", async (signal, status) => {
    const link = await createFile(4 * 1024 * 1024);
    const dir = join(workDir, `signal-${signal}`);
    mkdirSync(dir);
    const target = join(dir, "secret.bin");
    consumeMode = "stall";
    try {
      const child = spawnCli(["open", viaProxy(link.url), "--out", target]);
      child.stdin.end();
      const result = finished(child);
      // Mid-download: the hidden temp file already holds some plaintext, and the rest is held back by the proxy.
      const deadline = Date.now() + 20_000;
      for (;;) {
        const part = readdirSync(dir).find((name) => name.endsWith(".part"));
        if (part !== undefined && statSync(join(dir, part)).size > 0) break;
        if (Date.now() > deadline) throw new Error("the download never started");
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(existsSync(target)).toBe(true);
      child.kill(signal);
      const r = await result;
      expect(r.killedByGuard).toBe(false);
      expect(r.code).toBe(status);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      consumeMode = "pass";
    }
  });
});

describe("writeAllToHandle", () => {
  /** A file handle that takes at most `max` bytes per write, and records what it got. */
  function partialHandle(max: number): { handle: Pick<FileHandle, "write">; written: () => Buffer; calls: () => number } {
    const got: Buffer[] = [];
    let calls = 0;
    const write = (async (buffer: Uint8Array, offset: number, length: number) => {
      calls++;
      const take = Math.min(max, length);
      got.push(Buffer.from(buffer.subarray(offset, offset + take)));
      return { bytesWritten: take, buffer };
    }) as unknown as FileHandle["write"];
    return { handle: { write }, written: () => Buffer.concat(got), calls: () => calls };
  }

  it("repeats short writes until the whole piece is written, in order", async () => {
    const piece = randomBytes(1000);
    const fake = partialHandle(7);
    await writeAllToHandle(fake.handle, piece);
    expect(fake.written().equals(piece)).toBe(true);
    expect(fake.calls()).toBe(Math.ceil(1000 / 7));
  });

  it("fails rather than loop forever when a write takes nothing", async () => {
    await expect(writeAllToHandle(partialHandle(0).handle, randomBytes(10))).rejects.toThrow(/took no more bytes/);
  });
});
