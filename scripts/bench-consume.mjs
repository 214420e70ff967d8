// `npm run bench:consume [-- DIR ...]`: the durable consume alone, measured against the bare Fastify hello-world, and
// compared across builds. Each DIR is a built checkout of oncelink (its dist/ and bin/; default: this one). A change
// to the consume path is worth a few percent at most, and single runs of the same build differ by up to 10-15%
// between fresh processes on these machines, so this runs several rounds and reports medians:
//  - each round starts a fresh server per build, on its own data dir, filled beforehand with BENCH_LINKS fresh links
//    and a session token for each (made with that build's own modules, as its session step would);
//  - the builds' consumes and the hello-world are measured in interleaved slices of the same round, so a drift of
//    the machine's speed touches them alike.
// It prints, per build, consumes/s and the ratio to the hello-world, and the server's CPU per consume (the request
// thread, and all threads).
// BENCH_ROUNDS (default 3), BENCH_LINKS (per build and round, default 40000), BENCH_SLICES (default 10),
// BENCH_CONNECTIONS (default 100).
import { fork, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort, measure, waitReady } from "./bench-util.mjs";

const root = new URL("..", import.meta.url).pathname;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const LINKS = Number(process.env.BENCH_LINKS ?? 40000);
const SLICES = Number(process.env.BENCH_SLICES ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 100);
const builds = (process.argv.length > 2 ? process.argv.slice(2) : [root]).map((dir) => resolve(dir));
for (const dir of builds) {
  if (!existsSync(join(dir, "dist/main.js"))) {
    console.error(`${dir} has no build (dist/main.js): run npm ci (or node scripts/build.mjs) there first`);
    process.exit(2);
  }
}
const CONTENT = Buffer.alloc(1024, "x");

/** A data dir holding LINKS fresh 1 KiB text links, and for each its id and a valid session header. */
async function prepare(dir) {
  const mod = (path) => import(join(dir, "dist", path));
  const { loadKeyring } = await mod("crypto/keyring.js");
  const { openSqliteStore } = await mod("store/sqlite.js");
  const { sealContent, deriveSubkey } = await mod("crypto/server-layer.js");
  const { mintSessionToken } = await mod("crypto/session-token.js");
  const { sha256 } = await mod("crypto/hash.js");
  const { newSecret } = await mod("core/ids.js");
  const dataDir = mkdtempSync(join(tmpdir(), "oncelink-bench-consume-"));
  const { keyring } = loadKeyring({ file: join(dataDir, "keys.json") });
  const store = await openSqliteStore({ file: join(dataDir, "oncelink.db") });
  const sessionKey = deriveSubkey(keyring, "session");
  const now = Date.now();
  const links = [];
  for (let i = 0; i < LINKS; i += 500) {
    const writes = [];
    for (let j = 0; j < 500 && i + j < LINKS; j++) {
      const id = newSecret(randomBytes);
      const idHash = sha256(id);
      writes.push(
        store.createLink({
          idHash, manageHash: randomBytes(32), kind: "text", ...sealContent(keyring, CONTENT, idHash),
          policy: "{}", createdAt: now, expiresAt: now + 24 * 3600_000,
        }),
      );
      const session = mintSessionToken(sessionKey, idHash, { expiresAt: now + 3600_000, binding: null }, randomBytes);
      links.push({ path: `/api/v1/links/${id}/consume`, headers: { authorization: `Session ${session}` } });
    }
    await Promise.all(writes);
  }
  await store.close();
  return { dataDir, links };
}

