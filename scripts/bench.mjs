// `npm run bench`: starts the real server on a temporary DATA_DIR (durable SQLite: group commit, a WAL fsync before each answer)
// and a bare Fastify hello-world, then measures with autocannon in one run: create (server-encrypted 1 KiB),
// session, consume, and the hello-world ceiling. Prints req/s, p50, p99 and each ratio to the hello-world.
// BENCH_STORE=postgres measures the server on a throwaway PostgreSQL cluster instead (Debian's postgresql, fsync and
// synchronous_commit on), BENCH_STORE=sqlite,postgres both in the same run, one after the other.
// Half the sessions are bound to a device key, as the web page and the CLI bind theirs (the consume then carries an
// ECDSA P-256 signature that the server verifies); half are not (a plain curl client). The two consumes are
// measured apart.
// The file case (BENCH_FILE_MB, default 1024; 0 skips it) sends a file of that size up and down through the CLI
// (`create --file`, `open --out`) against a fresh server, and reports MB/s and the peak RSS (VmHWM, read from /proc)
// of the server and of each CLI run. BENCH_HTTP=0 skips the request-rate cases (and the hello-world).
import { fork, spawn } from "node:child_process";
import { createHash, generateKeyPairSync, randomFillSync, sign } from "node:crypto";
import { createReadStream, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, closeSync, writeSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { clearInterval, setInterval } from "node:timers";
import { join } from "node:path";
import { solveChallenge } from "altcha-lib";
import { deriveKey } from "altcha-lib/algorithms/sha";
import { startPostgres } from "./pg-cluster.mjs";
import { freePort, measure, waitReady } from "./bench-util.mjs";

const root = new URL("..", import.meta.url).pathname;
const DURATION = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 100);
const STORES = (process.env.BENCH_STORE ?? "sqlite").split(",").map((s) => s.trim());
const FILE_MB = Number(process.env.BENCH_FILE_MB ?? 1024);
const HTTP_CASES = process.env.BENCH_HTTP !== "0";
if (STORES.length === 0 || STORES.some((s) => s !== "sqlite" && s !== "postgres")) {
  console.error("BENCH_STORE must be sqlite, postgres or sqlite,postgres");
  process.exit(2);
}

// BENCH_PROFILE=DIR: the server loads bench-profiler.mjs, and each measured case of it is profiled on its own.
const PROFILE_DIR = process.env.BENCH_PROFILE ?? null;
let profiles = 0;

/**
 * One autocannon run; with `pid`, also the CPU time that process spent on it (result.cpuMicros). With `profileName`
 * and BENCH_PROFILE set, the process is profiled for the duration of the run.
 */
async function run(opts, pid, profileName) {
  const profiling = PROFILE_DIR !== null && profileName !== undefined;
  if (profiling) process.kill(pid, "SIGUSR2");
  const result = await measure({ connections: CONNECTIONS, ...opts }, pid);
  if (profiling) {
    process.kill(pid, "SIGUSR2");
    console.log(`profile ${join(PROFILE_DIR, `${++profiles}.cpuprofile`)}: ${profileName}`);
  }
  return result;
}

/** A device key as a client makes one (node:crypto here): the raw public point, and a signer of session tokens. */
function deviceKey() {
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jwk = publicKey.export({ format: "jwk" });
  const raw = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, "base64url"), Buffer.from(jwk.y, "base64url")]);
  return {
    publicKey: raw.toString("base64url"),
    // docs/protocol.md: the signed bytes are "oncelink/consume/v1\n" followed by the session token.
    sign: (session) =>
      sign("sha256", Buffer.from(`oncelink/consume/v1\n${session}`), { key: privateKey, dsaEncoding: "ieee-p1363" }).toString("base64url"),
  };
}

function summarize(name, result) {
  const ok = result["2xx"];
  const bad = result.non2xx + result.errors + result.timeouts;
  const answered = ok + result.non2xx;
  return {
    name,
    rps: Math.round(ok / result.duration),
    p50: result.latency.p50,
    p99: result.latency.p99,
    // Server CPU per answered request (microseconds): the load-independent cost of one request.
    cpuUs: result.cpuMicros == null || answered === 0 ? null : Math.round((result.cpuMicros / answered) * 10) / 10,
    // The same for the main thread alone (the one that parses, routes and answers; SQLite writes on another).
    mainUs: result.mainCpuMicros == null || answered === 0 ? null : Math.round((result.mainCpuMicros / answered) * 10) / 10,
    requests: ok,
    failures: bad,
  };
}

