// A throwaway PostgreSQL cluster for the test suites and the benchmark: Debian's server binaries, initdb into a temp
// dir as an unprivileged user (postgres refuses to run as root), TCP on a free loopback port, the unix socket inside
// the temp dir, stopped by PID. Used by scripts/test.mjs, scripts/bench.mjs and test/helpers/postgres.ts.
import { spawn, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

/** The database every cluster is created with; tests make one schema per store inside it. */
export const TEST_DATABASE = "oncelink";

/** Newest installed /usr/lib/postgresql/VERSION/bin that has initdb and postgres, or null. */
export function findPostgresBin() {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, "bin/initdb")) && existsSync(join(root, v, "bin/postgres")))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(root, versions[0], "bin") : null;
}

/** uid/gid to run postgres as: ourselves, or `nobody` when we are root. */
function serverUser() {
  if (process.getuid?.() !== 0) return {};
  const line = readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith("nobody:"));
  if (!line) throw new Error("pg-cluster: running as root and there is no `nobody` user to run postgres as");
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

const freePort = () =>
  new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts a fresh cluster and resolves once it accepts connections and has the `oncelink` database.
 * `fsync: false` is for test runs only: it changes nothing for a killed *process* (a committed transaction is in the
 * kernel's page cache either way, and synchronous_commit stays on), only for a crash of the whole machine.
 * @param {{ logFile?: string, fsync?: boolean, settings?: Record<string, string> }} [opts]
 * @returns {Promise<{ url: string, port: number, pid: number, dir: string, stop(): Promise<void> }>}
 */
export async function startPostgres(opts = {}) {
  const bin = findPostgresBin();
  if (!bin) throw new Error("pg-cluster: PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb); apt-get install postgresql");
  const user = serverUser();
  const dir = mkdtempSync(join(tmpdir(), "oncelink-pg-"));
  const data = join(dir, "data");
  const sockets = join(dir, "sock");
  mkdirSync(sockets);
  if (user.uid !== undefined) for (const p of [dir, sockets]) chownSync(p, user.uid, user.gid);
  const init = spawnSync(
    join(bin, "initdb"),
    ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"],
    { cwd: dir, ...user, encoding: "utf8" },
  );
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`pg-cluster: initdb failed (${init.status}): ${init.stderr}`);
  }
  const settings = {
    listen_addresses: "127.0.0.1",
    unix_socket_directories: sockets,
    fsync: opts.fsync === false ? "off" : "on",
    synchronous_commit: "on",
    max_connections: "400",
    shared_buffers: "128MB",
    log_min_messages: "warning",
    log_line_prefix: "%m [%p] ",
    ...opts.settings,
  };
  const args = Object.entries(settings).flatMap(([k, v]) => ["-c", `${k}=${v}`]);
  const logFd = opts.logFile ? openSync(opts.logFile, "a") : "ignore";
  // A port picked free can be taken before postgres binds it: try a few.
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child = spawn(join(bin, "postgres"), ["-D", data, "-p", String(port), ...args], {
      cwd: dir,
      ...user,
      stdio: ["ignore", logFd, logFd],
    });
    const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve(signal ?? code)));
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    const ready = await waitReady(url, child);
    if (!ready) {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
      if (attempt < 3) continue;
      if (typeof logFd === "number") closeSync(logFd);
      rmSync(dir, { recursive: true, force: true });
      throw new Error("pg-cluster: postgres did not start" + (opts.logFile ? `; see ${opts.logFile}` : ""));
    }
    if (typeof logFd === "number") closeSync(logFd);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${TEST_DATABASE}`);
    await admin.end();
    let stopped = false;
    return {
      url: `postgres://postgres@127.0.0.1:${port}/${TEST_DATABASE}`,
      port,
      pid: child.pid,
      dir,
      async stop() {
        if (stopped) return;
        stopped = true;
        if (child.exitCode === null && child.signalCode === null) {
          // SIGINT is postgres' "fast" shutdown: it ends the sessions, checkpoints and exits with its children.
          child.kill("SIGINT");
          const timers = [setTimeout(() => child.kill("SIGQUIT"), 15_000), setTimeout(() => child.kill("SIGKILL"), 25_000)];
          await exited;
          timers.forEach(clearTimeout);
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}

async function waitReady(url, child) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    client.on("error", () => {});
    try {
      await client.connect();
      await client.query("SELECT 1");
      await client.end();
      return true;
    } catch {
      await client.end().catch(() => {});
      await sleep(50);
    }
  }
  return false;
}

/**
 * Installs Debian's packages (as root, or through sudo) when `check` says they are missing. Returns false on failure.
 * @param {string[]} packages
 */
export function aptInstall(packages) {
  const asRoot = process.getuid?.() === 0;
  const apt = (args) =>
    spawnSync(asRoot ? "apt-get" : "sudo", asRoot ? args : ["apt-get", ...args], {
      stdio: "inherit",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    }).status === 0;
  return apt(["update", "-qq"]) && apt(["install", "-y", "-qq", "--no-install-recommends", ...packages]);
}
