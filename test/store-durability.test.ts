import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterEach, describe, expect, it } from "vitest";
import { makeLink } from "../src/store/contract.js";
import { openSqliteStore } from "../src/store/sqlite.js";

const ROOT = new URL("..", import.meta.url).pathname;
const CHILD = join(ROOT, "test/fixtures/store-child.ts");
const dirs: string[] = [];
const children: ChildProcess[] = [];

function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), "oncelink-durability-"));
  dirs.push(dir);
  return join(dir, "oncelink.db");
}

/** Runs the child store script under tsx, so this test does not depend on a build of the whole tree. */
function startChild(args: string[], writerThread = false): { child: ChildProcess; lines: AsyncIterable<string>; exited: Promise<NodeJS.Signals | null> } {
  const child = spawn(process.execPath, ["--import", "tsx", CHILD, ...args], {
    cwd: ROOT,
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, ONCELINK_TEST_WRITER_THREAD: writerThread ? "1" : "0" },
  });
  children.push(child);
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      if (signal === null && code !== 0) reject(new Error(`child exited ${code}: ${stderr}`));
      else resolve(signal);
    });
  });
  return { child, lines: createInterface({ input: child.stdout! }), exited };
}

afterEach(() => {
  // By PID, only the children this file started; most have already exited.
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("sqlite store durability and cross-process races", () => {
  // The server can write on a worker thread (SQLITE_WRITER_THREAD=true): an answer must still wait for the COMMIT.
  it.each([
    ["on the calling thread", false],
    ["on a writer thread", true],
  ])("keeps every acknowledged create and consume after the process is killed with SIGKILL (writes %s)", async (_name, writerThread) => {
    const file = tempFile();
    const { child, lines, exited } = startChild(["crash", file], writerThread);
    const created = new Set<string>();
    const acked = new Set<string>();
    const watchdog = setTimeout(() => child.kill("SIGKILL"), 8000);
    for await (const line of lines) {
      const [kind, id] = line.split(" ");
      if (kind === "CREATED" && id) created.add(id);
      if (kind === "ACK" && id) acked.add(id);
      // Kill mid-stream; lines already in the pipe are still read, and they were printed only after COMMIT.
      if (acked.size === 500 && child.signalCode === null) child.kill("SIGKILL");
    }
    clearTimeout(watchdog);
    expect(await exited).toBe("SIGKILL");
    expect(acked.size).toBeGreaterThanOrEqual(500);

    const store = await openSqliteStore({ file });
    try {
      expect(store.db.pragma("integrity_check", { simple: true })).toBe("ok");
      const row = store.db.prepare("SELECT state, sealed IS NULL AND wrapped_key IS NULL AS destroyed FROM links WHERE id_hash = ?");
      const missing = [...created].filter((id) => !row.get(Buffer.from(id, "hex")));
      expect(missing).toEqual([]);
      const lost = [...acked].filter((id) => {
        const r = row.get(Buffer.from(id, "hex")) as { state: string; destroyed: number } | undefined;
        return r?.state !== "consumed" || r.destroyed !== 1;
      });
      expect(lost).toEqual([]);
    } finally {
      await store.close();
    }
  }, 20_000);

  it("lets exactly one of 90 consumes from three processes win", async () => {
    const file = tempFile();
    const setup = await openSqliteStore({ file });
    const link = makeLink();
    await setup.createLink(link);
    await setup.close();

    const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
    // Two processes write on their own thread, one on a writer thread: the compare-and-set holds across all of them.
    const procs = [false, false, true].map((writerThread) => startChild(["race", file, hex(link.idHash), "30"], writerThread));
    const iterators = procs.map((p) => p.lines[Symbol.asyncIterator]());
    for (const it of iterators) expect((await it.next()).value).toBe("READY");
    // All three have opened the file; release them together.
    for (const p of procs) p.child.stdin!.write("GO\n");
    const results = await Promise.all(iterators.map(async (it) => String((await it.next()).value)));
    await Promise.all(procs.map((p) => p.exited));

    const parsed = results.map((r) => /^RESULT (\d+) (\d+) ([0-9a-f,]*)$/.exec(r));
    expect(parsed.every((m) => m !== null)).toBe(true);
    const sum = (i: 1 | 2): number => parsed.reduce((n, m) => n + Number(m![i]), 0);
    expect({ released: sum(1), refused: sum(2) }).toEqual({ released: 1, refused: 89 });
    expect(parsed.map((m) => m![3]).filter(Boolean)).toEqual([hex(link.sealed)]);

    const check = await openSqliteStore({ file });
    try {
      expect((await check.getLinkMeta(link.idHash))?.state).toBe("consumed");
    } finally {
      await check.close();
    }
  }, 20_000);
});