async function startServer(dir, dataDir) {
  const port = await freePort();
  const server = spawn(process.execPath, [join(dir, "bin/oncelink.js"), "serve"], {
    env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", DATA_DIR: dataDir, LOG_LEVEL: "warn", RATE_LIMIT_OPEN: "0" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  await waitReady(`http://127.0.0.1:${port}/readyz`);
  return { server, url: `http://127.0.0.1:${port}` };
}

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}

/** Consumes the next `amount` links of `target`; adds the answers, time and CPU to `total`. */
async function consumeSlice(target, amount, total) {
  let next = target.next;
  target.next += amount;
  const result = await measure(
    {
      url: target.url,
      connections: CONNECTIONS,
      amount,
      requests: [{ method: "POST", setupRequest: (req) => ({ ...req, ...target.links[next++] }) }],
    },
    target.server.pid,
  );
  add(total, result);
}

function add(total, result) {
  if (result.non2xx + result.errors + result.timeouts > 0) throw new Error(`${result.non2xx + result.errors + result.timeouts} requests failed`);
  total.ok += result["2xx"];
  total.seconds += result.duration;
  total.cpu += result.cpuMicros ?? 0;
  total.main += result.mainCpuMicros ?? 0;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = builds.map(() => []);

for (let round = 1; round <= ROUNDS; round++) {
  const helloPort = await freePort();
  const hello = fork(join(root, "scripts/bench-hello.mjs"), { env: { ...process.env, PORT: String(helloPort) }, stdio: "ignore" });
  const targets = [];
  try {
    for (const dir of builds) {
      const { dataDir, links } = await prepare(dir);
      targets.push({ dir, dataDir, links, next: 0, ...(await startServer(dir, dataDir)) });
    }
    await waitReady(`http://127.0.0.1:${helloPort}/`);
    const helloTotal = { ok: 0, seconds: 0, cpu: 0, main: 0 };
    const totals = targets.map(() => ({ ok: 0, seconds: 0, cpu: 0, main: 0 }));
    // Warm-up: a tenth of the links, not counted.
    const warm = Math.floor(LINKS / 10);
    for (const target of targets) await consumeSlice(target, warm, { ok: 0, seconds: 0, cpu: 0, main: 0 });
    const slice = Math.floor((LINKS - warm) / SLICES);
    for (let s = 0; s < SLICES; s++) {
      add(helloTotal, await measure({ url: `http://127.0.0.1:${helloPort}/`, connections: CONNECTIONS, duration: 1 }, hello.pid));
      // Alternate the order, so no build always runs right after the hello-world.
      const order = s % 2 === 0 ? targets.keys() : [...targets.keys()].reverse();
      for (const i of order) await consumeSlice(targets[i], slice, totals[i]);
    }
    const helloRps = helloTotal.ok / helloTotal.seconds;
    console.log(`round ${round}: hello-world ${Math.round(helloRps)} req/s, ${(helloTotal.cpu / helloTotal.ok).toFixed(1)} us per request`);
    totals.forEach((t, i) => {
      const row = { rps: t.ok / t.seconds, ratio: t.ok / t.seconds / helloRps, main: t.main / t.ok, cpu: t.cpu / t.ok };
      rows[i].push(row);
      console.log(
        `  ${builds[i]}: ${Math.round(row.rps)} consumes/s = ${(100 * row.ratio).toFixed(1)}% of the hello-world, ` +
          `${row.main.toFixed(1)} us request thread, ${row.cpu.toFixed(1)} us all threads`,
      );
    });
  } finally {
    await stop(hello);
    for (const target of targets) {
      await stop(target.server);
      rmSync(target.dataDir, { recursive: true, force: true });
    }
  }
}

console.log(`\nmedians of ${ROUNDS} rounds (${CONNECTIONS} connections, durable SQLite consume of a 1 KiB text link):`);
builds.forEach((dir, i) => {
  const r = rows[i];
  console.log(
    `  ${dir}: ${Math.round(median(r.map((x) => x.rps)))} consumes/s = ${(100 * median(r.map((x) => x.ratio))).toFixed(1)}% of the hello-world, ` +
      `${median(r.map((x) => x.main)).toFixed(1)} us request thread, ${median(r.map((x) => x.cpu)).toFixed(1)} us all threads`,
  );
});
