import { closeSync, openSync } from "node:fs";
import Database from "better-sqlite3";
import type { ContentKind, LinkMeta } from "../core/link.js";
import { WalSyncer } from "./wal-sync.js";
import { GroupCommitter, type GroupCommitStats } from "./group-commit.js";
import {
  FILE_STREAM_LEASE_MS,
  METADATA_RETENTION_MS,
  MAX_EVENTS_PER_LINK,
  type AppendChunkResult,
  type BeginPartResult,
  type ChallengeResult,
  type LinkEvent,
  type LinkStore,
  type NewLink,
  type NewUpload,
  type PartAttempt,
  type PartWriteResult,
  type PurgeResult,
  type ReleasedContent,
  type UploadState,
} from "./link-store.js";
import type { PasskeyStore } from "./passkey-store.js";
import { migrateSqlite } from "./sqlite-migrate.js";
import { sqlitePasskeys } from "./sqlite-passkeys.js";
import {
  ALL_CHUNKS,
  CHUNK_DELETE_BATCH,
  blob,
  eventChain,
  partStanding,
  toLinkMeta,
  uploadState,
  type MetaRow,
  type PartHolderRow,
  type UploadRow,
} from "./store-bytes.js";


/** A data key wrapped under an old master key version, as `staleKeys` reads it. */
export interface StaleKey {
  idHash: Uint8Array;
  keyVersion: number;
  wrappedKey: Uint8Array;
}

/** A re-wrapped data key, written only if the row still holds `old` (see `updateWrappedKeys`). */
export interface WrappedKeyUpdate {
  old: StaleKey;
  keyVersion: number;
  wrappedKey: Uint8Array;
}

/** The SQLite adapter: a LinkStore plus the raw handle (for tests and operator commands) and batching counters. */
export interface SqliteLinkStore extends LinkStore {
  readonly db: Database.Database;
  stats(): GroupCommitStats;
  /** Up to `limit` fresh links whose data key is wrapped under another version than `currentVersion` (a read). */
  staleKeys(currentVersion: number, limit: number): StaleKey[];
  /**
   * Writes re-wrapped data keys in one transaction, each conditional on the row still being fresh and holding the
   * old wrap (a link consumed or re-wrapped since `staleKeys` is left alone). Returns how many rows changed.
   */
  updateWrappedKeys(updates: WrappedKeyUpdate[]): Promise<number>;
  /** Why no write is acknowledged any more (the WAL sync failed, see WalSyncer); null while writes are accepted. */
  readonly writeFailure: Error | null;
}

export interface SqliteStoreOptions {
  /** Path of the database file; created with mode 0600 when missing. */
  file: string;
  /** Most writes committed by one transaction (default 512); the rest wait for the next flush. */
  maxBatch?: number;
}

/** The row of `readContent`: its columns are aliased to the ReleasedContent names, so a consume returns it as is. */
interface ContentRow {
  kind: ContentKind;
  keyVersion: number | null;
  wrappedKey: Buffer | null;
  sealed: Buffer | null;
  fileId: Buffer | null;
}

/** A `files` row of an unfinished upload, as the upload statements select it. */




/** Page cache of each connection, in KiB. */
const CACHE_KIB = 32 * 1024;

/**
 * Page cache of the connection that carries file chunks, in KiB: SQLite's default. A 1 MiB chunk read or written
 * through the links connection would evict its index pages and grow its cache to the full 32 MiB with pages of
 * chunks that are read once and deleted; here they pass through 2 MiB.
 */
const FILE_CACHE_KIB = 2 * 1024;

