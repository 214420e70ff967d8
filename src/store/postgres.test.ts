import { afterEach, describe, expect, it } from "vitest";
import { adminQuery, createTestSchema, usePostgres } from "../../test/helpers/postgres.js";
import { describeLinkStoreContract, makeLink, makeUpload, randomHash, T0 } from "./contract.js";
import type { BeginPartResult, NewLink } from "./link-store.js";
import { POSTGRES_MIGRATIONS } from "./migrations/postgres.js";
import { METADATA_RETENTION_MS } from "./link-store.js";
import { openPostgresStore, type PostgresLinkStore } from "./postgres.js";
import { migratePostgres } from "./postgres-migrate.js";

const databaseUrl = usePostgres();
const schemas: Array<() => Promise<void>> = [];
const stores: PostgresLinkStore[] = [];

/** A URL of a fresh, empty schema (dropped after the test); `options` adds server settings for its connections. */
async function freshUrl(options = ""): Promise<string> {
  const { url, drop } = await createTestSchema(await databaseUrl());
  schemas.push(drop);
  return options ? url.replace(/options=([^&]*)/, (_, o: string) => `options=${o}${encodeURIComponent(` ${options}`)}`) : url;
}

async function openTemp(url?: string): Promise<PostgresLinkStore> {
  const store = await openPostgresStore({ connectionString: url ?? (await freshUrl()) });
  stores.push(store);
  return store;
}

/** Opens every connection of the pool first, so the race that follows really runs on 20 connections at once. */
async function warm(store: PostgresLinkStore): Promise<void> {
  await Promise.all(Array.from({ length: 20 }, () => store.pool.query("SELECT pg_sleep(0.05)")));
}

async function removeTemp(): Promise<void> {
  for (const s of stores.splice(0)) await s.close();
  for (const drop of schemas.splice(0)) await drop();
}

describeLinkStoreContract("postgres", async () => openPostgresStore({ connectionString: await freshUrl() }), removeTemp);

