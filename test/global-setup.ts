import { mkdirSync } from "node:fs";
import { LOG_DIR } from "./helpers/secrets.js";

/** Makes sure the log folder exists; `scripts/test.mjs` empties it before a full run. */
export default function setup(): void {
  mkdirSync(LOG_DIR, { recursive: true });
}