const helloPort = await freePort();
const hello = fork(join(root, "scripts/bench-hello.mjs"), { env: { ...process.env, PORT: String(helloPort) }, stdio: "ignore" });
// BENCH_PROFILE=DIR writes a CPU profile of each measured server case to DIR, for finding where its time goes.
const profile = PROFILE_DIR === null ? [] : ["--import", join(root, "scripts/bench-profiler.mjs")];
if (PROFILE_DIR !== null) mkdirSync(PROFILE_DIR, { recursive: true });
const results = [];
const cleanups = [];

/** Starts the server on `store`, measures create, session and consume against it, and stops it. */
async function benchServer(store) {
  const label = STORES.length > 1 || store !== "sqlite" ? ` [${store}]` : "";
  const dataDir = mkdtempSync(join(tmpdir(), "oncelink-bench-"));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  let databaseUrl = {};
  if (store === "postgres") {
    const cluster = await startPostgres();
    cleanups.push(() => cluster.stop());
    databaseUrl = { DATABASE_URL: cluster.url };
  }
  const appPort = await freePort();
  const server = spawn(process.execPath, [...profile, join(root, "bin/oncelink.js"), "serve"], {
    env: {
      ...process.env,
      PORT: String(appPort),
      HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
      // The work of the proof is the client's; verifying costs the server the same whatever the difficulty.
      POW_MAX_NUMBER: "1",
      // One load generator is one address: measure the store, not the limiter.
      RATE_LIMIT_CREATE: "0",
      RATE_LIMIT_OPEN: "0",
      ...databaseUrl,
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const base = `http://127.0.0.1:${appPort}`;
  try {
    await waitReady(`${base}/readyz`);
    await run({ url: `${base}/healthz`, duration: 2 }); // JIT warm-up, not counted
    // Create: 1 KiB server-encrypted secrets; keep the ids for the next cases.
    const content = "x".repeat(1024);
    const ids = [];
    results.push(
      summarize(
        `create (server-encrypted 1 KiB)${label}`,
        await run({
          url: base,
          duration: DURATION,
          requests: [
            {
              method: "POST",
              path: "/api/v1/links",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ content }),
              onResponse: (status, body) => {
                if (status === 201) ids.push(JSON.parse(body).id);
              },
            },
          ],
        }, server.pid, "create"),
      ),
    );

    // Challenges for every link (not measured), solved here as a client would.
    const links = ids.map((id, i) => ({ id, pow: null, session: null, device: i % 2 === 0 ? deviceKey() : null, headers: null }));
    let next = 0;
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (next < links.length) {
          const link = links[next++];
          const challenge = await (await fetch(`${base}/api/v1/links/${link.id}/challenge`)).json();
          const solution = await solveChallenge({ challenge, deriveKey });
          link.pow = Buffer.from(JSON.stringify({ challenge, solution })).toString("base64");
          // A client that is not a browser gets the "confirm" friction: it sends the second confirmation at once.
          link.confirm = challenge.friction === "confirm";
        }
      }),
    );

    let s = 0;
    results.push(
      summarize(
        `session (verify PoW, mint token)${label}`,
        await run({
          url: base,
          amount: links.length,
          requests: [
            {
              method: "POST",
              headers: { "content-type": "application/json" },
              setupRequest: (req, context) => {
                const link = links[s++];
                context.link = link;
                const body = { pow: link.pow };
                if (link.confirm) body.confirm = true;
                if (link.device) body.device_key = link.device.publicKey;
                return { ...req, path: `/api/v1/links/${link.id}/session`, body: JSON.stringify(body) };
              },
              onResponse: (status, body, context) => {
                if (status === 201) context.link.session = JSON.parse(body).session;
              },
            },
          ],
        }, server.pid, "session"),
      ),
    );

    const ready = links.filter((l) => l.session);
    if (ready.length < links.length) throw new Error(`only ${ready.length} of ${links.length} sessions were minted`);
    // The device signatures are the client's work: made here, before the measurement.
    for (const link of ready) {
      link.headers = { authorization: `Session ${link.session}` };
      if (link.device) {
        link.headers["oncelink-device-key"] = link.device.publicKey;
        link.headers["oncelink-device-signature"] = link.device.sign(link.session);
      }
    }
    for (const [name, group] of [
      [`consume (durable, one-time)${label}`, ready.filter((l) => !l.device)],
      [`consume, device-bound (+ECDSA verify)${label}`, ready.filter((l) => l.device)],
    ]) {
      let c = 0;
      results.push(
        summarize(
          name,
          await run({
            url: base,
            amount: group.length,
            requests: [
              {
                method: "POST",
                setupRequest: (req) => {
                  const link = group[c++];
                  return { ...req, path: `/api/v1/links/${link.id}/consume`, headers: link.headers };
                },
              },
            ],
          }, server.pid, name),
        ),
      );
    }
  } finally {
    if (server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((r) => server.once("exit", r));
      server.kill("SIGTERM");
      await exited;
    }
  }
}


