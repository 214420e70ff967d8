import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { describeLinkStoreContract, makeLink, randomHash, T0 } from "./contract.js";
import type { NewLink } from "./link-store.js";
import { SQLITE_MIGRATIONS } from "./migrations/sqlite.js";
import { METADATA_RETENTION_MS } from "./link-store.js";
import { openSqliteStore, type SqliteLinkStore } from "./sqlite.js";
import { migrateSqlite } from "./sqlite-migrate.js";

const dirs: string[] = [];
const stores: SqliteLinkStore[] = [];

function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), "oncelink-store-"));
  dirs.push(dir);
  return join(dir, "oncelink.db");
}

async function removeTemp(): Promise<void> {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

async function openTemp(file = tempFile(), maxBatch?: number): Promise<SqliteLinkStore> {
  const store = await openSqliteStore(maxBatch === undefined ? { file } : { file, maxBatch });
  stores.push(store);
  return store;
}

describeLinkStoreContract("sqlite", () => openSqliteStore({ file: tempFile() }), removeTemp);

/** Whether the link's row still holds its ciphertext or wrapped key, read straight from the table. */
function contentOf(store: SqliteLinkStore, link: NewLink): { state: string; sealed: Buffer | null; wrapped_key: Buffer | null } {
  const row = store.db.prepare("SELECT state, sealed, wrapped_key FROM links WHERE id_hash = ?").get(Buffer.from(link.idHash));
  if (!row) throw new Error("link row missing");
  return row as { state: string; sealed: Buffer | null; wrapped_key: Buffer | null };
}

/** Database file plus WAL, as raw bytes: what a disk image or a backup would contain. */
function rawFiles(file: string): Buffer {
  const parts = [readFileSync(file)];
  if (existsSync(`${file}-wal`)) parts.push(readFileSync(`${file}-wal`));
  return Buffer.concat(parts);
}

describe("sqlite store", () => {
  afterEach(removeTemp);

  it("runs with WAL, synchronous=NORMAL plus its own WAL fsync, foreign keys, secure_delete, a busy timeout and a 32 MiB page cache", async () => {
    const store = await openTemp();
    const p = (name: string): unknown => store.db.pragma(name, { simple: true });
    expect(p("journal_mode")).toBe("wal");
    // NORMAL: COMMIT does not fsync on the request thread; the WalSyncer does, before any write is acknowledged.
    expect(p("synchronous")).toBe(1);
    expect(p("foreign_keys")).toBe(1);
    expect(p("secure_delete")).toBe(1);
    expect(p("busy_timeout")).toBe(5000);
    expect(p("cache_size")).toBe(-32768);
  });

  it("acknowledges writes only after an fsync of the WAL, and never before their commit", async () => {
    const store = await openTemp();
    const links = Array.from({ length: 20 }, () => makeLink());
    await Promise.all(links.map((l) => store.createLink(l)));
    const afterCreate = store.stats();
    expect(afterCreate.walSyncs).toBeGreaterThanOrEqual(1);
    // One fsync covers a whole batch (or more): never more fsyncs than commits.
    expect(afterCreate.walSyncs).toBeLessThanOrEqual(afterCreate.commits);
    await Promise.all(links.map((l) => store.consume(l.idHash, T0 + 1)));
    expect(store.stats().walSyncs).toBeGreaterThan(afterCreate.walSyncs!);
  });

  it("leaves no sealed content or wrapped key in the row after consume, revoke, revoke-late and purge", async () => {
    const store = await openTemp();
    const [consumed, revoked, revokedLate, purged, fresh] = [
      makeLink(), makeLink(), makeLink({ expiresAt: T0 + 1000 }), makeLink({ expiresAt: T0 + 1000 }), makeLink(),
    ] as [NewLink, NewLink, NewLink, NewLink, NewLink];
    for (const l of [consumed, revoked, revokedLate, purged, fresh]) await store.createLink(l);
    expect(contentOf(store, fresh).sealed?.equals(fresh.sealed)).toBe(true);

    expect(await store.consume(consumed.idHash, T0 + 1)).not.toBeNull();
    expect(await store.revoke(revoked.idHash, T0 + 1)).toBe(true);
    expect(await store.revoke(revokedLate.idHash, T0 + 1000)).toBe(false);
    expect(await store.purgeExpired(T0 + 2000)).toEqual({ expired: 1, challenges: 0, files: 0 });

    const expected = { consumed, revoked, expired: revokedLate } as const;
    for (const [state, link] of Object.entries(expected)) {
      expect(contentOf(store, link)).toEqual({ state, sealed: null, wrapped_key: null });
    }
    expect(contentOf(store, purged)).toEqual({ state: "expired", sealed: null, wrapped_key: null });
    expect(contentOf(store, fresh).wrapped_key?.equals(fresh.wrappedKey)).toBe(true);
  });

  it("refuses, by schema, a non-fresh row that still holds content", async () => {
    const store = await openTemp();
    const link = makeLink();
    await store.createLink(link);
    expect(() => store.db.prepare("UPDATE links SET state = 'consumed' WHERE id_hash = ?").run(Buffer.from(link.idHash)))
      .toThrow(/CHECK constraint failed/);
  });

  it("leaves no trace of destroyed content in the database or WAL file bytes", async () => {
    const file = tempFile();
    const store = await openTemp(file);
    // One small row (in-page cell) and one large one (overflow pages), each with distinctive random bytes.
    const small = makeLink({ sealed: randomHash(64), wrappedKey: randomHash(64) });
    const large = makeLink({ sealed: randomHash(20_000), wrappedKey: randomHash(64) });
    const revoked = makeLink({ sealed: randomHash(64), wrappedKey: randomHash(64) });
    const expired = makeLink({ sealed: randomHash(64), wrappedKey: randomHash(64), expiresAt: T0 + 1000 });
    const all = [small, large, revoked, expired];
    for (const l of all) await store.createLink(l);
    // Large values are split across overflow pages (each page starts with a pointer), so scan 32-byte fragments:
    // any fragment left on disk is a piece of recoverable ciphertext or key.
    const secrets = all.flatMap((l) => [Buffer.from(l.sealed), Buffer.from(l.wrappedKey)]);
    const fragments = secrets.flatMap((s) => Array.from({ length: s.length / 32 }, (_, i) => s.subarray(i * 32, i * 32 + 32)));
    const found = (bytes: Buffer): number => fragments.filter((f) => bytes.indexOf(f) >= 0).length;

    // Control: the scan finds the bytes, first in the WAL, then after a checkpoint in the main file.
    expect(secrets.every((s) => rawFiles(file).indexOf(s.subarray(0, 32)) >= 0)).toBe(true);
    store.db.pragma("wal_checkpoint(TRUNCATE)");
    expect(secrets.every((s) => readFileSync(file).indexOf(s.subarray(0, 32)) >= 0)).toBe(true);
    expect(found(readFileSync(file))).toBeGreaterThan(fragments.length * 0.9);

    expect(await store.consume(small.idHash, T0 + 1)).not.toBeNull();
    expect(await store.consume(large.idHash, T0 + 1)).not.toBeNull();
    expect(await store.revoke(revoked.idHash, T0 + 1)).toBe(true);
    // Not yet checkpointed: the old page images still sit in the WAL (which is why the purge truncates it).
    expect(found(rawFiles(file))).toBeGreaterThan(0);

    // purgeExpired expires the last link and checkpoints with TRUNCATE itself.
    expect((await store.purgeExpired(T0 + 2000)).expired).toBe(1);
    expect(existsSync(`${file}-wal`) ? readFileSync(`${file}-wal`).length : 0).toBe(0);
    expect(found(rawFiles(file))).toBe(0);
  });

  it("applies migrations once; reopening is idempotent and keeps the data", async () => {
    const file = tempFile();
    const first = await openTemp(file);
    const link = makeLink();
    await first.createLink(link);
    await first.close();

    const again = await openTemp(file);
    expect(migrateSqlite(again.db)).toEqual([]);
    const versions = again.db.prepare("SELECT version FROM schema_migrations ORDER BY version").all();
    expect(versions).toEqual(SQLITE_MIGRATIONS.map((m) => ({ version: m.version })));
    // Sessions are stateless tokens: the schema has no table for them.
    const tables = again.db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").all();
    expect(tables).toEqual(
      ["file_chunks", "file_storage", "files", "link_events", "links", "passkey_handles", "schema_migrations", "used_challenges"].map(
        (name) => ({ name }),
      ),
    );
    expect((await again.getLinkMeta(link.idHash))?.state).toBe("fresh");
  });

  it("applies only the missing migrations, and refuses a database newer than the code", async () => {
    const file = tempFile();
    const store = await openTemp(file);
    const extra = [...SQLITE_MIGRATIONS, { version: 1000, sql: "CREATE TABLE later_step (x INTEGER)" }];
    expect(migrateSqlite(store.db, extra)).toEqual([1000]);
    expect(migrateSqlite(store.db, extra)).toEqual([]);
    await store.close();
    await expect(openSqliteStore({ file })).rejects.toThrow(/newer than this release/);
    expect(() => migrateSqlite(store.db, [{ version: 2, sql: "" }, { version: 2, sql: "" }])).toThrow(/increasing/);
  });

  it("lets exactly one of 100 consumes racing through two connections on one file win", async () => {
    const file = tempFile();
    const a = await openTemp(file);
    const b = await openTemp(file);
    const link = makeLink();
    await a.createLink(link);
    expect((await b.getLinkMeta(link.idHash))?.state).toBe("fresh");
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? b : a).consume(link.idHash, T0 + 1)));
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    expect(Buffer.from(results.find((r) => r !== null)!.sealed).equals(link.sealed)).toBe(true);
    expect(contentOf(a, link)).toEqual({ state: "consumed", sealed: null, wrapped_key: null });
  });

  it("group-commits: 500 concurrent consumes on 500 links cost a handful of commits", async () => {
    const store = await openTemp();
    const links = Array.from({ length: 500 }, () => makeLink());
    await Promise.all(links.map((l) => store.createLink(l)));
    const before = store.stats();
    const results = await Promise.all(links.map((l) => store.consume(l.idHash, T0 + 1)));
    const after = store.stats();
    expect(results.every((r) => r !== null)).toBe(true);
    expect(after.ops - before.ops).toBe(500);
    expect(after.commits - before.commits).toBeLessThanOrEqual(5);
    expect(after.largestBatch).toBeGreaterThanOrEqual(100);
  });

  it("caps a batch at maxBatch ops and carries the rest to the next flush", async () => {
    const store = await openTemp(tempFile(), 100);
    const links = Array.from({ length: 250 }, () => makeLink());
    await Promise.all(links.map((l) => store.createLink(l)));
    expect(store.stats()).toMatchObject({ commits: 3, ops: 250, largestBatch: 100 });
    const count = store.db.prepare("SELECT count(*) AS n FROM links").get() as { n: number };
    expect(count.n).toBe(250);
  });

  it("commits the writes still queued when closed", async () => {
    const file = tempFile();
    const store = await openSqliteStore({ file });
    const link = makeLink();
    const created = store.createLink(link);
    await store.close();
    await created;
    await expect(store.createLink(makeLink())).rejects.toThrow(/closed/);
    const reopened = await openTemp(file);
    expect((await reopened.getLinkMeta(link.idHash))?.state).toBe("fresh");
  });

  it("deletes ended links after the metadata retention, and lets an expired challenge be used again", async () => {
    const store = await openTemp();
    const old = makeLink();
    const recent = makeLink();
    await store.createLink(old);
    await store.createLink(recent);
    expect(await store.revoke(old.idHash, T0 + 1)).toBe(true);
    expect(await store.revoke(recent.idHash, T0 + 10_000)).toBe(true);
    await store.purgeExpired(T0 + 1 + METADATA_RETENTION_MS + 1);
    expect(await store.getLinkMeta(old.idHash)).toBeNull();
    expect((await store.getLinkMeta(recent.idHash))?.state).toBe("revoked");

    const link = makeLink({ expiresAt: T0 + 10_000_000 });
    await store.createLink(link);
    const challenge = randomHash();
    expect(await store.redeemChallenge(challenge, T0 + 1000, link.idHash, T0)).toBe("ok");
    expect(await store.redeemChallenge(challenge, T0 + 1000, link.idHash, T0 + 999)).toBe("challenge-used");
    // Past its expiry the row is dead weight the purge has not reached yet; the HTTP layer rejects stale challenges.
    expect(await store.redeemChallenge(challenge, T0 + 5000, link.idHash, T0 + 1000)).toBe("ok");
    // The overwritten row carries the new expiry: the challenge is used again until then.
    expect(await store.redeemChallenge(challenge, T0 + 5000, link.idHash, T0 + 4999)).toBe("challenge-used");
  });
});

describe("sqlite event log integrity", () => {
  it("detects an edited event through the hash chain", async () => {
    const dir = mkdtempSync(join(tmpdir(), "oncelink-events-"));
    const store = await openSqliteStore({ file: join(dir, "events.db") });
    const link = makeLink();
    await store.createLink(link);
    await store.recordEvent(link.idHash, { kind: "chat-preview", at: T0 });
    await store.recordEvent(link.idHash, { kind: "prefetch", at: T0 + 1 });
    expect(await store.listEvents(link.idHash)).toEqual([
      { kind: "chat-preview", at: T0 },
      { kind: "prefetch", at: T0 + 1 },
    ]);
    store.db.prepare("UPDATE link_events SET kind = 'nothing' WHERE seq = 1").run();
    await expect(store.listEvents(link.idHash)).rejects.toThrow(/hash chain/);
    await store.close();
  });
});
