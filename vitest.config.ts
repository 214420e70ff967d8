import { defineConfig } from "vitest/config";

// The log scan reads the logs every other suite wrote, so `npm test` runs it on its own, last.
const logScan = process.env.ONCELINK_LOG_SCAN === "1";

export default defineConfig({
  test: {
    include: logScan ? ["test/log-scan.test.ts"] : ["src/**/*.test.ts", "test/**/*.test.ts"],
    exclude: logScan ? [] : ["test/log-scan.test.ts", "node_modules/**", "dist/**"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    // Suites that start real servers and browsers: two files at a time suits these 2-core machines.
    maxWorkers: 2,
    globalSetup: ["test/global-setup.ts"],
  },
});
