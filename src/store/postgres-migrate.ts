import type pg from "pg";
import { POSTGRES_MIGRATIONS, type PostgresMigration } from "./migrations/postgres.js";

/** Key of the advisory lock that serializes migrations of every node starting at once ("oncelink" in ASCII). */
const MIGRATION_LOCK = 0x6f6e63656c696e6bn;

/**
 * Brings the schema up to date in ONE transaction and returns the versions it applied (empty when the database was
 * already current). A transaction-scoped advisory lock makes concurrent starts of several nodes safe: the others
 * wait, then find nothing left to do; DDL is transactional in PostgreSQL, so a failed step leaves no half schema.
 * A database written by a newer release is refused rather than guessed at.
 * @example await migratePostgres(pool) // [1, 2] on an empty database, [] on every later start
 */
export async function migratePostgres(
  pool: pg.Pool,
  migrations: readonly PostgresMigration[] = POSTGRES_MIGRATIONS,
): Promise<number[]> {
  for (let i = 0; i < migrations.length; i++) {
    const v = migrations[i]!.version;
    if (!Number.isInteger(v) || v < 1 || (i > 0 && v <= migrations[i - 1]!.version)) {
      throw new Error(`postgres migrations must have strictly increasing positive integer versions (at index ${i})`);
    }
  }
  const latest = migrations.at(-1)?.version ?? 0;
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    try {
      await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK.toString()]);
      await client.query("CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at bigint NOT NULL)");
      const rows = (await client.query<{ version: number }>("SELECT version FROM schema_migrations")).rows;
      const done = new Set(rows.map((r) => r.version));
      const newest = Math.max(0, ...done);
      if (newest > latest) {
        throw new Error(`database schema version ${newest} is newer than this release knows (${latest}); refusing to open`);
      }
      const applied: number[] = [];
      for (const m of migrations) {
        if (done.has(m.version)) continue;
        await client.query(m.sql);
        await client.query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)", [m.version, Date.now()]);
        applied.push(m.version);
      }
      await client.query("COMMIT");
      return applied;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    }
  } finally {
    client.release();
  }
}
