import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";

/** Folder where every suite's server logs and recorded secrets go; scanned by test/log-scan. */
export const LOG_DIR = join(new URL("../..", import.meta.url).pathname, ".test-logs");

/**
 * Registers values that must never appear in any log (link ids, tokens, keys, plaintexts).
 * The log-scan suite, run after all others, fails if any of them shows up in `.test-logs/*.log`.
 */
export function recordSecrets(...values: Array<string | null | undefined>): void {
  mkdirSync(LOG_DIR, { recursive: true });
  const lines = values.filter((v): v is string => typeof v === "string" && v.length >= 8);
  if (lines.length === 0) return;
  appendFileSync(join(LOG_DIR, "secrets.jsonl"), lines.map((v) => JSON.stringify(v)).join("\n") + "\n");
}

/** A secret unique to this run, so the log scan can look for it in every log. */
export function uniqueSecret(label: string): string {
  return `${label} ${crypto.randomUUID()}`;
}

/** A current desktop Chrome user agent, for requests that should look like a person's browser. */
export const CHROME_USER_AGENT =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
