// Durability at the system-call level: the real server runs under strace, and every create and consume it answers
// must have been preceded by an fdatasync of SQLite's write-ahead log that started after the last write into that log.
// A kill -9 test cannot show this (the page cache survives a killed process, not a power cut); the trace can.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deriveKey } from "altcha-lib/algorithms/sha";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLink } from "../src/client/create-link.js";
import { openLink } from "../src/client/open-link.js";
import { freePort } from "./helpers/server.js";
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
