import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LOG_DIR } from "./helpers/secrets.js";

// Run by `npm test` after every other suite (see vitest.config.ts): every server the suites started logged into
// LOG_DIR, and every suite recorded the ids, tokens, keys and plaintexts it handled.
describe("logs of the whole test run", () => {
  const secretsFile = join(LOG_DIR, "secrets.jsonl");
  const secrets = existsSync(secretsFile)
    ? [...new Set(readFileSync(secretsFile, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as string))]
    : [];
  const logs = existsSync(LOG_DIR) ? readdirSync(LOG_DIR).filter((f) => f.endsWith(".log")) : [];

  it("has logs and recorded secrets to compare (the scan is not vacuous)", () => {
    expect(logs.length).toBeGreaterThan(0);
    expect(secrets.length).toBeGreaterThan(20);
    const lines = logs.reduce((n, f) => n + readFileSync(join(LOG_DIR, f), "utf8").split("\n").length, 0);
    expect(lines).toBeGreaterThan(50);
  });

  it("contains no link id, token, key or plaintext", () => {
    const leaks: string[] = [];
    for (const file of logs) {
      const text = readFileSync(join(LOG_DIR, file), "utf8");
      for (const secret of secrets) {
        if (text.includes(secret)) leaks.push(`${file}: a recorded secret of ${secret.length} characters`);
      }
    }
    expect(leaks).toEqual([]);
  });
});
