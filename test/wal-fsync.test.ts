// Durability at the system-call level: the real server runs under strace, and every create and consume it answers
// must have been preceded by an fdatasync of SQLite's write-ahead log that started after the last write into that log.
// A kill -9 test cannot show this (the page cache survives a killed process, not a power cut); the trace can.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { solveChallenge, type Challenge } from "altcha-lib";
import { deriveKey } from "altcha-lib/algorithms/sha";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLink } from "../src/client/create-link.js";
import { openLink } from "../src/client/open-link.js";
import { freePort, startServer } from "./helpers/server.js";
import { recordSecrets } from "./helpers/secrets.js";
import { unsyncedAnswer } from "./helpers/wal-trace.js";

const ROOT = new URL("..", import.meta.url).pathname;

describe("the checker of the trace", () => {
  const head = ['1 openat(AT_FDCWD, "/d/oncelink.db-wal", O_RDWR|O_CREAT, 0600) = 19', '1 pwrite64(19, "\\0", 24, 0) = 24'];
  it("accepts an answer after an fdatasync that began after the last WAL write", () => {
    const whole = [...head, "7 fdatasync(19)                     = 0", '1 write(25, "HTTP/1.1 201 Created\\r\\n", 22) = 22'];
    expect(unsyncedAnswer(whole.join("\n"))).toBeNull();
    const trace = [...head, "7 fdatasync(19 <unfinished ...>", "7 <... fdatasync resumed>)          = 0", '1 writev(25, [{iov_base="HTTP/1.1 200 OK\\r\\n"...}], 2) = 900'];
    expect(unsyncedAnswer(trace.join("\n"))).toBeNull();
  });
  it("flags an answer before the fdatasync returned, and one covered only by an fdatasync that began earlier", () => {
    const early = [...head, "7 fdatasync(19 <unfinished ...>", '1 writev(25, [{iov_base="HTTP/1.1 201 Created\\r\\n"...}], 2) = 900', "7 <... fdatasync resumed>) = 0"];
    expect(unsyncedAnswer(early.join("\n"))).toMatch(/HTTP\/1\.1 201/);
    const stale = ['1 openat(AT_FDCWD, "/d/oncelink.db-wal", O_RDONLY) = 23', "7 fdatasync(23 <unfinished ...>", '1 pwrite64(23, "\\0", 24, 0) = 24', "7 <... fdatasync resumed>) = 0", '1 write(25, "HTTP/1.1 200 OK\\r\\n", 17) = 17'];
    expect(unsyncedAnswer(stale.join("\n"))).toMatch(/HTTP\/1\.1 200/);
  });
});

