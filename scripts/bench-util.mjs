// Pieces shared by the benchmarks (bench.mjs, bench-consume.mjs): ports, readiness, CPU time from /proc, and one
// autocannon run timed to its last answer.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { performance } from "node:perf_hooks";
import autocannon from "autocannon";

/** A TCP port free on the loopback interface right now. */
export const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

/** Resolves once `url` answers 2xx; throws after ten seconds. */
export async function waitReady(url) {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`not ready: ${url}`);
}

let clockTicks = 100;
try {
  clockTicks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
} catch {
  /* the usual Linux value */
}

/**
 * CPU time (user + system, all threads) the process `pid` has used so far, in microseconds, from /proc/PID/stat;
 * null where there is no /proc. Unlike req/s, CPU time per request hardly moves when other work shares the cores.
 */
export function cpuMicros(pid, mainThreadOnly = false) {
  try {
    // The main thread's task has the process's id; /proc/PID/stat sums all threads.
    const stat = readFileSync(mainThreadOnly ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, "utf8");
    // Fields after "(comm) ": state is field 3, utime field 14, stime field 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / clockTicks;
  } catch {
    return null;
  }
}

/**
 * One autocannon run (`opts`, with `connections` set by the caller); with `pid`, also the CPU time that process spent
 * on it: result.cpuMicros (all threads) and result.mainCpuMicros (the request thread).
 */
export function measure(opts, pid) {
  return new Promise((resolve, reject) => {
    const before = pid === undefined ? null : cpuMicros(pid);
    const mainBefore = pid === undefined ? null : cpuMicros(pid, true);
    // A run of a fixed `amount` ends at autocannon's next one-second tick, not at its last answer: its duration would
    // count up to a second of idling (a third of a three-second consume run). Time it to the last answer instead.
    let lastAnswer = 0;
    const started = performance.now();
    const instance = autocannon({ pipelining: 1, ...opts }, (err, result) => {
      if (err) return reject(err);
      if (opts.amount !== undefined && lastAnswer > started) result.duration = (lastAnswer - started) / 1000;
      const after = pid === undefined ? null : cpuMicros(pid);
      const mainAfter = pid === undefined ? null : cpuMicros(pid, true);
      result.cpuMicros = before === null || after === null ? null : after - before;
      result.mainCpuMicros = mainBefore === null || mainAfter === null ? null : mainAfter - mainBefore;
      resolve(result);
    });
    instance.on("response", () => {
      lastAnswer = performance.now();
    });
    autocannon.track(instance, { renderProgressBar: false, renderResultsTable: false, renderLatencyTable: false });
  });
}