/** Peak resident memory (VmHWM) of a running process in MB; null once it is gone. */
function peakMb(pid) {
  try {
    const kb = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb === undefined ? null : Math.round(Number(kb) / 1024);
  } catch {
    return null;
  }
}

/** Runs the CLI, sampling its peak RSS until it exits; resolves with its stdout, the peak and the wall time. */
function runCli(args, env) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [join(root, "bin/oncelink.js"), ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let peak = 0;
    const sample = setInterval(() => {
      peak = Math.max(peak, peakMb(child.pid) ?? 0);
    }, 20);
    const out = [];
    const err = [];
    child.stdout.on("data", (c) => out.push(c));
    child.stderr.on("data", (c) => err.push(c));
    child.once("error", reject);
    child.once("exit", (code) => {
      clearInterval(sample);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code !== 0) reject(new Error(`oncelink ${args[0]} exited ${code}: ${Buffer.concat(err).toString().trim()}`));
      else resolve({ stdout: Buffer.concat(out).toString(), peak, seconds });
    });
  });
}

async function sha256File(file) {
  const hash = createHash("sha256");
  for await (const piece of createReadStream(file, { highWaterMark: 1024 * 1024 })) hash.update(piece);
  return hash.digest("hex");
}

/** The file case: BENCH_FILE_MB of random bytes up through `create --file` and down through `open --out`. */
async function benchFile(store) {
  const label = STORES.length > 1 || store !== "sqlite" ? ` [${store}]` : "";
  const dir = mkdtempSync(join(tmpdir(), "oncelink-bench-file-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  let databaseUrl = {};
  if (store === "postgres") {
    const cluster = await startPostgres();
    cleanups.push(() => cluster.stop());
    databaseUrl = { DATABASE_URL: cluster.url };
  }
  const source = join(dir, "in.bin");
  const fd = openSync(source, "w");
  const piece = Buffer.alloc(4 * 1024 * 1024);
  for (let left = FILE_MB * 1024 * 1024; left > 0; left -= piece.length) writeSync(fd, randomFillSync(piece), 0, Math.min(left, piece.length));
  closeSync(fd);
  const port = await freePort();
  const server = spawn(process.execPath, [join(root, "bin/oncelink.js"), "serve"], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: "127.0.0.1",
      DATA_DIR: join(dir, "data"),
      LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
      RATE_LIMIT_CREATE: "0",
      RATE_LIMIT_OPEN: "0",
      MAX_FILE_BYTES: String(Math.max(FILE_MB, 1) * 1024 * 1024),
      FILE_STORAGE_QUOTA: String(4 * Math.max(FILE_MB, 1) * 1024 * 1024),
      ...databaseUrl,
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitReady(`${base}/readyz`);
    const idle = peakMb(server.pid);
    const env = { ONCELINK_SERVER: base };
    const up = await runCli(["create", "--json", "--file", source], env);
    const { url } = JSON.parse(up.stdout);
    const target = join(dir, "out.bin");
    const down = await runCli(["open", url, "--out", target], env);
    const intact = (await sha256File(source)) === (await sha256File(target));
    const serverPeak = peakMb(server.pid);
    const mb = (FILE_MB * 1024 * 1024) / 1e6;
    fileResults.push({
      name: `file ${FILE_MB} MiB via CLI${label}`,
      up_mb_s: Math.round((mb / up.seconds) * 10) / 10,
      down_mb_s: Math.round((mb / down.seconds) * 10) / 10,
      server_idle_rss_mb: idle,
      server_peak_rss_mb: serverPeak,
      cli_create_peak_rss_mb: up.peak,
      cli_open_peak_rss_mb: down.peak,
      intact,
    });
    if (!intact) process.exitCode = 1;
  } finally {
    if (server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((r) => server.once("exit", r));
      server.kill("SIGTERM");
      await exited;
    }
  }
}

const fileResults = [];

try {
  await waitReady(`http://127.0.0.1:${helloPort}/`);
  console.log(`oncelink bench: ${DURATION}s per case, ${CONNECTIONS} connections, stores: ${STORES.join(", ")} (durable: SQLite WAL fsync before each answer, PostgreSQL fsync + synchronous_commit)\n`);

  const helloUrl = `http://127.0.0.1:${helloPort}/`;
  if (HTTP_CASES) {
    await run({ url: helloUrl, duration: 2 }); // JIT warm-up, not counted
    const helloBefore = summarize("hello-world, before", await run({ url: helloUrl, duration: DURATION }, hello.pid));
    for (const store of STORES) await benchServer(store);
    // The machine's speed drifts during a run; the ceiling is the mean of a hello-world before and after.
    const helloAfter = summarize("hello-world, after", await run({ url: helloUrl, duration: DURATION }, hello.pid));
    const ceiling = {
      name: "hello-world (bare Fastify, mean)",
      rps: Math.round((helloBefore.rps + helloAfter.rps) / 2),
      p50: Math.max(helloBefore.p50, helloAfter.p50),
      p99: Math.max(helloBefore.p99, helloAfter.p99),
      cpuUs:
        helloBefore.cpuUs === null || helloAfter.cpuUs === null
          ? null
          : Math.round(((helloBefore.cpuUs * helloBefore.requests + helloAfter.cpuUs * helloAfter.requests) / (helloBefore.requests + helloAfter.requests)) * 10) / 10,
      mainUs:
        helloBefore.mainUs === null || helloAfter.mainUs === null
          ? null
          : Math.round(((helloBefore.mainUs * helloBefore.requests + helloAfter.mainUs * helloAfter.requests) / (helloBefore.requests + helloAfter.requests)) * 10) / 10,
      requests: helloBefore.requests + helloAfter.requests,
      failures: helloBefore.failures + helloAfter.failures,
    };
    results.unshift(ceiling, helloBefore, helloAfter);
  }
  if (FILE_MB > 0) for (const store of STORES) await benchFile(store);
} finally {
  hello.kill("SIGTERM");
  for (const cleanup of cleanups.reverse()) await cleanup();
}

if (results.length > 0) {
  const ceiling = results[0];
  if (results.some((r) => r.failures > 0)) process.exitCode = 1;
  // "cpu us": server CPU microseconds per request, all threads; "main us": its main thread's alone; "hello/cpu": the
  // hello-world's CPU per request divided by this case's, i.e. the share of the ceiling this case would reach if CPU
  // were all that limited it (both single-threaded). These move far less than req/s when other work shares the cores.
  console.log(
    "case".padEnd(40), "req/s".padStart(8), "p50 ms".padStart(8), "p99 ms".padStart(8), "vs hello".padStart(9),
    "cpu us".padStart(8), "main us".padStart(8), "hello/cpu".padStart(10), "failed".padStart(7),
  );
  const pct = (x) => (x === null ? "-" : `${x}%`);
  for (const r of results) {
    r.ratio = Math.round((r.rps / ceiling.rps) * 1000) / 10;
    r.cpuRatio = r.cpuUs === null || ceiling.cpuUs === null ? null : Math.round((ceiling.cpuUs / r.cpuUs) * 1000) / 10;
    console.log(
      r.name.padEnd(40), String(r.rps).padStart(8), String(r.p50).padStart(8), String(r.p99).padStart(8), `${r.ratio}%`.padStart(9),
      String(r.cpuUs ?? "-").padStart(8), String(r.mainUs ?? "-").padStart(8), pct(r.cpuRatio).padStart(10), String(r.failures).padStart(7),
    );
  }
}
if (fileResults.length > 0) {
  // Target: the server and each CLI run under 150 MB of peak RSS, whatever the file size.
  console.log(`\n${"file case".padEnd(36)} ${"up MB/s".padStart(8)} ${"down MB/s".padStart(9)} ${"server idle/peak MB".padStart(20)} ${"CLI create/open MB".padStart(19)} intact`);
  for (const f of fileResults) {
    console.log(
      f.name.padEnd(36),
      String(f.up_mb_s).padStart(8),
      String(f.down_mb_s).padStart(9),
      `${f.server_idle_rss_mb} / ${f.server_peak_rss_mb}`.padStart(20),
      `${f.cli_create_peak_rss_mb} / ${f.cli_open_peak_rss_mb}`.padStart(19),
      f.intact ? "yes" : "NO",
    );
  }
}
mkdirSync(join(root, "bench-results"), { recursive: true });
writeFileSync(join(root, "bench-results/latest.json"), JSON.stringify({ when: new Date().toISOString(), results, files: fileResults }, null, 2));
