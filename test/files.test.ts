import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { solveChallenge, type Challenge } from "altcha-lib";
import { deriveKey as deriveKeyNode } from "altcha-lib/algorithms/sha";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFileLink, type PartRetry } from "../src/client/create-file-link.js";
import { FileUploadFailedError, ServerUnreachableError, UnavailableError } from "../src/client/errors.js";
import { getStatus } from "../src/client/manage-link.js";
import { fileStreamLength } from "../src/crypto/file-stream.js";
import { openLinkStream } from "../src/client/open-link.js";
import { startCuttingProxy, type CutMode } from "./helpers/cutting-proxy.js";
import { testStore } from "./helpers/postgres.js";
import { recordSecrets } from "./helpers/secrets.js";
import { startServer, type RunningServer } from "./helpers/server.js";

// Files end to end: the built CLI and the client library against the real built server (SQLite here; the
// .postgres wrapper runs the same on PostgreSQL). Needs `npm run build` first (npm test does it).

const ROOT = new URL("..", import.meta.url).pathname;
const BIN = join(ROOT, "bin/oncelink.js");
const MIB = 1024 * 1024;

let server: RunningServer;
let workDir: string;

beforeAll(async () => {
  server = await startServer({ name: "files" });
  workDir = mkdtempSync(join(tmpdir(), "oncelink-files-"));
});

afterAll(async () => {
  await server?.stop();
});

function runCli(args: string[]): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ONCELINK_SERVER: server.url }, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString("utf8") }));
  });
}