/** The file holds wrapped keys and link metadata: nobody but the service user should read it (-wal/-shm inherit). */
function createPrivately(file: string): void {
  try {
    closeSync(openSync(file, "wx", 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
}

/**
 * `synchronous`: FULL makes each COMMIT fsync the WAL on the calling thread; NORMAL leaves that fsync to the store's
 * WalSyncer, off the request thread, which settles no write before it (the same durability, see wal-sync.ts).
 */
function configure(db: Database.Database, cacheKib: number, synchronous: "FULL" | "NORMAL"): void {
  // Several processes may share the file; a writer waits for the lock instead of failing at once.
  db.pragma("busy_timeout = 5000");
  const mode = db.pragma("journal_mode = WAL", { simple: true });
  if (mode !== "wal") throw new Error(`sqlite: WAL mode unavailable (got ${String(mode)}); is the file on a local disk?`);
  // A consume acknowledged to a client must survive power loss, not only a crash: see `synchronous` above.
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma("foreign_keys = ON");
  // Zero freed cells and pages, so destroyed ciphertext and wrapped keys do not linger in the file.
  db.pragma("secure_delete = ON");
  // Up to 32 MiB of page cache per connection instead of SQLite's 2 MiB: id hashes are random, so every lookup in a
  // larger table otherwise walks index and table pages through read() calls (measured: ~5 us of a ~27 us consume).
  db.pragma(`cache_size = -${cacheKib}`);
  const expected: Record<string, number> = { synchronous: synchronous === "FULL" ? 2 : 1, foreign_keys: 1, secure_delete: 1, cache_size: -cacheKib };
  for (const [name, value] of Object.entries(expected)) {
    const actual = db.pragma(name, { simple: true });
    if (actual !== value) throw new Error(`sqlite: PRAGMA ${name} is ${String(actual)}, expected ${value}`);
  }
}

/** The statements of uploads and chunks, prepared on the connection that carries them. */
function fileStatements(db: Database.Database) {
  return {
    insertUpload: db.prepare(
      `INSERT INTO files (file_id, upload_hash, key_version, wrapped_key, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    upload: db.prepare(
      `SELECT file_id AS fileId, key_version AS keyVersion, wrapped_key AS wrappedKey, next_part AS nextPart,
              next_seq AS nextSeq, stored_bytes AS storedBytes, part_lease AS partLease, part_attempt AS partAttempt,
              expires_at AS expiresAt
       FROM files WHERE upload_hash = ? AND link_hash IS NULL AND expires_at > ?`,
    ),
    // A new attempt takes the part: the next number, and the lease (the attempt before it is fenced out from now on).
    takePart: db.prepare("UPDATE files SET part_lease = ?, part_attempt = ? WHERE file_id = ?"),
    // Read inside the write transaction of every part write, which then acts only if its attempt still holds the part.
    partHolder: db.prepare(
      `SELECT part_attempt AS attempt, part_lease IS NOT NULL AS held, next_seq AS nextSeq, expires_at AS expiresAt
       FROM files WHERE file_id = ? AND link_hash IS NULL`,
    ),
    reserve: db.prepare("UPDATE file_storage SET bytes = bytes + ? WHERE id = 1 AND bytes + ? <= ?"),
    release: db.prepare("UPDATE file_storage SET bytes = bytes - ? WHERE id = 1"),
    insertChunk: db.prepare("INSERT INTO file_chunks (file_id, seq, data) VALUES (?, ?, ?)"),
    // The fence: only the attempt that holds the part (same number, lease set, upload open) ends it.
    endPart: db.prepare(
      `UPDATE files SET next_part = ? + 1, next_seq = ?, stored_bytes = ?, part_lease = NULL
       WHERE file_id = ? AND next_part = ? AND part_attempt = ? AND part_lease IS NOT NULL AND link_hash IS NULL
         AND expires_at > 0`,
    ),
    releasePart: db.prepare("UPDATE files SET part_lease = NULL WHERE file_id = ?"),
    // length() of a blob reads the record header only, not the blob.
    chunkBatch: db.prepare(
      "SELECT seq, length(data) AS n FROM file_chunks WHERE file_id = ? AND seq >= ? AND seq < ? ORDER BY seq LIMIT ?",
    ),
    deleteChunkRange: db.prepare("DELETE FROM file_chunks WHERE file_id = ? AND seq >= ? AND seq <= ?"),
    readChunk: db.prepare("SELECT data FROM file_chunks WHERE file_id = ? AND seq = ?").pluck(),
    leaseFile: db.prepare("UPDATE files SET stream_until = ? WHERE file_id = ?"),
    deleteFileRow: db.prepare("DELETE FROM files WHERE file_id = ?"),
    // Closes an upload (see cancelUpload): expired, it can be neither continued nor finished, and the sweep removes
    // whatever of it a crash leaves behind. A file that already became a link is left alone.
    closeUpload: db.prepare("UPDATE files SET expires_at = 0, part_lease = NULL WHERE file_id = ? AND link_hash IS NULL"),
    // The same, for a refused part: only while that part's attempt still holds it.
    closeUploadAsWriter: db.prepare(
      `UPDATE files SET expires_at = 0, part_lease = NULL
       WHERE file_id = ? AND part_attempt = ? AND part_lease IS NOT NULL AND link_hash IS NULL AND expires_at > 0`,
    ),
    storageBytes: db.prepare("SELECT bytes FROM file_storage WHERE id = 1").pluck(),
    // Files nobody can use any more: an upload past its time, or the file of a link that is no longer fresh (ended a
    // while ago, so the download that consumed it has had time to take its lease) and that no download holds.
    deadFiles: db.prepare(
      `SELECT file_id AS fileId, f.link_hash IS NULL AS upload FROM files AS f
       WHERE (f.link_hash IS NULL AND f.expires_at <= ?)
          OR (f.link_hash IS NOT NULL AND (f.stream_until IS NULL OR f.stream_until <= ?)
              AND NOT EXISTS (SELECT 1 FROM links AS l WHERE l.id_hash = f.link_hash AND (l.state = 'fresh' OR l.ended_at > ?)))
       LIMIT 100`,
    ),
  };
}

class SqliteStore implements SqliteLinkStore {
  readonly db: Database.Database;
  readonly #writer: GroupCommitter;
  readonly #sql;
  /** The connection of uploads and chunks (small page cache), its own group commit, and its statements. */
  readonly #fileDb: Database.Database;
  readonly #fileWriter: GroupCommitter;
  readonly #fsql;
  readonly #passkeys: ReturnType<typeof sqlitePasskeys>;
  readonly #syncer: WalSyncer | null;
  #closing = false;

  /**
   * `fileDb`: a second connection to the same file for uploads and chunks, or `db` itself (an in-memory database
   * has no second connection). Both write from this one thread, each transaction run synchronously, so they never
   * wait for each other's lock. `syncer`: makes their commits durable (both write to the same WAL, so one covers
   * both); null for an in-memory database, which has no WAL.
   */
  constructor(db: Database.Database, maxBatch: number, fileDb: Database.Database, syncer: WalSyncer | null) {
    this.db = db;
    this.#syncer = syncer;
    this.#writer = new GroupCommitter(db, maxBatch, syncer);
    this.#fileDb = fileDb;
    this.#fileWriter = fileDb === db ? this.#writer : new GroupCommitter(fileDb, maxBatch, syncer);
    this.#fsql = fileStatements(fileDb);
    this.#passkeys = sqlitePasskeys(db, this.#writer);
    // Prepared once: preparing per call would cost more than the statements themselves at thousands of ops/s.
    // Writes use .run() and read `changes`, never `UPDATE ... RETURNING` with .get(), which leaves the statement
    // open, pins a read snapshot and lets the WAL grow without bound.
    this.#sql = {
      insertLink: db.prepare(
        `INSERT INTO links (id_hash, manage_hash, kind, state, key_version, wrapped_key, sealed, policy, created_at, expires_at)
         VALUES (?, ?, ?, 'fresh', ?, ?, ?, ?, ?, ?)`,
      ),
      meta: db.prepare(
        "SELECT state, created_at, expires_at, ended_at, manage_hash, kind, policy FROM links WHERE id_hash = ?",
      ),
      linkIsLive: db.prepare("SELECT 1 FROM links WHERE id_hash = ? AND state = 'fresh' AND expires_at > ?"),
      challengeIsUsed: db.prepare("SELECT 1 FROM used_challenges WHERE challenge_hash = ? AND expires_at > ?"),
      // A leftover row of an expired challenge (not yet purged) is overwritten rather than treated as a replay.
      burnChallenge: db.prepare(
        `INSERT INTO used_challenges (challenge_hash, expires_at) VALUES (?, ?)
         ON CONFLICT (challenge_hash) DO UPDATE SET expires_at = excluded.expires_at WHERE used_challenges.expires_at <= ?`,
      ),
      readContent: db.prepare(
        `SELECT kind, key_version AS keyVersion, wrapped_key AS wrappedKey, sealed, file_id AS fileId
         FROM links WHERE id_hash = ? AND state = 'fresh' AND expires_at > ?`,
      ),
      // The compare-and-set: only the transaction that still sees 'fresh' changes a row.
      burnLink: db.prepare(
        `UPDATE links SET state = 'consumed', ended_at = ?, sealed = NULL, wrapped_key = NULL
         WHERE id_hash = ? AND state = 'fresh' AND expires_at > ?`,
      ),
      revokeLink: db.prepare(
        `UPDATE links SET state = 'revoked', ended_at = ?, sealed = NULL, wrapped_key = NULL
         WHERE id_hash = ? AND state = 'fresh' AND expires_at > ?`,
      ),
      countFailure: db.prepare(
        "UPDATE links SET failed_attempts = failed_attempts + 1 WHERE id_hash = ? AND state = 'fresh' AND expires_at > ?",
      ),
      failures: db.prepare("SELECT failed_attempts FROM links WHERE id_hash = ?"),
      expireNow: db.prepare(
        `UPDATE links SET state = 'expired', ended_at = ?, sealed = NULL, wrapped_key = NULL
         WHERE id_hash = ? AND state = 'fresh'`,
      ),
      expireLink: db.prepare(
        `UPDATE links SET state = 'expired', ended_at = expires_at, sealed = NULL, wrapped_key = NULL
         WHERE id_hash = ? AND state = 'fresh' AND expires_at <= ?`,
      ),
      expireDue: db.prepare(
        `UPDATE links SET state = 'expired', ended_at = expires_at, sealed = NULL, wrapped_key = NULL
         WHERE state = 'fresh' AND expires_at <= ?`,
      ),
      deleteChallenges: db.prepare("DELETE FROM used_challenges WHERE expires_at <= ?"),
      deleteEnded: db.prepare("DELETE FROM links WHERE ended_at IS NOT NULL AND ended_at < ?"),
      deleteEndedEvents: db.prepare(
        "DELETE FROM link_events WHERE id_hash IN (SELECT id_hash FROM links WHERE ended_at IS NOT NULL AND ended_at < ?)",
      ),
      linkExists: db.prepare("SELECT 1 FROM links WHERE id_hash = ?"),
      lastEvent: db.prepare("SELECT seq, chain FROM link_events WHERE id_hash = ? ORDER BY seq DESC LIMIT 1"),
      insertEvent: db.prepare("INSERT INTO link_events (id_hash, seq, kind, at, chain) VALUES (?, ?, ?, ?, ?)"),
      listEvents: db.prepare("SELECT seq, kind, at, chain FROM link_events WHERE id_hash = ? ORDER BY seq"),
      ping: db.prepare("SELECT 1"),
      insertFileLink: db.prepare(
        `INSERT INTO links (id_hash, manage_hash, kind, state, key_version, wrapped_key, sealed, policy, created_at, expires_at, file_id)
         VALUES (?, ?, 'file', 'fresh', ?, ?, ?, ?, ?, ?, ?)`,
      ),
      handOver: db.prepare(
        `UPDATE files SET upload_hash = NULL, link_hash = ?, key_version = NULL, wrapped_key = NULL, part_lease = NULL,
                          expires_at = ?
         WHERE file_id = ? AND upload_hash = ? AND next_seq = ? AND expires_at > ? AND (part_lease IS NULL OR part_lease <= ?)`,
      ),
      staleKeys: db.prepare(
        `SELECT id_hash, key_version, wrapped_key FROM links
         WHERE wrapped_key IS NOT NULL AND key_version <> ? AND state = 'fresh' LIMIT ?`,
      ),
      // Conditional on the old wrap: a link consumed or re-wrapped since the SELECT is left alone.
      updateKey: db.prepare(
        `UPDATE links SET key_version = ?, wrapped_key = ?
         WHERE id_hash = ? AND key_version = ? AND wrapped_key = ? AND state = 'fresh'`,
      ),
    };
  }

  stats(): GroupCommitStats {
    return this.#writer.stats();
  }

  async createLink(link: NewLink): Promise<void> {
    await this.#writer.enqueue(() => {
      this.#sql.insertLink.run(
        blob(link.idHash), blob(link.manageHash), link.kind, link.keyVersion, blob(link.wrappedKey),
        blob(link.sealed), link.policy, link.createdAt, link.expiresAt,
      );
    });
  }

  async getLinkMeta(idHash: Uint8Array): Promise<LinkMeta | null> {
    const row = this.#sql.meta.get(blob(idHash)) as MetaRow | undefined;
    return row ? toLinkMeta(row) : null;
  }

  redeemChallenge(challengeHash: Uint8Array, challengeExpiresAt: number, linkIdHash: Uint8Array, now: number): Promise<ChallengeResult> {
    return this.#writer.enqueue((): ChallengeResult => {
      const challenge = blob(challengeHash);
      // Checks before the write, inside the IMMEDIATE transaction: an unavailable link must not burn the challenge.
      if (this.#sql.challengeIsUsed.get(challenge, now)) return "challenge-used";
      if (!this.#sql.linkIsLive.get(blob(linkIdHash), now)) return "unavailable";
      this.#sql.burnChallenge.run(challenge, challengeExpiresAt, now);
      return "ok";
    });
  }

  consume(linkIdHash: Uint8Array, now: number): Promise<ReleasedContent | null> {
    const id = blob(linkIdHash);
    // The hottest path: two prepared statements, and the row object itself is what the caller gets. Its one write
    // is its last statement, so it needs no savepoint of its own.
    return this.#writer.enqueueSingleWrite((): ReleasedContent | null => {
      // RETURNING would yield the post-update NULLs, so read first; the IMMEDIATE transaction holds the write lock,
      // so no other connection or process can change the row between this read and the compare-and-set below.
      const row = this.#sql.readContent.get(id, now) as ContentRow | undefined;
      if (row === undefined) return null;
      if (row.sealed === null || row.wrappedKey === null || row.keyVersion === null) {
        // A fresh link without content is corruption; throwing before the write leaves the link as it was.
        throw new Error("sqlite: fresh link without content");
      }
      if (this.#sql.burnLink.run(now, id, now).changes !== 1) return null;
      return row as ReleasedContent;
    });
  }

  recordEvent(idHash: Uint8Array, event: LinkEvent): Promise<void> {
    const id = blob(idHash);
    return this.#writer.enqueueSingleWrite((): void => {
      if (!this.#sql.linkExists.get(id)) return;
      const last = this.#sql.lastEvent.get(id) as { seq: number; chain: Buffer } | undefined;
      const seq = (last?.seq ?? 0) + 1;
      if (seq > MAX_EVENTS_PER_LINK) return;
      this.#sql.insertEvent.run(id, seq, event.kind, event.at, eventChain(last?.chain ?? null, seq, event));
    });
  }

  async listEvents(idHash: Uint8Array): Promise<LinkEvent[]> {
    const rows = this.#sql.listEvents.all(blob(idHash)) as Array<{ seq: number; kind: string; at: number; chain: Buffer }>;
    let previous: Buffer | null = null;
    return rows.map((row, i) => {
      if (row.seq !== i + 1 || !eventChain(previous, row.seq, row).equals(row.chain)) {
        throw new Error("sqlite: the event log of a link fails its hash chain");
      }
      previous = row.chain;
      return { kind: row.kind, at: row.at };
    });
  }

  failAttempt(idHash: Uint8Array, now: number, max: number): Promise<number | null> {
    return this.#writer.enqueue((): number | null => {
      const id = blob(idHash);
      if (this.#sql.countFailure.run(id, now).changes !== 1) return null;
      const { failed_attempts: failed } = this.#sql.failures.get(id) as { failed_attempts: number };
      if (failed < max) return max - failed;
      this.#sql.expireNow.run(now, id);
      return 0;
    });
  }

  revoke(idHash: Uint8Array, now: number): Promise<boolean> {
    return this.#writer.enqueue((): boolean => {
      const id = blob(idHash);
      if (this.#sql.revokeLink.run(now, id, now).changes === 1) return true;
      // Past its expiry the link is already expired to everyone: record that and destroy the content now, rather
      // than keep it until the next purge.
      this.#sql.expireLink.run(id, now);
      return false;
    });
  }

  async expire(idHash: Uint8Array, now: number): Promise<void> {
    const id = blob(idHash);
    await this.#writer.enqueueSingleWrite(() => this.#sql.expireLink.run(id, now));
  }

  async purgeExpired(now: number): Promise<PurgeResult> {
    const result = await this.#writer.enqueue((): PurgeResult => {
      const expired = this.#sql.expireDue.run(now).changes;
      const challenges = this.#sql.deleteChallenges.run(now).changes;
      this.#sql.deleteEndedEvents.run(now - METADATA_RETENTION_MS);
      this.#sql.deleteEnded.run(now - METADATA_RETENTION_MS);
      this.#passkeys.purge(now);
      return { expired, challenges, files: 0 };
    });
    // Each dead file is removed in short transactions of its own.
    for (;;) {
      const dead = this.#fsql.deadFiles.all(now, now, now - FILE_STREAM_LEASE_MS) as Array<{ fileId: Buffer; upload: number }>;
      // An expired upload may have been finished since it was selected (another clock): cancelUpload leaves that alone.
      for (const { fileId, upload } of dead) await (upload === 1 ? this.cancelUpload(fileId) : this.deleteFile(fileId));
      result.files += dead.length;
      if (dead.length < 100) break;
    }
    // Old page images of destroyed content stay in the WAL until it is checkpointed and truncated; this must run
    // outside a transaction, which holds here because batches run synchronously and none is open between them.
    if (this.db.open) this.db.pragma("wal_checkpoint(TRUNCATE)");
    return result;
  }

  rewrapKeys(
    currentVersion: number,
    rewrap: (idHash: Uint8Array, keyVersion: number, wrappedKey: Uint8Array) => { keyVersion: number; wrappedKey: Uint8Array },
  ): Promise<number> {
    return rewrapInBatches(this, currentVersion, rewrap);
  }

  staleKeys(currentVersion: number, limit: number): StaleKey[] {
    const rows = this.#sql.staleKeys.all(currentVersion, limit) as Array<{ id_hash: Buffer; key_version: number; wrapped_key: Buffer }>;
    return rows.map((row) => ({ idHash: row.id_hash, keyVersion: row.key_version, wrappedKey: row.wrapped_key }));
  }

  updateWrappedKeys(updates: WrappedKeyUpdate[]): Promise<number> {
    return this.#writer.enqueue((): number => {
      let changed = 0;
      for (const { old, keyVersion, wrappedKey } of updates) {
        changed += this.#sql.updateKey.run(keyVersion, blob(wrappedKey), blob(old.idHash), old.keyVersion, blob(old.wrappedKey)).changes;
      }
      return changed;
    });
  }

  async createUpload(upload: NewUpload): Promise<void> {
    await this.#fileWriter.enqueue(() => {
      this.#fsql.insertUpload.run(
        blob(upload.fileId), blob(upload.uploadHash), upload.keyVersion, blob(upload.wrappedKey), upload.createdAt, upload.expiresAt,
      );
    });
  }

  async getUpload(uploadHash: Uint8Array, now: number): Promise<UploadState | null> {
    const row = this.#fsql.upload.get(blob(uploadHash), now) as UploadRow | undefined;
    return row ? uploadState(row, now) : null;
  }

  beginPart(uploadHash: Uint8Array, part: number, now: number, leaseUntil: number): Promise<BeginPartResult> {
    return this.#fileWriter.enqueue((): BeginPartResult => {
      const row = this.#fsql.upload.get(blob(uploadHash), now) as UploadRow | undefined;
      if (row === undefined) return { ok: false, reason: "unavailable" };
      if (part !== row.nextPart) return { ok: false, reason: "out-of-order", nextPart: row.nextPart };
      // Chunks of an earlier attempt at this part go first: one that crashed, lost its client, or is still writing
      // (it is superseded: from this transaction on, each of its writes finds another attempt number and is refused).
      this.#deleteChunksNow(row.fileId, row.nextSeq, ALL_CHUNKS, ALL_CHUNKS);
      const attempt = row.partAttempt + 1;
      this.#fsql.takePart.run(leaseUntil, attempt, row.fileId);
      return { ok: true, upload: { ...uploadState(row, now), busy: true }, attempt: { fileId: row.fileId, attempt } };
    });
  }

  appendChunk(attempt: PartAttempt, seq: number, sealed: Uint8Array, quotaBytes: number): Promise<AppendChunkResult> {
    const id = blob(attempt.fileId);
    const data = blob(sealed);
    return this.#fileWriter.enqueue((): AppendChunkResult => {
      // The check and the insert share the IMMEDIATE transaction: no other attempt can take the part in between.
      const standing = partStanding(this.#fsql.partHolder.get(id) as PartHolderRow | undefined, attempt.attempt);
      if (standing !== "ok") return standing;
      if (this.#fsql.reserve.run(data.length, data.length, quotaBytes).changes !== 1) return "quota";
      this.#fsql.insertChunk.run(id, seq, data);
      return "ok";
    });
  }

  endPart(attempt: PartAttempt, part: number, nextSeq: number, storedBytes: number): Promise<PartWriteResult> {
    const id = blob(attempt.fileId);
    return this.#fileWriter.enqueue((): PartWriteResult => {
      if (this.#fsql.endPart.run(part, nextSeq, storedBytes, id, part, attempt.attempt).changes === 1) return "ok";
      const standing = partStanding(this.#fsql.partHolder.get(id) as PartHolderRow | undefined, attempt.attempt);
      return standing === "ok" ? "superseded" : standing;
    });
  }

  abortPart(attempt: PartAttempt): Promise<PartWriteResult> {
    const id = blob(attempt.fileId);
    return this.#fileWriter.enqueue((): PartWriteResult => {
      const row = this.#fsql.partHolder.get(id) as PartHolderRow | undefined;
      const standing = partStanding(row, attempt.attempt);
      if (standing !== "ok") return standing;
      // A part is at most a few chunks (PART_BYTES / STORE_CHUNK_BYTES): they go in this one transaction.
      this.#deleteChunksNow(id, row!.nextSeq, ALL_CHUNKS, ALL_CHUNKS);
      this.#fsql.releasePart.run(id);
      return "ok";
    });
  }

  async cancelUploadFromPart(attempt: PartAttempt): Promise<PartWriteResult> {
    const id = blob(attempt.fileId);
    const closed = await this.#fileWriter.enqueue((): PartWriteResult => {
      if (this.#fsql.closeUploadAsWriter.run(id, attempt.attempt).changes === 1) return "ok";
      const standing = partStanding(this.#fsql.partHolder.get(id) as PartHolderRow | undefined, attempt.attempt);
      return standing === "ok" ? "superseded" : standing;
    });
    if (closed === "ok") await this.deleteFile(id);
    return closed;
  }

  finishUpload(uploadHash: Uint8Array, fileId: Uint8Array, chunkCount: number, link: NewLink, now: number): Promise<boolean> {
    return this.#writer.enqueue((): boolean => {
      const id = blob(fileId);
      const handed = this.#sql.handOver.run(blob(link.idHash), link.expiresAt, id, blob(uploadHash), chunkCount, now, now).changes;
      if (handed !== 1) return false;
      this.#sql.insertFileLink.run(
        blob(link.idHash), blob(link.manageHash), link.keyVersion, blob(link.wrappedKey), blob(link.sealed), link.policy,
        link.createdAt, link.expiresAt, id,
      );
      return true;
    });
  }

  async readChunk(fileId: Uint8Array, seq: number): Promise<Uint8Array | null> {
    return (this.#fsql.readChunk.get(blob(fileId), seq) as Buffer | undefined) ?? null;
  }

  async dropChunks(fileId: Uint8Array, belowSeq: number): Promise<void> {
    await this.#dropRange(blob(fileId), 0, belowSeq);
  }

  async leaseFile(fileId: Uint8Array, until: number): Promise<void> {
    await this.#fileWriter.enqueueSingleWrite(() => this.#fsql.leaseFile.run(until, blob(fileId)));
  }

  async deleteFile(fileId: Uint8Array): Promise<void> {
    const id = blob(fileId);
    await this.#dropRange(id, 0, ALL_CHUNKS);
    await this.#fileWriter.enqueue(() => {
      // A chunk appended meanwhile (a racing part) goes in the same transaction as the row.
      this.#deleteChunksNow(id, 0, ALL_CHUNKS, ALL_CHUNKS);
      this.#fsql.deleteFileRow.run(id);
    });
  }

  async cancelUpload(fileId: Uint8Array): Promise<boolean> {
    const id = blob(fileId);
    if (!(await this.#fileWriter.enqueueSingleWrite(() => this.#fsql.closeUpload.run(id).changes === 1))) return false;
    await this.deleteFile(id);
    return true;
  }

  async storageBytes(): Promise<number> {
    return this.#fsql.storageBytes.get() as number;
  }

  /** Removes chunks in [from, below) in short transactions, each updating the storage counter. */
  async #dropRange(id: Buffer, from: number, below: number): Promise<void> {
    while (await this.#fileWriter.enqueue(() => this.#deleteChunksNow(id, from, below, CHUNK_DELETE_BATCH) > 0));
  }

  /** Inside a write transaction: deletes up to `limit` chunks in [from, below) and releases their bytes. */
  #deleteChunksNow(id: Buffer, from: number, below: number, limit: number): number {
    const rows = this.#fsql.chunkBatch.all(id, from, below, limit) as Array<{ seq: number; n: number }>;
    if (rows.length === 0) return 0;
    this.#fsql.deleteChunkRange.run(id, rows[0]!.seq, rows.at(-1)!.seq);
    this.#fsql.release.run(rows.reduce((sum, r) => sum + r.n, 0));
    return rows.length;
  }

  issueEnrolment: PasskeyStore["issueEnrolment"] = (...args) => this.#passkeys.issueEnrolment(...args);
  pendingEnrolment: PasskeyStore["pendingEnrolment"] = (...args) => this.#passkeys.pendingEnrolment(...args);
  completeEnrolment: PasskeyStore["completeEnrolment"] = (...args) => this.#passkeys.completeEnrolment(...args);
  getPasskey: PasskeyStore["getPasskey"] = (...args) => this.#passkeys.getPasskey(...args);
  findPasskey: PasskeyStore["findPasskey"] = (...args) => this.#passkeys.findPasskey(...args);
  updatePasskeyCounter: PasskeyStore["updatePasskeyCounter"] = (...args) => this.#passkeys.updatePasskeyCounter(...args);
  getHandle: PasskeyStore["getHandle"] = (...args) => this.#passkeys.getHandle(...args);
  removeHandle: PasskeyStore["removeHandle"] = (...args) => this.#passkeys.removeHandle(...args);

  get writeFailure(): Error | null {
    return this.#syncer?.failure ?? null;
  }

  async ping(): Promise<void> {
    // Not ready once the disk has lost a write: nothing is acknowledged any more (see WalSyncer).
    const failure = this.writeFailure;
    if (failure !== null) throw failure;
    this.#sql.ping.get();
  }

  async close(): Promise<void> {
    if (!this.db.open || this.#closing) return;
    this.#closing = true;
    this.#writer.close();
    if (this.#fileWriter !== this.#writer) this.#fileWriter.close();
    await this.#syncer?.close();
    if (this.#fileDb !== this.db) this.#fileDb.close();
    this.db.close();
  }
}

/**
 * `SqliteLinkStore.rewrapKeys`, shared by both SQLite stores: reads stale keys 500 at a time, re-wraps them here and
 * writes each batch conditionally (batches keep each transaction, and the pause it causes to other writers, short).
 * A key that changed between the read and the write is skipped; if still stale, the next read returns it again.
 */
export async function rewrapInBatches(
  store: Pick<SqliteLinkStore, "staleKeys" | "updateWrappedKeys">,
  currentVersion: number,
  rewrap: (idHash: Uint8Array, keyVersion: number, wrappedKey: Uint8Array) => { keyVersion: number; wrappedKey: Uint8Array },
): Promise<number> {
  let total = 0;
  for (;;) {
    const stale = store.staleKeys(currentVersion, 500);
    if (stale.length === 0) return total;
    total += await store.updateWrappedKeys(stale.map((old) => ({ old, ...rewrap(old.idHash, old.keyVersion, old.wrappedKey) })));
  }
}

/**
 * Opens (creating and migrating if needed) the embedded SQLite store: WAL (synchronous=NORMAL, each commit fsync'd off
 * the request thread by a WalSyncer before it is acknowledged), foreign keys,
 * secure_delete, and group commit for every write. Several stores, in one process or many, may share the file.
 * @example
 * const store = await openSqliteStore({ file: join(dataDir, "oncelink.db") });
 * await store.createLink(link);
 */
export async function openSqliteStore(opts: SqliteStoreOptions): Promise<SqliteLinkStore> {
  const inMemory = opts.file === ":memory:" || opts.file === "";
  if (!inMemory) createPrivately(opts.file);
  const db = new Database(opts.file);
  let fileDb: Database.Database | null = null;
  let syncer: WalSyncer | null = null;
  try {
    // An in-memory database has no WAL to sync (and nothing survives a crash anyway).
    configure(db, CACHE_KIB, inMemory ? "FULL" : "NORMAL");
    migrateSqlite(db);
    // Uploads and chunks go through a connection of their own, with a small page cache (see FILE_CACHE_KIB).
    if (!inMemory) {
      fileDb = new Database(opts.file);
      configure(fileDb, FILE_CACHE_KIB, "NORMAL");
      syncer = new WalSyncer(`${opts.file}-wal`);
    }
    return new SqliteStore(db, opts.maxBatch ?? 512, fileDb ?? db, syncer);
  } catch (error) {
    await syncer?.close();
    fileDb?.close();
    db.close();
    throw error;
  }
}
