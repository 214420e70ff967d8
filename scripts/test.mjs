// `npm test`: installs what the suites need when it is missing, builds, lints, typechecks, runs every suite,
// then scans the logs of the whole run for secrets. Prints a closing "N passed, N failed" line.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { aptInstall, findPostgresBin, startPostgres } from "./pg-cluster.mjs";

const root = new URL("..", import.meta.url).pathname;
process.chdir(root);

function run(cmd, args, opts = {}) {
  const res = spawnSync(cmd, args, { stdio: "inherit", ...opts });
  return res.status ?? 1;
}

function step(name, cmd, args, opts) {
  console.log(`\n== ${name}`);
  const status = run(cmd, args, opts);
  if (status !== 0) {
    console.error(`== ${name} failed (exit ${status})`);
    process.exit(status);
  }
}

// Browser suites drive Debian's Chromium; a fresh machine does not have it.
if (!existsSync("/usr/bin/chromium")) {
  console.log("== installing Debian's chromium for the browser suites");
  const asRoot = process.getuid?.() === 0 ? [] : ["sudo"];
  const apt = (args) => run(asRoot[0] ?? "apt-get", asRoot.length ? ["apt-get", ...args] : args, {
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
  if (apt(["update", "-qq"]) !== 0 || apt(["install", "-y", "-qq", "--no-install-recommends", "chromium"]) !== 0) {
    console.error("could not install chromium; the browser suites need /usr/bin/chromium");
    process.exit(1);
  }
}

// The PostgreSQL suites run on a throwaway cluster of Debian's postgresql, the multi-node suite puts Debian's nginx
// in front of three servers, and the WAL durability suite watches the server's system calls with strace: a fresh
// machine has none of them.
const missing = [
  ...(findPostgresBin() ? [] : ["postgresql"]),
  ...(existsSync("/usr/sbin/nginx") ? [] : ["nginx"]),
  ...(existsSync("/usr/bin/strace") ? [] : ["strace"]),
];
if (missing.length > 0) {
  console.log(`== installing Debian's ${missing.join(", ")} for the PostgreSQL, multi-node and WAL durability suites`);
  if (!aptInstall(missing)) {
    console.error(`could not install ${missing.join(", ")}; the PostgreSQL, multi-node and WAL durability suites need them`);
    process.exit(1);
  }
}

step("build", process.execPath, ["scripts/build.mjs"]);
step("lint", process.execPath, ["node_modules/eslint/bin/eslint.js", "."]);
step("typecheck", process.execPath, ["node_modules/typescript/bin/tsc", "--noEmit", "-p", "tsconfig.test.json"]);

rmSync(".test-logs", { recursive: true, force: true });
mkdirSync(".test-logs", { recursive: true });
const vitest = ["node_modules/vitest/vitest.mjs", "run"];
const extra = process.argv.slice(2);

console.log("\n== starting a throwaway PostgreSQL for the suites");
const cluster = await startPostgres({ logFile: ".test-logs/postgres.log" });
console.log(`PostgreSQL (pid ${cluster.pid}) on 127.0.0.1:${cluster.port}, data in ${cluster.dir}`);
let suites;
try {
  console.log("\n== test suites");
  suites = run(process.execPath, [...vitest, "--reporter=default", "--reporter=json", "--outputFile.json=.test-logs/results-suites.json", ...extra], {
    env: { ...process.env, ONCELINK_TEST_DATABASE_URL: cluster.url, ONCELINK_TEST_PG_DIR: cluster.dir },
  });
} finally {
  // By PID, before the log scan reads its log.
  await cluster.stop();
}
console.log("\n== log scan (runs after every other suite)");
const scan = run(process.execPath, [...vitest, "--reporter=default", "--reporter=json", "--outputFile.json=.test-logs/results-scan.json"], {
  env: { ...process.env, ONCELINK_LOG_SCAN: "1" },
});

let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of [".test-logs/results-suites.json", ".test-logs/results-scan.json"]) {
  if (!existsSync(file)) continue;
  const r = JSON.parse(readFileSync(file, "utf8"));
  passed += r.numPassedTests ?? 0;
  failed += r.numFailedTests ?? 0;
  skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
}
const status = suites !== 0 || scan !== 0 ? 1 : 0;
if (status !== 0 && failed === 0) failed = 1; // a suite that crashed before reporting still counts as a failure
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(status);