describe("SQLite durability under strace", () => {
  let dataDir: string;
  let server: ReturnType<typeof spawn>;
  let url: string;
  const traceFile = (): string => join(dataDir, "strace.txt");

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "oncelink-strace-"));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    // --seccomp-bpf stops the server only at the traced calls, so it runs at nearly full speed.
    server = spawn(
      "strace",
      ["-f", "-qq", "--seccomp-bpf", "-s", "24", "-e", "trace=openat,pwrite64,fdatasync,fsync,write,writev", "-o", traceFile(), process.execPath, join(ROOT, "bin/oncelink.js"), "serve"],
      {
        env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", DATA_DIR: dataDir, PUBLIC_URL: url, LOG_LEVEL: "warn", RATE_LIMIT_CREATE: "0", RATE_LIMIT_OPEN: "0" },
        stdio: "ignore",
      },
    );
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${url}/readyz`)).ok) break;
      } catch {
        // not listening yet
      }
      if (i > 400) throw new Error("the server did not start under strace");
      await new Promise((r) => setTimeout(r, 50));
    }
  }, 30_000);

  afterAll(async () => {
    if (server.exitCode === null) {
      const exited = new Promise((resolve) => server.once("exit", resolve));
      // Stop the server itself (strace's child), by PID; strace then exits with it. A signal to strace would only
      // make it let go of the server and leave it running.
      const children = readFileSync(`/proc/${server.pid}/task/${server.pid}/children`, "utf8").trim().split(/\s+/);
      for (const pid of children) if (pid) process.kill(Number(pid), "SIGTERM");
      const timer = setTimeout(() => server.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("answers each create and consume only after an fdatasync of the WAL that began after its commit", async () => {
    for (let i = 0; i < 5; i++) {
      const text = `durable-${i}-${crypto.randomUUID()}`;
      recordSecrets(text);
      const link = await createLink({ server: url, text });
      recordSecrets(link.id, link.url);
      const opened = await openLink(link.url, { deriveKey });
      expect(opened.kind === "text" ? opened.text : null).toBe(text);
    }
    const trace = readFileSync(traceFile(), "utf8");
    // The trace saw what it must judge: the WAL, its writes, its syncs and the answers.
    expect(trace).toMatch(/-wal", /);
    expect(trace).toMatch(/fdatasync\(/);
    expect(trace.match(/"HTTP\/1\.1 20[01] /g)?.length ?? 0).toBeGreaterThanOrEqual(10);
    expect(unsyncedAnswer(trace)).toBeNull();
  }, 60_000);
});

/** Stops a server that runs under strace: the server itself (strace's child), by PID, and waits for strace to exit. */
async function stopTraced(tracer: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (tracer.exitCode !== null || tracer.signalCode !== null) return;
  const exited = new Promise((resolve) => tracer.once("exit", resolve));
  const children = readFileSync(`/proc/${tracer.pid}/task/${tracer.pid}/children`, "utf8").trim().split(/\s+/);
  for (const pid of children) if (pid) process.kill(Number(pid), signal);
  const timer = setTimeout(() => tracer.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

describe("a WAL fsync that fails (EIO injected by strace)", () => {
  it("answers no consume 200 it could not make durable, burns nothing while saying unavailable, and then refuses every write", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "oncelink-eio-"));
    // Links and sessions made on a healthy server first.
    const healthy = await startServer({ name: "eio-setup", dataDir, env: { POW_MAX_NUMBER: "20" } });
    const made = async (): Promise<{ id: string; manageToken: string; session: string }> => {
      const text = `eio-${crypto.randomUUID()}`;
      const created = await fetch(`${healthy.url}/api/v1/links`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ content: text }) });
      const { id, manage_url: manageUrl } = (await created.json()) as { id: string; manage_url: string };
      const challenge = (await (await fetch(`${healthy.url}/api/v1/links/${id}/challenge`)).json()) as Challenge;
      const solution = await solveChallenge({ challenge, deriveKey });
      const pow = Buffer.from(JSON.stringify({ challenge, solution })).toString("base64");
      const minted = await fetch(`${healthy.url}/api/v1/links/${id}/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ pow }) });
      const { session } = (await minted.json()) as { session: string };
      const manageToken = manageUrl.split("#")[1]!;
      recordSecrets(text, id, manageToken, session);
      return { id, manageToken, session };
    };
    const links: Array<Awaited<ReturnType<typeof made>>> = [];
    for (let i = 0; i < 7; i++) links.push(await made());
    const last = links.pop()!;
    await healthy.stop();

    // The same data on a server whose fdatasync of the WAL fails from its fourth call on (strace counts per thread, and
    // the server's one pool thread makes them): its start and two consumes are synced, the third is committed but
    // cannot be made durable.
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const wal = join(dataDir, "oncelink.db-wal");
    const tracer = spawn(
      "strace",
      ["-f", "-qq", "--seccomp-bpf", "-P", wal, "-e", "trace=fdatasync", "-e", "inject=fdatasync:error=EIO:when=4+", "-o", join(dataDir, "strace.txt"), process.execPath, join(ROOT, "bin/oncelink.js"), "serve"],
      { env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", DATA_DIR: dataDir, PUBLIC_URL: url, LOG_LEVEL: "fatal", POW_MAX_NUMBER: "20", UV_THREADPOOL_SIZE: "1" }, stdio: "ignore" },
    );
    try {
      for (let i = 0; !(await fetch(`${url}/readyz`).then((r) => r.ok, () => false)); i++) {
        if (i > 400) throw new Error("the server did not start under strace");
        await new Promise((r) => setTimeout(r, 50));
      }
      const consume = async (link: (typeof links)[number]) => {
        const res = await fetch(`${url}/api/v1/links/${link.id}/consume`, { method: "POST", headers: { authorization: `Session ${link.session}` } });
        return { status: res.status, body: await res.text() };
      };
      // One after another: one batch, so one fsync, each.
      const answers: Array<{ status: number; body: string }> = [];
      for (const link of links) answers.push(await consume(link));
      const failed = answers.findIndex((a) => a.status === 500);
      expect(failed).toBeGreaterThan(0);
      expect(answers.map((a) => a.status)).toEqual(answers.map((_, i) => (i < failed ? 200 : 500)));
      expect((await fetch(`${url}/readyz`)).status).toBe(503);
      // After the failure no write runs at all: this consume is refused and its link stays fresh.
      expect((await consume(last)).status).toBe(500);
      await stopTraced(tracer, "SIGKILL");

      const after = await startServer({ name: "eio-after", dataDir, env: { POW_MAX_NUMBER: "20" } });
      try {
        const state = async (link: (typeof links)[number]) =>
          ((await (await fetch(`${after.url}/api/v1/links/${link.id}/status`, { headers: { authorization: `Bearer ${link.manageToken}` } })).json()) as { state: string }).state;
        // Every acknowledged consume is there. The batch whose sync failed was committed: its link is spent though its
        // client got a 500 (which the client library reports as "may have used the link up", see protocol.md). Every
        // later consume was refused before it ran: those links are still fresh.
        const states = await Promise.all([...links, last].map(state));
        expect(states).toEqual([...links, last].map((_, i) => (i <= failed ? "consumed" : "fresh")));
      } finally {
        await after.stop();
      }
    } finally {
      await stopTraced(tracer, "SIGKILL");
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
