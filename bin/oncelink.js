#!/usr/bin/env node
// Thin launcher: the CLI itself is compiled TypeScript (built by `npm ci` through the `prepare` script).
import("../dist/cli/main.js").then((m) => m.main(process.argv.slice(2))).catch((err) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
