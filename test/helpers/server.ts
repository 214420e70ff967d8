import { spawn } from "node:child_process";
import { closeSync, fstatSync, mkdtempSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestSchema, testDatabaseUrl, testStore } from "./postgres.js";
import { LOG_DIR } from "./secrets.js";

const ROOT = new URL("../..", import.meta.url).pathname;

export interface RunningServer {
  url: string;
  port: number;
  dataDir: string;
  pid: number;
  /** Stops the server by PID (SIGTERM, then SIGKILL after 5 s) and waits for it to exit. */
  stop(): Promise<void>;
  /** Kills the server with SIGKILL (crash simulation) and waits for it to exit. */
  kill(): Promise<void>;
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** PostgreSQL schema of each DATA_DIR, so a server restarted on the same DATA_DIR finds the same database. */
const schemaOfDataDir = new Map<string, string>();

/** DATABASE_URL for a server of this test file: none for SQLite, else the schema that belongs to `dataDir`. */
async function databaseEnv(dataDir: string): Promise<Record<string, string>> {
  if (testStore() !== "postgres") return {};
  let url = schemaOfDataDir.get(dataDir);
  if (url === undefined) {
    url = (await createTestSchema(await testDatabaseUrl())).url;
    schemaOfDataDir.set(dataDir, url);
  }
  return { DATABASE_URL: url };
}

/**
 * Starts the real server (`node bin/oncelink.js serve`, built by `npm test` beforehand) on a free port with a
 * fresh DATA_DIR unless one is given; its output goes to `.test-logs/` for the log scan. In a test file that called
 * `useStore("postgres")` the server runs on PostgreSQL (one schema per DATA_DIR) unless `env` sets DATABASE_URL.
 */
export async function startServer(
  opts: {
    env?: Record<string, string>;
    dataDir?: string;
    name?: string;
    /** Host name in PUBLIC_URL and `url` (default 127.0.0.1); passkeys need a domain name such as "localhost". */
    publicHost?: string;
  } = {},
): Promise<RunningServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), "oncelink-test-"));
  mkdirSync(LOG_DIR, { recursive: true });
  const databaseUrl = await databaseEnv(dataDir);
  // freePort() releases the port before the server binds it, so a server of another suite may take it meanwhile:
  // then ours exits with EADDRINUSE, and a few tries on other ports make that race harmless.
  for (let attempt = 1; ; attempt++) {
    const started = await spawnServer(opts, dataDir, databaseUrl);
    if (started !== "port-taken") return started;
    if (attempt === 3) throw new Error("server could not bind a free port in three tries");
  }
}

async function spawnServer(
  opts: Parameters<typeof startServer>[0] & object,
  dataDir: string,
  databaseUrl: Record<string, string>,
): Promise<RunningServer | "port-taken"> {
  const port = await freePort();
  const logFile = join(LOG_DIR, `server-${opts.name ?? "test"}-${process.pid}-${port}.log`);
  const out = openSync(logFile, "a");
  // The file may hold an earlier server's lines (same name and port in this worker): read only what this one writes.
  const logStart = fstatSync(out).size;
  const ownLog = () => readFileSync(logFile).subarray(logStart).toString("utf8");
  const child = spawn(process.execPath, [join(ROOT, "bin/oncelink.js"), "serve"], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      PUBLIC_URL: `http://${opts.publicHost ?? "127.0.0.1"}:${port}`,
      // Suites drive many requests from one address: limits they do not test stay out of their way.
      RATE_LIMIT_CREATE: "1000000",
      RATE_LIMIT_OPEN: "1000000",
      RATE_LIMIT_PASSPHRASE: "1000000",
      ...databaseUrl,
      ...opts.env,
    },
    stdio: ["ignore", out, out],
  });
  closeSync(out);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `http://${opts.publicHost ?? "127.0.0.1"}:${port}`;
  // The line is written at info level; a suite that asks for less gives up that check (and keeps the small race).
  const logsListening = !["warn", "error", "fatal", "silent"].includes(opts.env?.LOG_LEVEL || process.env.LOG_LEVEL || "info");
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) {
      if (ownLog().includes("EADDRINUSE")) return "port-taken";
      throw new Error(`server exited early (code ${child.exitCode}); see ${logFile}`);
    }
    // Ready once /readyz answers AND our child logged that it listens: another server that took the port would
    // answer /readyz too.
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (res.ok && (!logsListening || ownLog().includes("oncelink is listening"))) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`server did not become ready; see ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const pid = child.pid!;
  return {
    url,
    port,
    dataDir,
    pid,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGKILL");
      await exited;
    },
  };
}
