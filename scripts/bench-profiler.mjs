// Loaded into the benchmarked server with `--import` when BENCH_PROFILE is set: SIGUSR2 starts a CPU profile and
// the next SIGUSR2 stops it and writes it to $BENCH_PROFILE/$N.cpuprofile (N counts from 1), then prints
// "profile written: PATH" on stderr. The bench brackets each measured case with the two signals, so each profile
// holds one case and nothing of the set-up between cases.
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import { join } from "node:path";

const dir = process.env.BENCH_PROFILE;
const session = new Session();
session.connect();
let running = false;
let count = 0;
process.on("SIGUSR2", () => {
  if (!running) {
    running = true;
    session.post("Profiler.enable", () => session.post("Profiler.setSamplingInterval", { interval: 100 }, () => session.post("Profiler.start")));
    return;
  }
  running = false;
  session.post("Profiler.stop", (err, result) => {
    if (err) return console.error(`profile failed: ${err.message}`);
    const file = join(dir, `${++count}.cpuprofile`);
    writeFileSync(file, JSON.stringify(result.profile));
    console.error(`profile written: ${file}`);
  });
});
