import type Database from "better-sqlite3";
import { SQLITE_MIGRATIONS, type SqliteMigration } from "./migrations/sqlite.js";

/**
 * Brings the schema up to date in ONE `BEGIN IMMEDIATE` transaction and returns the versions it applied (empty when
 * the database was already current). The write lock makes concurrent starts of several processes safe: the second
 * one waits, then finds nothing left to do. A database written by a newer release is refused rather than guessed at.
 * @example migrateSqlite(db) // [1] on a new file, [] on every later open
 */
export function migrateSqlite(db: Database.Database, migrations: readonly SqliteMigration[] = SQLITE_MIGRATIONS): number[] {
  for (let i = 0; i < migrations.length; i++) {
    const v = migrations[i]!.version;
    if (!Number.isInteger(v) || v < 1 || (i > 0 && v <= migrations[i - 1]!.version)) {
      throw new Error(`sqlite migrations must have strictly increasing positive integer versions (at index ${i})`);
    }
  }
  const latest = migrations.at(-1)?.version ?? 0;

  const apply = db.transaction((): number[] => {
    db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
    const rows = db.prepare("SELECT version FROM schema_migrations").all() as Array<{ version: number }>;
    const done = new Set(rows.map((r) => r.version));
    const newest = Math.max(0, ...done);
    if (newest > latest) {
      throw new Error(`database schema version ${newest} is newer than this release knows (${latest}); refusing to open`);
    }
    const record = db.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)");
    const applied: number[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      db.exec(m.sql);
      record.run(m.version, Date.now());
      applied.push(m.version);
    }
    return applied;
  });
  return apply.immediate();
}