function recordLink(url: string, manageUrl: string): void {
  const [, id, key] = /\/l\/([^#]+)#(.+)$/.exec(url) ?? [];
  recordSecrets(url, manageUrl, id, key, /#(.+)$/.exec(manageUrl)?.[1]);
}

/** Random bytes as a web stream, made as they are read: nothing of the file is ever whole in this process. */
function randomSource(size: number, hash = createHash("sha256")): ReadableStream<Uint8Array> {
  let left = size;
  return new ReadableStream({
    pull(controller) {
      if (left === 0) return controller.close();
      const piece = randomBytes(Math.min(left, 256 * 1024));
      hash.update(piece);
      left -= piece.length;
      controller.enqueue(new Uint8Array(piece.buffer, piece.byteOffset, piece.length));
    },
  });
}

/** The server's counters of interest, from /metrics. */
async function fileMetrics(): Promise<{ storage: number; interrupted: number; complete: number; undelivered: number }> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? 0);
  return {
    storage: value(/^oncelink_file_storage_bytes (\d+)/m),
    interrupted: value(/^oncelink_file_downloads_total\{outcome="interrupted"\} (\d+)/m),
    complete: value(/^oncelink_file_downloads_total\{outcome="complete"\} (\d+)/m),
    undelivered: value(/^oncelink_consumes_undelivered_total (\d+)/m),
  };
}

/** The session header of a fresh open of `id` (challenge solved, session minted), for a consume sent by hand. */
async function mintSession(id: string): Promise<string> {
  const api = `${server.url}/api/v1/links/${id}`;
  const challenge = (await (await fetch(`${api}/challenge`)).json()) as Challenge;
  const solution = await solveChallenge({ challenge, deriveKey: deriveKeyNode });
  const pow = Buffer.from(JSON.stringify({ challenge, solution })).toString("base64");
  const minted = await fetch(`${api}/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ pow }) });
  const { session } = (await minted.json()) as { session: string };
  recordSecrets(session);
  return session;
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Resident memory of a process in bytes: `VmRSS` (now) or `VmHWM` (its peak so far), from /proc. */
function memoryOf(pid: number, field: "VmRSS" | "VmHWM"): number {
  const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return Number(kb) * 1024;
}

describe("oncelink create --file / open --out, streamed", () => {
  it.each([
    ["an empty file", 0],
    ["one byte", 1],
    ["one byte short of a 64 KiB chunk", 64 * 1024 - 1],
    ["exactly one 64 KiB chunk", 64 * 1024],
    ["one byte past a 64 KiB chunk", 64 * 1024 + 1],
    ["9 MiB of random bytes (three parts, nine stored chunks)", 9 * MIB + 5],
  ])("round-trips %s exactly, into a new 0600 file, and the link is then consumed", async (_what, size) => {
    const source = join(workDir, `in-${size}.bin`);
    const bytes = randomBytes(size);
    writeFileSync(source, bytes);
    const created = await runCli(["create", "--json", "--file", source]);
    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);
    const link = JSON.parse(created.stdout.toString("utf8")) as { url: string; manage_url: string };
    recordLink(link.url, link.manage_url);

    const target = join(workDir, `out-${size}.bin`);
    const opened = await runCli(["open", link.url, "--out", target]);
    expect(opened.stderr).toBe("");
    expect(opened.code).toBe(0);
    expect(opened.stdout.length).toBe(0);
    expect(readFileSync(target).equals(bytes)).toBe(true);
    expect(statSync(target).mode & 0o777).toBe(0o600);
    // No temporary file left beside it.
    expect(readdirSync(workDir).filter((f) => f.endsWith(".part"))).toEqual([]);
    expect((await getStatus(link.manage_url)).state).toBe("consumed");
    const again = await runCli(["open", link.url, "--out", join(workDir, `again-${size}.bin`)]);
    expect(again.code).toBe(2);
    expect(existsSync(join(workDir, `again-${size}.bin`))).toBe(false);
  });

  it("applies a template, address rules and a passphrase to a file link, through the same options as text", async () => {
    const source = join(workDir, "contract.pdf");
    const bytes = randomBytes(70 * 1024);
    writeFileSync(source, bytes);
    const words = `file words ${randomBytes(6).toString("hex")}`;
    const passFile = join(workDir, "file-pass.txt");
    writeFileSync(passFile, `${words}\n`);
    recordSecrets(words);
    // Standard needs a passphrase: without one the finish is refused (and the upload cancelled by the client).
    const refused = await runCli(["create", "--file", source, "--template", "standard"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/passphrase/i);
    const created = await runCli(["create", "--json", "--file", source, "--template", "standard", "--passphrase-file", passFile, "--deny-ip", "203.0.113.0/24"]);
    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);
    const link = JSON.parse(created.stdout.toString("utf8")) as { url: string; manage_url: string; links: unknown[] };
    recordLink(link.url, link.manage_url);
    expect(link.links).toHaveLength(1);
    const status = await runCli(["status", link.manage_url, "--json"]);
    expect(JSON.parse(status.stdout.toString("utf8"))).toMatchObject({ state: "fresh", policy: { template: "standard", passphrase: true, deny_ip: ["203.0.113.0/24"] } });
    const withoutWords = await runCli(["open", link.url, "--out", join(workDir, "contract-1.pdf")]);
    expect(withoutWords.code).toBe(1);
    expect(withoutWords.stderr).toMatch(/passphrase/i);
    const target = join(workDir, "contract-2.pdf");
    const opened = await runCli(["open", link.url, "--out", target, "--passphrase-file", passFile]);
    expect(opened.stderr).toBe("");
    expect(opened.code).toBe(0);
    expect(readFileSync(target).equals(bytes)).toBe(true);
  });

  it("streams a file to stdout, with its name and type sealed inside", async () => {
    const source = join(workDir, "notes.txt");
    const text = `private notes ${randomBytes(8).toString("hex")}\n`;
    recordSecrets(text.trim());
    writeFileSync(source, text);
    const created = await runCli(["create", "--file", source]);
    expect(created.code).toBe(0);
    const url = created.stdout.toString("utf8").trim();
    recordLink(url, /(http\S+\/m\/\S+)/.exec(created.stderr)?.[1] ?? "");
    const opened = await openLinkStream(url, { deriveKey: deriveKeyNode });
    expect(opened).toMatchObject({ kind: "file", name: "notes.txt", type: "text/plain" });
    if (opened.kind !== "file") throw new Error("not a file");
    const body = Buffer.from(await new Response(opened.stream).arrayBuffer());
    expect(body.toString("utf8")).toBe(text);
    expect(await opened.done).toEqual({
      name: "notes.txt",
      type: "text/plain",
      size: Buffer.byteLength(text),
      sha256: createHash("sha256").update(text).digest("hex"),
    });
  });
});

describe("one-time means one time", () => {
  it("gives a recipient who drops the connection mid-download nothing more; the sender sees it consumed", async () => {
    const link = await createFileLink({ server: server.url, source: randomSource(12 * MIB), name: "big.bin", size: 12 * MIB });
    recordLink(link.url, link.manageUrl);
    const before = await fileMetrics();
    expect(before.storage).toBeGreaterThan(12 * MIB);

    const opened = await openLinkStream(link.url, { deriveKey: deriveKeyNode });
    if (opened.kind !== "file") throw new Error("not a file");
    const reader = opened.stream.getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    await reader.cancel(); // closes the connection with most of the file unsent
    await expect(opened.done).rejects.toThrow();

    // The server deletes what was left, and counts an interrupted download.
    await until(async () => (await fileMetrics()).storage === 0, "the file's chunks to be deleted");
    expect((await fileMetrics()).interrupted).toBe(before.interrupted + 1);
    expect((await getStatus(link.manageUrl)).state).toBe("consumed");
    await expect(openLinkStream(link.url, { deriveKey: deriveKeyNode })).rejects.toBeInstanceOf(UnavailableError);
  });

  it("deletes the file of a recipient who hangs up right after sending the consume, before a byte came back", async () => {
    const stored = (await fileMetrics()).storage;
    const link = await createFileLink({ server: server.url, source: randomSource(3 * MIB), size: 3 * MIB });
    recordLink(link.url, link.manageUrl);
    const id = /\/l\/([^#]+)#/.exec(link.url)![1]!;
    const session = await mintSession(id);
    const before = await fileMetrics();

    // The whole request, and the connection is gone at once: the server learns it while the consume commits, before
    // the download starts. The download must still end (and delete the file) rather than wait for the socket forever.
    await new Promise<void>((resolve, reject) => {
      const socket = connect(server.port, "127.0.0.1", () => {
        socket.end(`POST /api/v1/links/${id}/consume HTTP/1.1\r\nHost: oncelink\r\nAuthorization: Session ${session}\r\nContent-Length: 0\r\n\r\n`);
        socket.destroy();
        resolve();
      });
      socket.once("error", reject);
    });
    await until(async () => (await getStatus(link.manageUrl)).state === "consumed", "the consume");
    await until(async () => (await fileMetrics()).interrupted === before.interrupted + 1, "the download to end as interrupted");
    expect((await fileMetrics()).storage).toBe(stored);
  });
});

describe("a download that ends at its last byte", () => {
it("counts a download as complete when the recipient hangs up the moment the last byte is in", async () => {
  // A file of exactly 8 stored chunks: the download deletes sent chunks every 8, so the last chunk used to be followed
  // by a store write, during which a client that had everything (curl, a script) closed and was counted as cut off.
  const name = "eight.bin";
  let size = 7 * MIB;
  while (Math.ceil(fileStreamLength(size, { name }) / MIB) !== 8) size -= 4096;
  const link = await createFileLink({ server: server.url, source: randomSource(size), name, size });
  recordLink(link.url, link.manageUrl);
  const id = /\/l\/([^#]+)#/.exec(link.url)![1]!;
  const session = await mintSession(id);
  const before = await fileMetrics();
  const received = await new Promise<number>((resolve, reject) => {
    const socket = connect(server.port, "127.0.0.1", () => {
      socket.write(`POST /api/v1/links/${id}/consume HTTP/1.1\r\nHost: oncelink\r\nAuthorization: Session ${session}\r\nContent-Length: 0\r\n\r\n`);
    });
    let head = Buffer.alloc(0);
    let expected = -1;
    let body = 0;
    socket.on("data", (piece: Buffer) => {
      if (expected < 0) {
        head = Buffer.concat([head, piece]);
        const end = head.indexOf("\r\n\r\n");
        if (end < 0) return;
        expected = Number(/content-length: (\d+)/i.exec(head.subarray(0, end).toString("latin1"))?.[1] ?? Number.NaN);
        body = head.length - end - 4;
      } else body += piece.length;
      if (body >= expected) {
        // Everything is in: hang up at once, as a client that has the whole file does.
        socket.destroy();
        resolve(body);
      }
    });
    socket.once("error", reject);
  });
  expect(received).toBe(fileStreamLength(size, { name }));
  await until(async () => (await fileMetrics()).complete === before.complete + 1, "the download to be counted complete");
  const after = await fileMetrics();
  expect(after.interrupted).toBe(before.interrupted);
  expect(after.undelivered).toBe(before.undelivered);
});
});

describe("a part that fails on the way is sent again", () => {
  // Part 1 of an upload (the second 4 MiB): by then part 0 is stored, so a retry must fit in beside it.
  const PART_1 = /PUT \/api\/v1\/files\/[A-Za-z0-9_-]+\/parts\/1 /;
  const SIZE = 6 * MIB + 7; // two parts

  /** Sends a file through a proxy that breaks part 1 `times` times; returns what createFileLink said and did. */
  async function sendThroughCuts(mode: CutMode, times: number, bytes: Buffer) {
    const proxy = await startCuttingProxy(server.url, { pattern: PART_1, mode, times, afterBytes: 1536 * 1024 });
    const retries: PartRetry[] = [];
    try {
      const outcome = await createFileLink({
        server: proxy.url,
        source: new Blob([new Uint8Array(bytes)]).stream(),
        size: bytes.length,
        name: "cut.bin",
        partRetryDelayMs: 20,
        onRetry: (retry) => retries.push(retry),
      }).then(
        (link) => ({ link, error: null }),
        (error: unknown) => ({ link: null, error }),
      );
      recordSecrets(...proxy.matched);
      if (outcome.link !== null) recordLink(outcome.link.url, outcome.link.manageUrl);
      return { ...outcome, retries, cuts: proxy.cuts, upload: /files\/([^/]+)\/parts/.exec(proxy.matched[0] ?? "")?.[1] ?? null };
    } finally {
      await proxy.close();
    }
  }

  async function expectOpensTo(url: string, bytes: Buffer): Promise<void> {
    const opened = await openLinkStream(url, { deriveKey: deriveKeyNode });
    if (opened.kind !== "file") throw new Error("not a file");
    const body = Buffer.from(await new Response(opened.stream).arrayBuffer());
    expect(body.equals(bytes)).toBe(true);
    expect((await opened.done).sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
  }

  it("sends a part again when its connection is cut mid-body, and the link opens to the exact bytes", async () => {
    const before = (await fileMetrics()).storage;
    const bytes = randomBytes(SIZE);
    const sent = await sendThroughCuts("body", 1, bytes);
    expect(sent.error).toBeNull();
    expect(sent.cuts).toBe(1);
    expect(sent.retries.map(({ part, retry }) => [part, retry])).toEqual([[1, 1]]);
    expect(sent.retries[0]!.error).toBeInstanceOf(ServerUnreachableError);
    await expectOpensTo(sent.link!.url, bytes);
    // The half part the server got first was undone or superseded: nothing of it is left once the file is gone.
    await until(async () => (await fileMetrics()).storage === before, "the file's chunks to be deleted");
  });

  it("moves on when a part was stored but its answer was lost (the retry hears which part comes next)", async () => {
    const bytes = randomBytes(SIZE);
    const sent = await sendThroughCuts("answer", 1, bytes);
    expect(sent.error).toBeNull();
    expect(sent.cuts).toBe(1);
    expect(sent.retries.map(({ part, retry }) => [part, retry])).toEqual([[1, 1]]);
    await expectOpensTo(sent.link!.url, bytes);
  });

  it("gives up after three retries of the same part, cancels the upload and leaves nothing behind", async () => {
    const before = (await fileMetrics()).storage;
    const sent = await sendThroughCuts("body", Number.POSITIVE_INFINITY, randomBytes(SIZE));
    expect(sent.link).toBeNull();
    expect(sent.error).toBeInstanceOf(FileUploadFailedError);
    expect((sent.error as FileUploadFailedError).tries).toBe(4);
    expect((sent.error as Error).cause).toBeInstanceOf(ServerUnreachableError);
    expect(sent.cuts).toBe(4);
    expect(sent.retries.map(({ part, retry }) => [part, retry])).toEqual([[1, 1], [1, 2], [1, 3]]);
    // Cancelled: the upload token names nothing any more, and every chunk of it is gone.
    const again = await fetch(`${server.url}/api/v1/files/${sent.upload}/parts/1`, {
      method: "PUT",
      headers: { "content-type": "application/octet-stream" },
      body: new Uint8Array(10),
    });
    expect(again.status).toBe(404);
    expect(await again.json()).toMatchObject({ error: "UPLOAD_UNAVAILABLE" });
    await until(async () => (await fileMetrics()).storage === before, "the cancelled upload's chunks to be deleted");
  });

  it("oncelink create --file says when it sends a part again, and the file arrives whole", async () => {
    const proxy = await startCuttingProxy(server.url, { pattern: PART_1, mode: "body", times: 1, afterBytes: 512 * 1024 });
    try {
      const source = join(workDir, "flaky.bin");
      const bytes = randomBytes(SIZE);
      writeFileSync(source, bytes);
      const created = await runCli(["create", "--json", "--file", source, "--server", proxy.url]);
      recordSecrets(...proxy.matched);
      expect(created.code, created.stderr).toBe(0);
      expect(created.stderr).toMatch(/^oncelink create: part 1 of the file did not go through \(Could not reach the oncelink server at http:\/\/127\.0\.0\.2:\d+( \([A-Z]+\))?\); sending it again \(retry 1\)\.\n$/);
      expect(proxy.cuts).toBe(1);
      const link = JSON.parse(created.stdout.toString("utf8")) as { url: string; manage_url: string };
      recordLink(link.url, link.manage_url);
      const target = join(workDir, "flaky-out.bin");
      const opened = await runCli(["open", link.url, "--out", target]);
      expect(opened.code, opened.stderr).toBe(0);
      expect(readFileSync(target).equals(bytes)).toBe(true);
    } finally {
      await proxy.close();
    }
  });
});

/** Up and down once through the library; the bytes are made and checked as they stream, never held. */
async function roundTrip(size: number): Promise<void> {
  const sent = createHash("sha256");
  const link = await createFileLink({ server: server.url, source: randomSource(size, sent), size });
  recordLink(link.url, link.manageUrl);
  const opened = await openLinkStream(link.url, { deriveKey: deriveKeyNode });
  if (opened.kind !== "file") throw new Error("not a file");
  const received = createHash("sha256");
  await opened.stream.pipeTo(new WritableStream({ write: (piece) => void received.update(piece) }));
  const expected = sent.digest("hex");
  expect((await opened.done).sha256).toBe(expected);
  expect(received.digest("hex")).toBe(expected);
}

/** The server's memory outside V8's heap (ArrayBuffers, mostly), as its /metrics reports it now. */
async function externalMemory(): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(/^oncelink_nodejs_external_memory_bytes (\d+)/m.exec(text)?.[1]);
}

describe("memory", () => {
  it("keeps the server's memory flat while files far bigger than a part go up and down", async () => {
    // The first transfer brings the server to its working size (on PostgreSQL, with the driver's buffers, which the
    // collector frees in batches); after it, a transfer three times as big must not raise the peak by anything like
    // its size. (The driver's hex strings add tens of MB of such slack; holding the file would add 72 MiB and more.)
    await roundTrip(24 * MIB);
    const warm = memoryOf(server.pid, "VmHWM");
    await roundTrip(72 * MIB);
    const growth = memoryOf(server.pid, "VmHWM") - warm;
    expect(growth).toBeLessThan(48 * MIB);
  });

  // On PostgreSQL the driver allocates its own buffers per chunk (the bind message, the row it reads), which only the
  // collector frees: this bound is for the embedded store, where everything a chunk allocates is released.
  it.skipIf(testStore() === "postgres")("leaves no chunk buffers behind for the garbage collector while a file passes through", async () => {
    // V8 frees ArrayBuffer memory only when a collection finds it dead, and collects the young generation on its
    // account only every 32 MiB: a server that dropped each 64 KiB request piece, cipher output, stored chunk or
    // sent chunk for the collector would sit between its idle figure and 32 MiB above it while a file streams. It
    // releases each as it is done with it (releaseBuffer), so what it holds outside the heap stays near idle (measured:
    // +1 MiB; +28 MiB with the releases taken out).
    const idle = await externalMemory();
    let peak = idle;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, await externalMemory());
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    try {
      await roundTrip(48 * MIB);
    } finally {
      sampling = false;
      await sampler;
    }
    expect(peak - idle).toBeLessThan(12 * MIB);
  });
});
