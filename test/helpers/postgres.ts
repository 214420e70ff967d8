import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { afterAll } from "vitest";
import { startPostgres, type PostgresCluster } from "../../scripts/pg-cluster.mjs";
import { LOG_DIR } from "./secrets.js";

/** Set by `npm test` (scripts/test.mjs) to the database of the throwaway cluster it started for the whole run. */
export const TEST_DATABASE_ENV = "ONCELINK_TEST_DATABASE_URL";
/** Set by `npm test` beside it: the cluster's directory, for scans of what reached the disk. */
export const TEST_CLUSTER_DIR_ENV = "ONCELINK_TEST_PG_DIR";

/** The stores the store-agnostic suites run against. */
export type TestStore = "sqlite" | "postgres";

let own: Promise<PostgresCluster> | undefined;
let chosen: TestStore = "sqlite";
let clusterUrl: (() => Promise<string>) | undefined;

/**
 * A getter of the test cluster's database URL: the cluster `npm test` started, or (when a file runs on its own with
 * `npx vitest run FILE`) one started for this file on first use and stopped by PID after it, by an afterAll hook
 * registered here. Call it at the top level of a test file.
 */
export function usePostgres(): () => Promise<string> {
  const shared = process.env[TEST_DATABASE_ENV];
  if (shared) return async () => shared;
  afterAll(async () => {
    const cluster = await own?.catch(() => undefined);
    own = undefined;
    await cluster?.stop();
  });
  return async () => {
    own ??= startPostgres({ logFile: join(LOG_DIR, `postgres-${process.pid}.log`) });
    return (await own).url;
  };
}

/**
 * Makes the shared helpers (buildTestApp, startServer) of this test file use `store`. A store-agnostic suite runs once
 * as written (SQLite) and once from a small wrapper file that calls `useStore("postgres")` and then imports it.
 */
export function useStore(store: TestStore): void {
  chosen = store;
  if (store === "postgres") clusterUrl ??= usePostgres();
}

/** The store this test file runs against (SQLite unless the file called `useStore`). */
export function testStore(): TestStore {
  return chosen;
}

/** The test cluster's database URL, for a file that chose PostgreSQL with `useStore`. */
export function testDatabaseUrl(): Promise<string> {
  if (!clusterUrl) throw new Error('testDatabaseUrl: call useStore("postgres") at the top level of the test file first');
  return clusterUrl();
}

/**
 * A fresh, empty schema in the test database, and a URL whose connections use it (through `search_path`): each
 * store in a test gets a database of its own at the cost of one CREATE SCHEMA.
 * @example const { url, drop } = await createTestSchema(await databaseUrl());
 */
export async function createTestSchema(databaseUrl: string): Promise<{ url: string; schema: string; drop(): Promise<void> }> {
  const schema = `t_${randomBytes(8).toString("hex")}`;
  await adminQuery(databaseUrl, `CREATE SCHEMA ${schema}`);
  const url = `${databaseUrl}${databaseUrl.includes("?") ? "&" : "?"}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  return {
    url,
    schema,
    drop: () => adminQuery(databaseUrl, `DROP SCHEMA IF EXISTS ${schema} CASCADE`).then(() => undefined),
  };
}

/** Runs one statement on a short-lived connection of its own. */
export async function adminQuery<R extends pg.QueryResultRow = pg.QueryResultRow>(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/**
 * Every file of the test cluster (tables, indexes, TOAST, WAL) after a CHECKPOINT: what a copy of the database disk
 * would hold. Null when this process does not know where the cluster lives.
 */
export async function clusterDiskBytes(databaseUrl: string): Promise<Buffer[] | null> {
  const dir = process.env[TEST_CLUSTER_DIR_ENV] ?? (own ? (await own).dir : undefined);
  if (!dir) return null;
  await adminQuery(databaseUrl, "CHECKPOINT");
  const files: Buffer[] = [];
  const walk = (path: string): void => {
    for (const name of readdirSync(path)) {
      const full = join(path, name);
      const info = statSync(full, { throwIfNoEntry: false });
      if (info?.isDirectory()) walk(full);
      else if (info?.isFile()) files.push(readFileSync(full));
    }
  };
  walk(join(dir, "data"));
  return files;
}