/** The link's row as stored, read straight from the table. */
/** Resolves once some session of `store` waits for a lock held by the backend `pid`. */
async function untilSomeoneWaitsFor(store: PostgresLinkStore, pid: number): Promise<void> {
  for (;;) {
    const waiting = await store.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))", [pid]);
    if (waiting.rows[0]!.n > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function contentOf(store: PostgresLinkStore, link: NewLink): Promise<{ state: string; sealed: Buffer | null; wrapped_key: Buffer | null }> {
  const { rows } = await store.pool.query("SELECT state, sealed, wrapped_key FROM links WHERE id_hash = $1", [Buffer.from(link.idHash)]);
  if (!rows[0]) throw new Error("link row missing");
  return rows[0] as { state: string; sealed: Buffer | null; wrapped_key: Buffer | null };
}

describe("postgres store", () => {
  afterEach(removeTemp);

  it("leaves no sealed content or wrapped key in the row after consume, revoke, revoke-late and purge", async () => {
    const store = await openTemp();
    const [consumed, revoked, revokedLate, purged, fresh] = [
      makeLink(), makeLink(), makeLink({ expiresAt: T0 + 1000 }), makeLink({ expiresAt: T0 + 1000 }), makeLink(),
    ] as [NewLink, NewLink, NewLink, NewLink, NewLink];
    for (const l of [consumed, revoked, revokedLate, purged, fresh]) await store.createLink(l);
    expect((await contentOf(store, fresh)).sealed?.equals(fresh.sealed)).toBe(true);

    expect(await store.consume(consumed.idHash, T0 + 1)).not.toBeNull();
    expect(await store.revoke(revoked.idHash, T0 + 1)).toBe(true);
    expect(await store.revoke(revokedLate.idHash, T0 + 1000)).toBe(false);
    expect(await store.purgeExpired(T0 + 2000)).toEqual({ expired: 1, challenges: 0, files: 0 });

    for (const [state, link] of [["consumed", consumed], ["revoked", revoked], ["expired", revokedLate], ["expired", purged]] as const) {
      expect(await contentOf(store, link)).toEqual({ state, sealed: null, wrapped_key: null });
    }
    expect((await contentOf(store, fresh)).wrapped_key?.equals(fresh.wrappedKey)).toBe(true);
  });

  it("refuses, by schema, a non-fresh row that holds content and a fresh row that does not", async () => {
    const store = await openTemp();
    const link = makeLink();
    await store.createLink(link);
    const id = Buffer.from(link.idHash);
    await expect(store.pool.query("UPDATE links SET state = 'consumed' WHERE id_hash = $1", [id])).rejects.toThrow(/links_ended_hold_nothing/);
    await expect(store.pool.query("UPDATE links SET sealed = NULL WHERE id_hash = $1", [id])).rejects.toThrow(/links_fresh_hold_content/);
  });

  it("applies migrations once; reopening is idempotent and keeps the data", async () => {
    const url = await freshUrl();
    const first = await openTemp(url);
    const link = makeLink();
    await first.createLink(link);
    await first.close();

    const again = await openTemp(url);
    expect(await migratePostgres(again.pool)).toEqual([]);
    const versions = (await again.pool.query("SELECT version FROM schema_migrations ORDER BY version")).rows;
    expect(versions).toEqual(POSTGRES_MIGRATIONS.map((m) => ({ version: m.version })));
    // Sessions are stateless tokens: the schema has no table for them.
    const tables = (await again.pool.query("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")).rows;
    expect(tables.map((t: { tablename: string }) => t.tablename)).toEqual([
      "file_chunks", "file_storage", "files", "keyring_fingerprints", "link_events", "links", "passkey_handles", "rate_limits",
      "schema_migrations", "used_challenges",
    ]);
    expect((await again.getLinkMeta(link.idHash))?.state).toBe("fresh");
  });

  it("migrates once when several nodes start at the same moment", async () => {
    const url = await freshUrl();
    const opened = await Promise.all(Array.from({ length: 5 }, () => openTemp(url)));
    const versions = (await opened[0]!.pool.query("SELECT version FROM schema_migrations ORDER BY version")).rows;
    expect(versions).toEqual(POSTGRES_MIGRATIONS.map((m) => ({ version: m.version })));
  });

  it("applies only the missing migrations, and refuses a database newer than the code", async () => {
    const url = await freshUrl();
    const store = await openTemp(url);
    const extra = [...POSTGRES_MIGRATIONS, { version: 1000, sql: "CREATE TABLE later_step (x integer)" }];
    expect(await migratePostgres(store.pool, extra)).toEqual([1000]);
    expect(await migratePostgres(store.pool, extra)).toEqual([]);
    await expect(openPostgresStore({ connectionString: url })).rejects.toThrow(/newer than this release/);
    await expect(migratePostgres(store.pool, [{ version: 2, sql: "" }, { version: 2, sql: "" }])).rejects.toThrow(/increasing/);
    // A failing step rolls back whole: neither its DDL nor its version record stays.
    const broken = [...extra, { version: 1001, sql: "CREATE TABLE half_done (x integer); SELECT no_such_function()" }];
    await expect(migratePostgres(store.pool, broken)).rejects.toThrow();
    expect((await store.pool.query("SELECT to_regclass('half_done') AS t")).rows[0]).toEqual({ t: null });
    expect((await store.pool.query("SELECT max(version) AS v FROM schema_migrations")).rows[0]).toEqual({ v: 1000 });
  });

  it("lets exactly one of 150 consumes racing through three connection pools win", async () => {
    const url = await freshUrl();
    const pools = await Promise.all([openTemp(url), openTemp(url), openTemp(url)]);
    const link = makeLink();
    await pools[0]!.createLink(link);
    await Promise.all(pools.map(warm));
    const results = await Promise.all(Array.from({ length: 150 }, (_, i) => pools[i % 3]!.consume(link.idHash, T0 + 1)));
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    expect(Buffer.from(results.find((r) => r !== null)!.sealed).equals(link.sealed)).toBe(true);
    expect(await contentOf(pools[1]!, link)).toEqual({ state: "consumed", sealed: null, wrapped_key: null });
  });

  it("batches: 500 concurrent consumes on 500 links cost a handful of statements", async () => {
    const store = await openTemp();
    const links = Array.from({ length: 500 }, () => makeLink());
    await Promise.all(links.map((l) => store.createLink(l)));
    const results = await Promise.all(links.map((l, i) => store.consume(l.idHash, T0 + 1 + (i % 3))));
    results.forEach((r, i) => expect(Buffer.from(r!.sealed).equals(links[i]!.sealed)).toBe(true));
    expect(store.stats().items).toBe(500);
    expect(store.stats().batches).toBeLessThanOrEqual(10);
    // Each consume's own time is what the row records.
    expect((await store.getLinkMeta(links[2]!.idHash))?.endedAt).toBe(T0 + 3);
  });

  it("batches creates: a duplicate id fails alone, and a large secret goes in by itself", async () => {
    const store = await openTemp();
    const links = Array.from({ length: 50 }, () => makeLink());
    const twin = makeLink({ idHash: links[7]!.idHash });
    const large = makeLink({ sealed: randomHash(300_000) });
    const results = await Promise.allSettled([...links, twin, large].map((l) => store.createLink(l)));
    expect(results.filter((r) => r.status === "rejected")).toHaveLength(1);
    expect(results[50]!.status).toBe("rejected");
    for (const l of [...links, large]) expect(Buffer.from((await store.consume(l.idHash, T0 + 1))!.sealed).equals(l.sealed)).toBe(true);
  });

  it("keeps the consume exact when the server's default isolation is SERIALIZABLE", async () => {
    const url = await freshUrl("-c default_transaction_isolation=serializable");
    const pools = await Promise.all([openTemp(url), openTemp(url), openTemp(url)]);
    expect((await pools[0]!.pool.query("SHOW default_transaction_isolation")).rows).toEqual([{ default_transaction_isolation: "read committed" }]);
    for (let round = 0; round < 5; round++) {
      const link = makeLink();
      await pools[0]!.createLink(link);
      await Promise.all(pools.map(warm));
      // Three pools, so three statements really race for the row (each pool batches its own callers into one).
      const results = await Promise.all(Array.from({ length: 60 }, (_, i) => pools[i % 3]!.consume(link.idHash, T0 + 1)));
      expect(results.filter((r) => r !== null)).toHaveLength(1);
    }
  });

  it("refuses to open on a server that acknowledges commits before they are durable", async () => {
    await expect(openPostgresStore({ connectionString: await freshUrl("-c synchronous_commit=off") })).rejects.toThrow(/synchronous_commit/);
  });

  it("deletes ended links and their events after the metadata retention", async () => {
    const store = await openTemp();
    const old = makeLink();
    const recent = makeLink();
    await store.createLink(old);
    await store.createLink(recent);
    await store.recordEvent(old.idHash, { kind: "prefetch", at: T0 });
    expect(await store.revoke(old.idHash, T0 + 1)).toBe(true);
    expect(await store.revoke(recent.idHash, T0 + 10_000)).toBe(true);
    await store.purgeExpired(T0 + 1 + METADATA_RETENTION_MS + 1);
    expect(await store.getLinkMeta(old.idHash)).toBeNull();
    expect(await store.listEvents(old.idHash)).toEqual([]);
    expect((await store.getLinkMeta(recent.idHash))?.state).toBe("revoked");

    const link = makeLink({ expiresAt: T0 + 10_000_000 });
    await store.createLink(link);
    const challenge = randomHash();
    expect(await store.redeemChallenge(challenge, T0 + 1000, link.idHash, T0)).toBe("ok");
    expect(await store.redeemChallenge(challenge, T0 + 5000, link.idHash, T0 + 1000)).toBe("ok");
    expect(await store.redeemChallenge(challenge, T0 + 5000, link.idHash, T0 + 4999)).toBe("challenge-used");
  });

  it("orders 60 concurrent events of one link into one unbroken chain", async () => {
    const store = await openTemp();
    const link = makeLink();
    await store.createLink(link);
    await Promise.all(Array.from({ length: 60 }, (_, i) => store.recordEvent(link.idHash, { kind: `k${i}`, at: T0 + i })));
    const events = await store.listEvents(link.idHash);
    expect(events).toHaveLength(60);
    expect(new Set(events.map((e) => e.kind)).size).toBe(60);
  });

  it("detects an edited event through the hash chain", async () => {
    const store = await openTemp();
    const link = makeLink();
    await store.createLink(link);
    await store.recordEvent(link.idHash, { kind: "chat-preview", at: T0 });
    await store.recordEvent(link.idHash, { kind: "prefetch", at: T0 + 1 });
    expect(await store.listEvents(link.idHash)).toEqual([
      { kind: "chat-preview", at: T0 },
      { kind: "prefetch", at: T0 + 1 },
    ]);
    await store.pool.query("UPDATE link_events SET kind = 'nothing' WHERE seq = 1");
    await expect(store.listEvents(link.idHash)).rejects.toThrow(/hash chain/);
  });

  it("records key fingerprints once and reports a node whose keys differ", async () => {
    const url = await freshUrl();
    const [a, b] = await Promise.all([openTemp(url), openTemp(url)]);
    const signing = randomHash();
    const master1 = randomHash();
    expect(await a.checkKeyFingerprints([{ kind: "signing", version: 0, fingerprint: signing }, { kind: "master", version: 1, fingerprint: master1 }])).toEqual([]);
    // Same keys, plus a new master version (a rotation): agreed, and the new version is recorded.
    const master2 = randomHash();
    expect(await b.checkKeyFingerprints([{ kind: "signing", version: 0, fingerprint: signing }, { kind: "master", version: 2, fingerprint: master2 }])).toEqual([]);
    const other = { kind: "master" as const, version: 2, fingerprint: randomHash() };
    expect(await a.checkKeyFingerprints([{ kind: "signing", version: 0, fingerprint: signing }, other])).toEqual([other]);
  });

  it("deletes a file whose chunk is being appended meanwhile: no orphan chunk, no bytes kept, no deadlock", async () => {
    const store = await openTemp();
    const up = makeUpload();
    await store.createUpload(up);
    const begun = await store.beginPart(up.uploadHash, 0, T0, T0 + 60_000);
    if (!begun.ok) throw new Error("the part did not begin");
    expect(await store.appendChunk(begun.attempt, 0, randomHash(100), Number.MAX_SAFE_INTEGER)).toBe("ok");
    const id = Buffer.from(up.fileId);
    // A second connection runs the statements of appendChunk by hand, so the delete can be made to start between
    // them: the append holds the upload row's SHARE lock when the delete comes.
    const append = await store.pool.connect();
    try {
      const pid = (await append.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!.pid;
      await append.query("BEGIN");
      expect((await append.query("SELECT 1 FROM files WHERE file_id = $1 AND link_hash IS NULL FOR SHARE", [id])).rowCount).toBe(1);
      const deleting = store.deleteFile(up.fileId);
      // Until the delete waits for this transaction's lock.
      await untilSomeoneWaitsFor(store, pid);
      // The rest of the append: it must neither deadlock with the delete nor leave its chunk and bytes behind.
      expect((await append.query("UPDATE file_storage SET bytes = bytes + 200 WHERE id = 1")).rowCount).toBe(1);
      await append.query("INSERT INTO file_chunks (file_id, seq, data) VALUES ($1, 1, $2)", [id, randomHash(200)]);
      await append.query("COMMIT");
      await deleting;
    } finally {
      append.release();
    }
    expect((await store.pool.query("SELECT 1 FROM file_chunks WHERE file_id = $1", [id])).rowCount).toBe(0);
    expect((await store.pool.query("SELECT 1 FROM files WHERE file_id = $1", [id])).rowCount).toBe(0);
    expect(await store.storageBytes()).toBe(0);
    // An append after the delete finds no upload.
    expect(await store.appendChunk(begun.attempt, 2, randomHash(100), Number.MAX_SAFE_INTEGER)).toBe("unavailable");
  });

  it("makes a new attempt at a part wait for a chunk the old attempt is appending, then removes it: no orphan, no clash", async () => {
    const store = await openTemp();
    const up = makeUpload();
    await store.createUpload(up);
    const stale = await store.beginPart(up.uploadHash, 0, T0, T0 + 1000);
    if (!stale.ok) throw new Error("the part did not begin");
    const id = Buffer.from(up.fileId);
    // The stale attempt's append, by hand, stopped after its check: it holds the row's SHARE lock and has seen its
    // own attempt number still current when the new attempt comes.
    const append = await store.pool.connect();
    let fresh: BeginPartResult | null = null;
    try {
      const pid = (await append.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!.pid;
      await append.query("BEGIN");
      const holder = await append.query<{ attempt: number }>("SELECT part_attempt AS attempt FROM files WHERE file_id = $1 AND link_hash IS NULL FOR SHARE", [id]);
      expect(holder.rows[0]!.attempt).toBe(stale.attempt.attempt);
      const taking = store.beginPart(up.uploadHash, 0, T0 + 2000, T0 + 60_000);
      await untilSomeoneWaitsFor(store, pid);
      expect((await append.query("UPDATE file_storage SET bytes = bytes + 100 WHERE id = 1")).rowCount).toBe(1);
      await append.query("INSERT INTO file_chunks (file_id, seq, data) VALUES ($1, 0, $2)", [id, randomHash(100)]);
      await append.query("COMMIT");
      fresh = await taking;
    } finally {
      append.release();
    }
    if (fresh === null || !fresh.ok) throw new Error("the new attempt did not begin");
    // The stale chunk went with the takeover: the new attempt writes chunk 0 without a clash, and the count is exact.
    expect(await store.storageBytes()).toBe(0);
    const chunk = randomHash(300);
    expect(await store.appendChunk(fresh.attempt, 0, chunk, Number.MAX_SAFE_INTEGER)).toBe("ok");
    expect(await store.appendChunk(stale.attempt, 1, randomHash(100), Number.MAX_SAFE_INTEGER)).toBe("superseded");
    expect(await store.endPart(fresh.attempt, 0, 1, 300)).toBe("ok");
    expect(Buffer.from((await store.readChunk(up.fileId, 0))!).equals(Buffer.from(chunk))).toBe(true);
    expect(await store.storageBytes()).toBe(300);
  });

  it("answers ping while the server is up and rejects once the store is closed", async () => {
    const store = await openTemp();
    await expect(store.ping()).resolves.toBeUndefined();
    await store.close();
    await expect(store.ping()).rejects.toThrow();
    await store.close();
  });

  it("never stores a raw value: the store only ever sees hashes and sealed bytes", async () => {
    const url = await freshUrl();
    const store = await openTemp(url);
    await store.createLink(makeLink());
    const columns = await adminQuery<{ column_name: string; data_type: string }>(
      url,
      "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'links' ORDER BY ordinal_position",
    );
    expect(columns.filter((c) => c.column_name.endsWith("_hash")).every((c) => c.data_type === "bytea")).toBe(true);
  });
});
