import { execFile } from "node:child_process";
import { statSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { recordSecrets } from "./helpers/secrets.js";
import { startServer, type RunningServer } from "./helpers/server.js";

// Master-key rotation without losing a link: rotate, restart, re-wrap; links made before and after all open.
const BIN = join(new URL("..", import.meta.url).pathname, "bin/oncelink.js");
const run = promisify(execFile);
let server: RunningServer | undefined;

afterAll(async () => {
  await server?.stop();
});

async function create(url: string, content: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/links`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ content }),
  });
  const body = (await res.json()) as { url: string; id: string; manage_url: string };
  recordSecrets(body.id, body.manage_url.split("#")[1], content);
  return body.url;
}

describe("oncelink keys", () => {
  it("rotates the master key and re-wraps stored data keys; every link still opens once", async () => {
    server = await startServer({ name: "keys", env: { POW_MAX_NUMBER: "20" } });
    const dataDir = server.dataDir;
    const env = { ...process.env, DATA_DIR: dataDir };
    expect(statSync(join(dataDir, "keys.json")).mode & 0o777).toBe(0o600);
    const before = await create(server.url, "made under key one");

    const rotated = await run(process.execPath, [BIN, "keys", "rotate"], { env });
    expect(rotated.stdout).toMatch(/version 2 is now current/);
    expect(statSync(join(dataDir, "keys.json")).mode & 0o777).toBe(0o600);

    await server.stop();
    server = await startServer({ name: "keys-restarted", dataDir, env: { POW_MAX_NUMBER: "20" } });
    const after = await create(server.url, "made under key two");

    const rewrapped = await run(process.execPath, [BIN, "keys", "rewrap"], { env });
    expect(rewrapped.stdout).toMatch(/Re-wrapped 1 data key/);
    const db = new Database(join(dataDir, "oncelink.db"), { readonly: true });
    const versions = db.prepare("SELECT DISTINCT key_version FROM links WHERE wrapped_key IS NOT NULL").all();
    db.close();
    expect(versions).toEqual([{ key_version: 2 }]);

    for (const [url, text] of [[before, "made under key one"], [after, "made under key two"]] as const) {
      // PUBLIC_URL follows the port, which changed with the restart: point the older link at the live server.
      const live = url.replace(/^http:\/\/[^/]+/, server.url);
      const opened = await run(process.execPath, [BIN, "open", live], { env });
      expect(opened.stdout).toBe(text);
    }
  });

  it("refuses an unknown action with a usage message", async () => {
    await expect(run(process.execPath, [BIN, "keys", "shred"])).rejects.toMatchObject({ code: 1 });
  });
});
