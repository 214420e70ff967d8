import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import pino from "pino";
import { solveChallenge, type Challenge } from "altcha-lib";
import { deriveKey } from "altcha-lib/algorithms/sha";
import { loadConfig, type Config } from "../../src/config.js";
import { loadKeyring } from "../../src/crypto/keyring.js";
import { createApp } from "../../src/http/app.js";
import type { LinkStore, RateLimitBackend } from "../../src/store/link-store.js";
import { openPostgresStore } from "../../src/store/postgres.js";
import { openSqliteStore } from "../../src/store/sqlite.js";
import { clusterDiskBytes, createTestSchema, testDatabaseUrl, testStore, type TestStore } from "./postgres.js";
import { LOG_DIR, recordSecrets } from "./secrets.js";

const ROOT = new URL("../..", import.meta.url).pathname;

/** Limits no suite reaches by accident (every injected request comes from one address); rate-limit tests set their own. */
export const RELAXED_RATE_LIMITS = { RATE_LIMIT_CREATE: "1000000", RATE_LIMIT_OPEN: "1000000", RATE_LIMIT_PASSPHRASE: "1000000" } as const;

/** A link's row as stored: its state, and whether the sealed content and wrapped key are still there. */
export interface StoredRow {
  state: string;
  sealed: Buffer | null;
  wrapped_key: Buffer | null;
}

export interface TestApp {
  app: FastifyInstance;
  store: LinkStore;
  /** Which adapter `store` is (the test file's choice, see `useStore`). */
  backend: TestStore;
  /** The link's row read straight from the table, bypassing the store's interface; undefined if there is none. */
  storedRow(idHash: Uint8Array): Promise<StoredRow | undefined>;
  /** The bytes the store has on disk, flushed first (WAL checkpoint); null if they cannot be reached from here. */
  diskBytes(): Promise<Buffer[] | null>;
  config: Config;
  dataDir: string;
  /** The app's clock; move it forward to test expiry. */
  clock: { now: number };
  close(): Promise<void>;
}

/**
 * A real app on a real SQLite file in a temp dir (or, in a file that called `useStore("postgres")`, on a fresh schema
 * of the test PostgreSQL cluster), driven through `app.inject()`. Its log goes to `.test-logs/`
 * for the log scan; the clock is controllable.
 */
export async function buildTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const dataDir = mkdtempSync(join(tmpdir(), "oncelink-inject-"));
  const config = loadConfig({ DATA_DIR: dataDir, POW_MAX_NUMBER: "200", PUBLIC_URL: "http://127.0.0.1:8080", ...RELAXED_RATE_LIMITS, ...env });
  const { keyring } = loadKeyring({ file: config.keysFile });
  const backend = testStore();
  const opened = backend === "postgres" ? await openPostgresBacked() : await openSqliteBacked(dataDir);
  const store = opened.store;
  const clock = { now: Date.now() };
  const logger = pino(
    { level: "info" },
    pino.destination({ dest: join(LOG_DIR, `inject-${process.pid}.log`), sync: true, mkdir: true }),
  );
  const app = await createApp(
    { config, store, keyring, now: () => clock.now, random: (n) => randomBytes(n), ...(opened.rateLimits ? { rateLimits: opened.rateLimits } : {}) },
    { logger, assetDir: join(ROOT, "dist/assets") },
  );
  await app.ready();
  return {
    app,
    store,
    backend,
    storedRow: opened.storedRow,
    diskBytes: opened.diskBytes,
    config,
    dataDir,
    clock,
    async close() {
      await app.close();
      await store.close();
      await opened.cleanup();
    },
  };
}

type OpenedStore = Pick<TestApp, "store" | "storedRow" | "diskBytes"> & { rateLimits?: RateLimitBackend; cleanup(): Promise<void> };

async function openSqliteBacked(dataDir: string): Promise<OpenedStore> {
  const file = join(dataDir, "oncelink.db");
  const store = await openSqliteStore({ file });
  const row = store.db.prepare("SELECT state, sealed, wrapped_key FROM links WHERE id_hash = ?");
  return {
    store,
    storedRow: async (idHash) => row.get(Buffer.from(idHash)) as StoredRow | undefined,
    async diskBytes() {
      store.db.pragma("wal_checkpoint(TRUNCATE)");
      const files: Buffer[] = [];
      for (const f of [file, `${file}-wal`]) {
        try {
          files.push(readFileSync(f));
        } catch {
          // no WAL file after a truncating checkpoint
        }
      }
      return files;
    },
    cleanup: async () => undefined,
  };
}

async function openPostgresBacked(): Promise<OpenedStore> {
  const databaseUrl = await testDatabaseUrl();
  const schema = await createTestSchema(databaseUrl);
  const store = await openPostgresStore({ connectionString: schema.url });
  return {
    store,
    rateLimits: store,
    async storedRow(idHash) {
      const { rows } = await store.pool.query<StoredRow>("SELECT state, sealed, wrapped_key FROM links WHERE id_hash = $1", [Buffer.from(idHash)]);
      return rows[0];
    },
    diskBytes: () => clusterDiskBytes(databaseUrl),
    cleanup: () => schema.drop(),
  };
}

/** Solves an ALTCHA challenge the way the CLI does and returns the session-step payload. */
export async function solvePow(challenge: Challenge): Promise<string> {
  const solution = await solveChallenge({ challenge, deriveKey });
  if (!solution) throw new Error("proof of work not solved");
  return Buffer.from(JSON.stringify({ challenge, solution })).toString("base64");
}

/** Creates a server-encrypted link through the API; records its secrets for the log scan. */
export async function createTextLink(
  app: FastifyInstance,
  content: string,
  extra: Record<string, unknown> = {},
): Promise<{ id: string; manageToken: string; url: string; manageUrl: string }> {
  const res = await app.inject({ method: "POST", url: "/api/v1/links", payload: { content, ...extra } });
  if (res.statusCode !== 201) throw new Error(`create failed: ${res.statusCode} ${res.body}`);
  const body = res.json() as { id: string; url: string; manage_url: string };
  const manageToken = body.manage_url.split("#")[1]!;
  recordSecrets(body.id, manageToken, content);
  return { id: body.id, manageToken, url: body.url, manageUrl: body.manage_url };
}

/** Runs challenge + session for a link and returns the session token. */
export async function mintSession(app: FastifyInstance, id: string): Promise<string> {
  const ch = await app.inject({ method: "GET", url: `/api/v1/links/${id}/challenge` });
  if (ch.statusCode !== 200) throw new Error(`challenge failed: ${ch.statusCode}`);
  const pow = await solvePow(ch.json() as Challenge);
  const res = await app.inject({ method: "POST", url: `/api/v1/links/${id}/session`, payload: { pow } });
  if (res.statusCode !== 201) throw new Error(`session failed: ${res.statusCode} ${res.body}`);
  const token = (res.json() as { session: string }).session;
  recordSecrets(token);
  return token;
}
