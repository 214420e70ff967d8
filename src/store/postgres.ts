import pg from "pg";
import type { LinkMeta, LinkState } from "../core/link.js";
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
  type UploadState,
  type RateLimitBackend,
  type RateLimitHit,
  type ReleasedContent,
} from "./link-store.js";
import type { PasskeyStore } from "./passkey-store.js";
import { StatementBatcher, type BatchStats } from "./postgres-batch.js";
import { postgresPasskeys } from "./postgres-passkeys.js";
import { migratePostgres } from "./postgres-migrate.js";
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


/** The PostgreSQL adapter: a LinkStore plus its connection pool (for tests and operator commands) and batching counters. */
export interface PostgresLinkStore extends LinkStore, RateLimitBackend {
  readonly pool: pg.Pool;
  /** Counters of the consume batcher. */
  stats(): BatchStats;
  /**
   * Records this node's key fingerprints where none is recorded yet, and returns those that differ from the ones
   * recorded (by the first node that started with that key kind and version): empty when this node agrees.
   */
  checkKeyFingerprints(mine: KeyFingerprint[]): Promise<KeyFingerprint[]>;
}

/** A one-way fingerprint of one key of the keyring, comparable between nodes. */
export interface KeyFingerprint {
  kind: "master" | "signing";
  version: number;
  fingerprint: Uint8Array;
}

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database?...` (libpq-style parameters such as `sslmode` work). */
  connectionString: string;
  /** Connections this process keeps at most (default 20): every node of a cluster opens its own pool. */
  maxConnections?: number;
  /** Called for errors of idle pooled connections (the pool drops them and reconnects on demand). */
  onError?: (error: Error) => void;
}

/** bigint columns hold milliseconds since the epoch: well inside a double's exact range, so read them as numbers. */
function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new Error("postgres: a bigint column is outside the safe integer range");
  return value;
}

const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === pg.types.builtins.INT8 ? parseInt8 : pg.types.getTypeParser(oid, format as "text")) as pg.CustomTypesConfig["getTypeParser"],
};

// Statements are named, so each pooled connection parses and plans them once.
const SQL = {
  insertLink: `INSERT INTO links (id_hash, manage_hash, kind, state, key_version, wrapped_key, sealed, policy, created_at, expires_at)
               VALUES ($1, $2, $3, 'fresh', $4, $5, $6, $7, $8, $9)`,
  // Creates that arrived together. An id that exists already (or twice in the batch) is skipped, not fatal to the
  // others: RETURNING tells which rows went in.
  insertLinks: `INSERT INTO links (id_hash, manage_hash, kind, state, key_version, wrapped_key, sealed, policy, created_at, expires_at)
                SELECT id_hash, manage_hash, kind, 'fresh', key_version, wrapped_key, sealed, policy, created_at, expires_at
                FROM unnest($1::bytea[], $2::bytea[], $3::text[], $4::integer[], $5::bytea[], $6::bytea[], $7::text[],
                            $8::bigint[], $9::bigint[])
                  AS n(id_hash, manage_hash, kind, key_version, wrapped_key, sealed, policy, created_at, expires_at)
                ON CONFLICT (id_hash) DO NOTHING
                RETURNING id_hash`,
  meta: "SELECT state, created_at, expires_at, ended_at, manage_hash, kind, policy FROM links WHERE id_hash = $1",
  // THE compare-and-set, for every consume that arrived together ($1 ids, $2 each one's "now"). The CTE locks each
  // row only if it is still fresh and unexpired (a concurrent consume of the same link, from this node or another,
  // makes the others wait for its commit, then re-check and find 'consumed'); the UPDATE destroys content and key in
  // the same statement, and RETURNING hands back the old values from the CTE. Rows are locked in id order, so two
  // batches cannot deadlock each other. READ COMMITTED, one round trip, one commit.
  consume: `WITH req AS (
              SELECT DISTINCT ON (id_hash) id_hash, now FROM unnest($1::bytea[], $2::bigint[]) AS r(id_hash, now)
            ),
            old AS (
              SELECT l.id_hash, l.kind, l.key_version, l.wrapped_key, l.sealed, l.file_id, req.now
              FROM links AS l JOIN req ON l.id_hash = req.id_hash
              WHERE l.state = 'fresh' AND l.expires_at > req.now
              ORDER BY l.id_hash
              FOR NO KEY UPDATE OF l
            )
            UPDATE links AS l SET state = 'consumed', ended_at = old.now, sealed = NULL, wrapped_key = NULL
            FROM old WHERE l.id_hash = old.id_hash AND l.state = 'fresh'
            RETURNING old.id_hash, old.kind, old.key_version AS "keyVersion", old.wrapped_key AS "wrappedKey", old.sealed,
                      old.file_id AS "fileId"`,
  // One statement: a used, unexpired challenge is refused; a link that is not live refuses without burning it; else
  // the insert burns it (overwriting a leftover row of an expired challenge). Two racing redemptions meet at the
  // primary key: the loser's ON CONFLICT finds an unexpired row and inserts nothing.
  redeemChallenge: `WITH used AS (SELECT 1 FROM used_challenges WHERE challenge_hash = $1 AND expires_at > $4),
                         live AS (SELECT 1 FROM links WHERE id_hash = $3 AND state = 'fresh' AND expires_at > $4),
                         burn AS (
                           INSERT INTO used_challenges (challenge_hash, expires_at)
                           SELECT $1, $2 WHERE NOT EXISTS (SELECT 1 FROM used) AND EXISTS (SELECT 1 FROM live)
                           ON CONFLICT (challenge_hash) DO UPDATE SET expires_at = excluded.expires_at
                             WHERE used_challenges.expires_at <= $4
                           RETURNING 1
                         )
                    SELECT EXISTS (SELECT 1 FROM burn) AS burned, EXISTS (SELECT 1 FROM used) AS used,
                           EXISTS (SELECT 1 FROM live) AS live`,
  // Fresh and unexpired: revoked. Fresh but past its expiry: already expired to everyone, so record that and destroy
  // the content now rather than at the next purge.
  revoke: `UPDATE links SET state = CASE WHEN expires_at > $2 THEN 'revoked' ELSE 'expired' END,
                            ended_at = CASE WHEN expires_at > $2 THEN $2 ELSE expires_at END,
                            sealed = NULL, wrapped_key = NULL
           WHERE id_hash = $1 AND state = 'fresh'
           RETURNING state`,
  // One statement counts the failure and, at the limit, expires the link and destroys its content: racing wrong
  // tries serialize on the row lock, so exactly the max-th one expires it.
  failAttempt: `UPDATE links SET failed_attempts = failed_attempts + 1,
                  state = CASE WHEN failed_attempts + 1 >= $3 THEN 'expired' ELSE state END,
                  ended_at = CASE WHEN failed_attempts + 1 >= $3 THEN $2 ELSE ended_at END,
                  sealed = CASE WHEN failed_attempts + 1 >= $3 THEN NULL ELSE sealed END,
                  wrapped_key = CASE WHEN failed_attempts + 1 >= $3 THEN NULL ELSE wrapped_key END
                WHERE id_hash = $1 AND state = 'fresh' AND expires_at > $2
                RETURNING failed_attempts`,
  expireDue: `UPDATE links SET state = 'expired', ended_at = expires_at, sealed = NULL, wrapped_key = NULL
              WHERE state = 'fresh' AND expires_at <= $1`,
  expireLink: `UPDATE links SET state = 'expired', ended_at = expires_at, sealed = NULL, wrapped_key = NULL
               WHERE id_hash = $1 AND state = 'fresh' AND expires_at <= $2`,
  deleteChallenges: "DELETE FROM used_challenges WHERE expires_at <= $1",
  deleteEndedEvents: `DELETE FROM link_events WHERE id_hash IN
                        (SELECT id_hash FROM links WHERE ended_at IS NOT NULL AND ended_at < $1)`,
  deleteEnded: "DELETE FROM links WHERE ended_at IS NOT NULL AND ended_at < $1",
  // Events of one link are appended one at a time: the link's row lock orders them (it is a no-op for an unknown id).
  lockLinkForEvent: "SELECT 1 FROM links WHERE id_hash = $1 FOR NO KEY UPDATE",
  lastEvent: "SELECT seq, chain FROM link_events WHERE id_hash = $1 ORDER BY seq DESC LIMIT 1",
  insertEvent: "INSERT INTO link_events (id_hash, seq, kind, at, chain) VALUES ($1, $2, $3, $4, $5)",
  listEvents: "SELECT seq, kind, at, chain FROM link_events WHERE id_hash = $1 ORDER BY seq",
  recordFingerprints: `INSERT INTO keyring_fingerprints (kind, version, fingerprint)
                       SELECT * FROM unnest($1::text[], $2::integer[], $3::bytea[]) ON CONFLICT DO NOTHING`,
  fingerprints: "SELECT kind, version, fingerprint FROM keyring_fingerprints",
  // One statement counts a request for every node: a key whose window has ended ($2 is "now") starts a new window
  // ending at $3, otherwise its count goes up (saturating). Racing nodes meet at the primary key and serialize there.
  hitRateLimit: `INSERT INTO rate_limits AS r (key, count, expires_at) VALUES ($1, 1, $3)
                 ON CONFLICT (key) DO UPDATE SET
                   count = CASE WHEN r.expires_at <= $2 THEN 1 ELSE LEAST(r.count, 2147483646) + 1 END,
                   expires_at = CASE WHEN r.expires_at <= $2 THEN excluded.expires_at ELSE r.expires_at END
                 RETURNING count, expires_at`,
  deleteRateLimits: "DELETE FROM rate_limits WHERE expires_at <= $1",
  staleKeys: `SELECT id_hash, key_version, wrapped_key FROM links
              WHERE wrapped_key IS NOT NULL AND key_version <> $1 AND state = 'fresh' LIMIT $2`,
  // Conditional on the old wrap: a link consumed or re-wrapped since the SELECT is left alone.
  updateKeys: `UPDATE links AS l SET key_version = v.new_version, wrapped_key = v.new_key
               FROM unnest($1::bytea[], $2::integer[], $3::bytea[], $4::integer[], $5::bytea[])
                 AS v(id_hash, new_version, new_key, old_version, old_key)
               WHERE l.id_hash = v.id_hash AND l.key_version = v.old_version AND l.wrapped_key = v.old_key
                 AND l.state = 'fresh'`,
  insertUpload: `INSERT INTO files (file_id, upload_hash, key_version, wrapped_key, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6)`,
  upload: `SELECT file_id AS "fileId", key_version AS "keyVersion", wrapped_key AS "wrappedKey", next_part AS "nextPart",
                  next_seq AS "nextSeq", stored_bytes AS "storedBytes", part_lease AS "partLease",
                  part_attempt AS "partAttempt", expires_at AS "expiresAt"
           FROM files WHERE upload_hash = $1 AND link_hash IS NULL AND expires_at > $2`,
  // The row lock orders everything that happens to one upload (parts, finish) across nodes.
  lockUpload: `SELECT file_id AS "fileId", key_version AS "keyVersion", wrapped_key AS "wrappedKey", next_part AS "nextPart",
                      next_seq AS "nextSeq", stored_bytes AS "storedBytes", part_lease AS "partLease",
                      part_attempt AS "partAttempt", expires_at AS "expiresAt"
               FROM files WHERE upload_hash = $1 AND link_hash IS NULL AND expires_at > $2 FOR NO KEY UPDATE`,
  // A new attempt takes the part: the next number, and the lease (the attempt before it is fenced out from now on).
  takePart: "UPDATE files SET part_lease = $1, part_attempt = part_attempt + 1 WHERE file_id = $2 RETURNING part_attempt AS attempt",
  // Every chunk write reads its attempt's standing under a SHARE lock, which conflicts with the row lock of beginPart
  // (and of a finish, a cancel or a delete): a new attempt waits for a chunk being appended and then removes it, or
  // the chunk sees the new number and is refused. (KEY SHARE would not wait for beginPart, whose update leaves the
  // keys alone: a stale chunk could then commit after the new attempt cleared the part.)
  lockPartHolder: `SELECT part_attempt AS attempt, part_lease IS NOT NULL AS held, next_seq AS "nextSeq", expires_at AS "expiresAt"
                   FROM files WHERE file_id = $1 AND link_hash IS NULL FOR SHARE`,
  partHolder: `SELECT part_attempt AS attempt, part_lease IS NOT NULL AS held, next_seq AS "nextSeq", expires_at AS "expiresAt"
               FROM files WHERE file_id = $1 AND link_hash IS NULL`,
  // Undoes a part, only while its attempt holds it; the row lock this takes keeps a new attempt out until the commit.
  releasePartAsWriter: `UPDATE files SET part_lease = NULL
                        WHERE file_id = $1 AND part_attempt = $2 AND part_lease IS NOT NULL AND link_hash IS NULL AND expires_at > 0
                        RETURNING next_seq AS "nextSeq"`,
  // The quota counter: one row every chunk write of every node updates, so the check and the count are exact.
  reserve: "UPDATE file_storage SET bytes = bytes + $1 WHERE id = 1 AND bytes + $1 <= $2",
  insertChunk: "INSERT INTO file_chunks (file_id, seq, data) VALUES ($1, $2, $3)",
  // The fence: only the attempt that holds the part (same number, lease set, upload open) ends it.
  endPart: `UPDATE files SET next_part = $1 + 1, next_seq = $2, stored_bytes = $3, part_lease = NULL
            WHERE file_id = $4 AND next_part = $1 AND part_attempt = $5 AND part_lease IS NOT NULL AND link_hash IS NULL
              AND expires_at > 0`,
  // One statement deletes a batch of chunks and releases their bytes: length() of an EXTERNAL bytea reads no data.
  deleteChunks: `WITH doomed AS (
                   SELECT seq FROM file_chunks WHERE file_id = $1 AND seq >= $2 AND seq < $3 ORDER BY seq LIMIT $4
                 ),
                 gone AS (
                   DELETE FROM file_chunks AS c USING doomed WHERE c.file_id = $1 AND c.seq = doomed.seq
                   RETURNING length(c.data) AS n
                 )
                 UPDATE file_storage SET bytes = bytes - (SELECT COALESCE(sum(n), 0) FROM gone) WHERE id = 1
                 RETURNING (SELECT count(*) FROM gone)::integer AS deleted`,
  handOver: `UPDATE files SET upload_hash = NULL, link_hash = $1, key_version = NULL, wrapped_key = NULL, part_lease = NULL,
                              expires_at = $2
             WHERE file_id = $3 AND upload_hash = $4 AND next_seq = $5 AND expires_at > $6
               AND (part_lease IS NULL OR part_lease <= $6)`,
  insertFileLink: `INSERT INTO links (id_hash, manage_hash, kind, state, key_version, wrapped_key, sealed, policy, created_at,
                                      expires_at, file_id)
                   VALUES ($1, $2, 'file', 'fresh', $3, $4, $5, $6, $7, $8, $9)`,
  readChunk: "SELECT data FROM file_chunks WHERE file_id = $1 AND seq = $2",
  leaseFile: "UPDATE files SET stream_until = $1 WHERE file_id = $2",
  // Conflicts with the SHARE lock of lockPartHolder: waits for a chunk being appended, and makes a later one wait.
  lockFile: "SELECT 1 FROM files WHERE file_id = $1 FOR UPDATE",
  deleteFileRow: "DELETE FROM files WHERE file_id = $1",
  // Closes an upload (see cancelUpload): expired, it can be neither continued nor finished, and the sweep removes
  // whatever of it a crash leaves behind. A file that already became a link is left alone.
  closeUpload: "UPDATE files SET expires_at = 0, part_lease = NULL WHERE file_id = $1 AND link_hash IS NULL",
  // The same, for a refused part: only while that part's attempt still holds it.
  closeUploadAsWriter: `UPDATE files SET expires_at = 0, part_lease = NULL
                        WHERE file_id = $1 AND part_attempt = $2 AND part_lease IS NOT NULL AND link_hash IS NULL AND expires_at > 0`,
  storageBytes: "SELECT bytes FROM file_storage WHERE id = 1",
  deadFiles: `SELECT file_id, f.link_hash IS NULL AS upload FROM files AS f
              WHERE (f.link_hash IS NULL AND f.expires_at <= $1)
                 OR (f.link_hash IS NOT NULL AND (f.stream_until IS NULL OR f.stream_until <= $1)
                     AND NOT EXISTS (SELECT 1 FROM links AS l WHERE l.id_hash = f.link_hash AND (l.state = 'fresh' OR l.ended_at > $2)))
              LIMIT 100`,
} as const;





/** Secrets up to this size share a batched INSERT; larger ones are inserted alone. */
const BATCHED_CREATE_MAX_BYTES = 64 * 1024;

interface ConsumedRow extends ReleasedContent {
  id_hash: Buffer;
}

class PostgresStore implements PostgresLinkStore {
  readonly pool: pg.Pool;
  readonly #consumes: StatementBatcher<{ id: Buffer; now: number }, ReleasedContent | null>;
  readonly #creates: StatementBatcher<NewLink, boolean>;
  readonly #passkeys: ReturnType<typeof postgresPasskeys>;
  #closed = false;

  constructor(pool: pg.Pool, maxConnections: number) {
    this.pool = pool;
    this.#passkeys = postgresPasskeys(pool);
    const maxInFlight = Math.max(1, Math.min(4, maxConnections));
    this.#consumes = new StatementBatcher((items) => this.#consumeBatch(items), { maxInFlight, maxBatch: 256 });
    this.#creates = new StatementBatcher((links) => this.#createBatch(links), { maxInFlight, maxBatch: 64 });
  }

  stats(): BatchStats {
    return this.#consumes.stats();
  }

  #query<R extends pg.QueryResultRow>(name: keyof typeof SQL, values: unknown[], client: pg.Pool | pg.PoolClient = this.pool) {
    return client.query<R>({ name: `oncelink_${name}`, text: SQL[name], values });
  }

  async createLink(link: NewLink): Promise<void> {
    if (link.sealed.byteLength > BATCHED_CREATE_MAX_BYTES) {
      // A large secret goes alone: batching it would only make one statement of several megabytes.
      await this.#query("insertLink", [
        blob(link.idHash), blob(link.manageHash), link.kind, link.keyVersion, blob(link.wrappedKey),
        blob(link.sealed), link.policy, link.createdAt, link.expiresAt,
      ]);
      return;
    }
    if (!(await this.#creates.push(link))) throw new Error("postgres: a link with this id exists already");
  }

  async #createBatch(links: NewLink[]): Promise<boolean[]> {
    const column = <T>(pick: (l: NewLink) => T): T[] => links.map(pick);
    const rows = (await this.#query<{ id_hash: Buffer }>("insertLinks", [
      column((l) => blob(l.idHash)), column((l) => blob(l.manageHash)), column((l) => l.kind), column((l) => l.keyVersion),
      column((l) => blob(l.wrappedKey)), column((l) => blob(l.sealed)), column((l) => l.policy), column((l) => l.createdAt),
      column((l) => l.expiresAt),
    ])).rows;
    const inserted = new Set(rows.map((r) => r.id_hash.toString("hex")));
    // Twice in one batch: the first one is the row that went in.
    return links.map((l) => inserted.delete(blob(l.idHash).toString("hex")));
  }

  async getLinkMeta(idHash: Uint8Array): Promise<LinkMeta | null> {
    const row = (await this.#query<MetaRow>("meta", [blob(idHash)])).rows[0];
    return row ? toLinkMeta(row) : null;
  }

  async redeemChallenge(challengeHash: Uint8Array, challengeExpiresAt: number, linkIdHash: Uint8Array, now: number): Promise<ChallengeResult> {
    const result = await this.#query<{ burned: boolean; used: boolean; live: boolean }>("redeemChallenge", [
      blob(challengeHash), challengeExpiresAt, blob(linkIdHash), now,
    ]);
    const row = result.rows[0]!;
    if (row.burned) return "ok";
    if (row.used || row.live) return "challenge-used"; // `live` without `burned`: a concurrent redemption won the race
    return "unavailable";
  }

  consume(linkIdHash: Uint8Array, now: number): Promise<ReleasedContent | null> {
    return this.#consumes.push({ id: blob(linkIdHash), now });
  }

  async #consumeBatch(items: Array<{ id: Buffer; now: number }>): Promise<Array<ReleasedContent | null>> {
    const rows = (await this.#query<ConsumedRow>("consume", [items.map((i) => i.id), items.map((i) => i.now)])).rows;
    const released = new Map<string, ReleasedContent>();
    for (const { id_hash, ...content } of rows) released.set(id_hash.toString("hex"), content);
    // The same link asked for twice in one batch: the first caller gets the content, every other one null.
    return items.map((item) => {
      const key = item.id.toString("hex");
      const content = released.get(key) ?? null;
      released.delete(key);
      return content;
    });
  }

  async recordEvent(idHash: Uint8Array, event: LinkEvent): Promise<void> {
    const id = blob(idHash);
    await this.#transaction(async (client) => {
      if ((await this.#query("lockLinkForEvent", [id], client)).rowCount === 0) return;
      const last = (await this.#query<{ seq: number; chain: Buffer }>("lastEvent", [id], client)).rows[0];
      const seq = (last?.seq ?? 0) + 1;
      if (seq > MAX_EVENTS_PER_LINK) return;
      await this.#query("insertEvent", [id, seq, event.kind, event.at, eventChain(last?.chain ?? null, seq, event)], client);
    });
  }

  async listEvents(idHash: Uint8Array): Promise<LinkEvent[]> {
    const rows = (await this.#query<{ seq: number; kind: string; at: number; chain: Buffer }>("listEvents", [blob(idHash)])).rows;
    let previous: Buffer | null = null;
    return rows.map((row, i) => {
      if (row.seq !== i + 1 || !eventChain(previous, row.seq, row).equals(row.chain)) {
        throw new Error("postgres: the event log of a link fails its hash chain");
      }
      previous = row.chain;
      return { kind: row.kind, at: row.at };
    });
  }

  async failAttempt(idHash: Uint8Array, now: number, max: number): Promise<number | null> {
    const row = (await this.#query<{ failed_attempts: number }>("failAttempt", [blob(idHash), now, max])).rows[0];
    return row === undefined ? null : Math.max(0, max - row.failed_attempts);
  }

  async revoke(idHash: Uint8Array, now: number): Promise<boolean> {
    const rows = (await this.#query<{ state: LinkState }>("revoke", [blob(idHash), now])).rows;
    return rows[0]?.state === "revoked";
  }

  async expire(idHash: Uint8Array, now: number): Promise<void> {
    await this.#query("expireLink", [blob(idHash), now]);
  }

  async purgeExpired(now: number): Promise<PurgeResult> {
    const result = await this.#transaction(async (client) => {
      const expired = (await this.#query("expireDue", [now], client)).rowCount ?? 0;
      const challenges = (await this.#query("deleteChallenges", [now], client)).rowCount ?? 0;
      await this.#query("deleteEndedEvents", [now - METADATA_RETENTION_MS], client);
      await this.#query("deleteEnded", [now - METADATA_RETENTION_MS], client);
      await this.#query("deleteRateLimits", [now], client);
      await this.#passkeys.purge(client, now);
      return { expired, challenges, files: 0 };
    });
    // Each dead file is removed in short statements of its own (two nodes sweeping the same file is harmless).
    for (;;) {
      const dead = (await this.#query<{ file_id: Buffer; upload: boolean }>("deadFiles", [now, now - FILE_STREAM_LEASE_MS])).rows;
      // An expired upload may have been finished since it was selected (another node's clock): cancelUpload leaves
      // that alone.
      for (const row of dead) await (row.upload ? this.cancelUpload(row.file_id) : this.deleteFile(row.file_id));
      result.files += dead.length;
      if (dead.length < 100) return result;
    }
  }

  async createUpload(upload: NewUpload): Promise<void> {
    await this.#query("insertUpload", [
      blob(upload.fileId), blob(upload.uploadHash), upload.keyVersion, blob(upload.wrappedKey), upload.createdAt, upload.expiresAt,
    ]);
  }

  async getUpload(uploadHash: Uint8Array, now: number): Promise<UploadState | null> {
    const row = (await this.#query<UploadRow>("upload", [blob(uploadHash), now])).rows[0];
    return row ? uploadState(row, now) : null;
  }

  beginPart(uploadHash: Uint8Array, part: number, now: number, leaseUntil: number): Promise<BeginPartResult> {
    return this.#transaction(async (client): Promise<BeginPartResult> => {
      const row = (await this.#query<UploadRow>("lockUpload", [blob(uploadHash), now], client)).rows[0];
      if (row === undefined) return { ok: false, reason: "unavailable" };
      if (part !== row.nextPart) return { ok: false, reason: "out-of-order", nextPart: row.nextPart };
      // Chunks of an earlier attempt at this part go first: one that crashed, lost its client, or is still writing
      // (it is superseded: once this commits, each of its writes finds another attempt number and is refused).
      await this.#query("deleteChunks", [row.fileId, row.nextSeq, ALL_CHUNKS, null], client);
      const { attempt } = (await this.#query<{ attempt: number }>("takePart", [leaseUntil, row.fileId], client)).rows[0]!;
      return { ok: true, upload: { ...uploadState(row, now), busy: true }, attempt: { fileId: row.fileId, attempt } };
    });
  }

  appendChunk(attempt: PartAttempt, seq: number, sealed: Uint8Array, quotaBytes: number): Promise<AppendChunkResult> {
    const id = blob(attempt.fileId);
    const data = blob(sealed);
    return this.#transaction(async (client): Promise<AppendChunkResult> => {
      // SHARE: a finish, delete or new attempt of this upload waits for this chunk, or this chunk sees it happened.
      const row = (await this.#query<PartHolderRow>("lockPartHolder", [id], client)).rows[0];
      const standing = partStanding(row, attempt.attempt);
      if (standing !== "ok") return standing;
      if ((await this.#query("reserve", [data.length, quotaBytes], client)).rowCount !== 1) return "quota";
      await this.#query("insertChunk", [id, seq, data], client);
      return "ok";
    });
  }

  async endPart(attempt: PartAttempt, part: number, nextSeq: number, storedBytes: number): Promise<PartWriteResult> {
    const id = blob(attempt.fileId);
    if ((await this.#query("endPart", [part, nextSeq, storedBytes, id, attempt.attempt])).rowCount === 1) return "ok";
    // Only to say why: nothing was written.
    const standing = partStanding((await this.#query<PartHolderRow>("partHolder", [id])).rows[0], attempt.attempt);
    return standing === "ok" ? "superseded" : standing;
  }

  abortPart(attempt: PartAttempt): Promise<PartWriteResult> {
    const id = blob(attempt.fileId);
    return this.#transaction(async (client): Promise<PartWriteResult> => {
      const released = (await this.#query<{ nextSeq: number }>("releasePartAsWriter", [id, attempt.attempt], client)).rows[0];
      if (released === undefined) {
        const standing = partStanding((await this.#query<PartHolderRow>("partHolder", [id], client)).rows[0], attempt.attempt);
        return standing === "ok" ? "superseded" : standing;
      }
      // A part is at most a few chunks (PART_BYTES / STORE_CHUNK_BYTES): they go in this one transaction.
      await this.#query("deleteChunks", [id, released.nextSeq, ALL_CHUNKS, null], client);
      return "ok";
    });
  }

  async cancelUploadFromPart(attempt: PartAttempt): Promise<PartWriteResult> {
    const id = blob(attempt.fileId);
    if ((await this.#query("closeUploadAsWriter", [id, attempt.attempt])).rowCount !== 1) {
      const standing = partStanding((await this.#query<PartHolderRow>("partHolder", [id])).rows[0], attempt.attempt);
      return standing === "ok" ? "superseded" : standing;
    }
    await this.deleteFile(id);
    return "ok";
  }

  finishUpload(uploadHash: Uint8Array, fileId: Uint8Array, chunkCount: number, link: NewLink, now: number): Promise<boolean> {
    const id = blob(fileId);
    return this.#transaction(async (client): Promise<boolean> => {
      const handed = await this.#query("handOver", [blob(link.idHash), link.expiresAt, id, blob(uploadHash), chunkCount, now], client);
      if (handed.rowCount !== 1) return false;
      await this.#query("insertFileLink", [
        blob(link.idHash), blob(link.manageHash), link.keyVersion, blob(link.wrappedKey), blob(link.sealed), link.policy,
        link.createdAt, link.expiresAt, id,
      ], client);
      return true;
    });
  }

  async readChunk(fileId: Uint8Array, seq: number): Promise<Uint8Array | null> {
    return (await this.#query<{ data: Buffer }>("readChunk", [blob(fileId), seq])).rows[0]?.data ?? null;
  }

  async dropChunks(fileId: Uint8Array, belowSeq: number): Promise<void> {
    await this.#dropRange(blob(fileId), 0, belowSeq);
  }

  async leaseFile(fileId: Uint8Array, until: number): Promise<void> {
    await this.#query("leaseFile", [until, blob(fileId)]);
  }

  async deleteFile(fileId: Uint8Array): Promise<void> {
    const id = blob(fileId);
    await this.#dropRange(id, 0, ALL_CHUNKS);
    await this.#transaction(async (client) => {
      // The row is locked first: an append holding its SHARE lock commits before (its chunk is then seen and deleted
      // below, its bytes released), and one that comes later waits and then finds no upload. Deleting the chunks
      // first would miss a chunk that commits while this transaction waits for the row (an orphan whose bytes the
      // quota never gets back), and would hold the storage counter an append then waits for (a deadlock).
      await this.#query("lockFile", [id], client);
      await this.#query("deleteChunks", [id, 0, ALL_CHUNKS, null], client);
      await this.#query("deleteFileRow", [id], client);
    });
  }

  async cancelUpload(fileId: Uint8Array): Promise<boolean> {
    if ((await this.#query("closeUpload", [blob(fileId)])).rowCount !== 1) return false;
    await this.deleteFile(fileId);
    return true;
  }

  async storageBytes(): Promise<number> {
    return (await this.#query<{ bytes: number }>("storageBytes", [])).rows[0]!.bytes;
  }

  async #dropRange(id: Buffer, from: number, below: number): Promise<void> {
    for (;;) {
      const { deleted } = (await this.#query<{ deleted: number }>("deleteChunks", [id, from, below, CHUNK_DELETE_BATCH])).rows[0]!;
      if (deleted === 0) return;
    }
  }

  async rewrapKeys(
    currentVersion: number,
    rewrap: (idHash: Uint8Array, keyVersion: number, wrappedKey: Uint8Array) => { keyVersion: number; wrappedKey: Uint8Array },
  ): Promise<number> {
    let total = 0;
    for (;;) {
      // Batches of 500: each UPDATE is short, and a consume meanwhile only makes a row drop out of the batch.
      const rows = (await this.#query<{ id_hash: Buffer; key_version: number; wrapped_key: Buffer }>("staleKeys", [currentVersion, 500])).rows;
      if (rows.length === 0) return total;
      const next = rows.map((row) => rewrap(row.id_hash, row.key_version, row.wrapped_key));
      const result = await this.#query("updateKeys", [
        rows.map((r) => r.id_hash),
        next.map((n) => n.keyVersion),
        next.map((n) => blob(n.wrappedKey)),
        rows.map((r) => r.key_version),
        rows.map((r) => r.wrapped_key),
      ]);
      total += result.rowCount ?? 0;
    }
  }

  async hitRateLimit(key: string, windowMs: number, now: number): Promise<RateLimitHit> {
    const row = (await this.#query<{ count: number; expires_at: number }>("hitRateLimit", [key, now, now + windowMs])).rows[0]!;
    return { count: row.count, resetAt: row.expires_at };
  }

  async checkKeyFingerprints(mine: KeyFingerprint[]): Promise<KeyFingerprint[]> {
    await this.#query("recordFingerprints", [mine.map((k) => k.kind), mine.map((k) => k.version), mine.map((k) => blob(k.fingerprint))]);
    const recorded = (await this.#query<{ kind: string; version: number; fingerprint: Buffer }>("fingerprints", [])).rows;
    const known = new Map(recorded.map((r) => [`${r.kind}:${r.version}`, r.fingerprint]));
    return mine.filter((k) => {
      const theirs = known.get(`${k.kind}:${k.version}`);
      return theirs !== undefined && !theirs.equals(blob(k.fingerprint));
    });
  }

  issueEnrolment: PasskeyStore["issueEnrolment"] = (...args) => this.#passkeys.issueEnrolment(...args);
  pendingEnrolment: PasskeyStore["pendingEnrolment"] = (...args) => this.#passkeys.pendingEnrolment(...args);
  completeEnrolment: PasskeyStore["completeEnrolment"] = (...args) => this.#passkeys.completeEnrolment(...args);
  getPasskey: PasskeyStore["getPasskey"] = (...args) => this.#passkeys.getPasskey(...args);
  findPasskey: PasskeyStore["findPasskey"] = (...args) => this.#passkeys.findPasskey(...args);
  updatePasskeyCounter: PasskeyStore["updatePasskeyCounter"] = (...args) => this.#passkeys.updatePasskeyCounter(...args);
  getHandle: PasskeyStore["getHandle"] = (...args) => this.#passkeys.getHandle(...args);
  removeHandle: PasskeyStore["removeHandle"] = (...args) => this.#passkeys.removeHandle(...args);

  async ping(): Promise<void> {
    await this.pool.query("SELECT 1");
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([this.#consumes.close(), this.#creates.close()]);
    await this.pool.end();
  }

  async #transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query("BEGIN");
      const value = await work(client);
      await client.query("COMMIT");
      return value;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {
        broken = true;
      });
      throw error;
    } finally {
      // A connection whose ROLLBACK failed is in an unknown state: destroy it rather than pool it.
      client.release(broken);
    }
  }
}

/**
 * The connection string plus `options` that start every session in READ COMMITTED: the consume's compare-and-set is
 * written for it (the loser of a race re-reads the committed row and gets nothing), and a server default of
 * SERIALIZABLE would turn those losers into errors. Options already in the URL are kept (later ones win).
 */
function withSessionDefaults(connectionString: string): string {
  const isolation = "-c default_transaction_isolation=read\\ committed";
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    return connectionString; // not URL-shaped (a libpq keyword string): pass it through as written
  }
  const existing = url.searchParams.get("options");
  url.searchParams.set("options", existing ? `${existing} ${isolation}` : isolation);
  return url.toString();
}

/**
 * Opens the PostgreSQL store: a connection pool, the schema migrated to the current version (safely, while other
 * nodes start too), and a refusal to run on a server that acknowledges commits before they are durable
 * (`synchronous_commit = off` could resurrect a consumed link after a database crash). Every write is one
 * autocommitted statement or one transaction, so a resolved write has been committed; concurrent consumes share
 * one statement (see StatementBatcher).
 * @example
 * const store = await openPostgresStore({ connectionString: config.databaseUrl });
 * await store.createLink(link);
 */
export async function openPostgresStore(opts: PostgresStoreOptions): Promise<PostgresLinkStore> {
  const maxConnections = opts.maxConnections ?? 20;
  const pool = new pg.Pool({
    connectionString: withSessionDefaults(opts.connectionString),
    max: maxConnections,
    connectionTimeoutMillis: 10_000,
    application_name: "oncelink",
    types: TYPES,
  });
  // Without a listener, an idle connection dropped by the server would crash the process.
  pool.on("error", (error) => opts.onError?.(error));
  try {
    const setting = (await pool.query<{ synchronous_commit: string }>("SHOW synchronous_commit")).rows[0]?.synchronous_commit;
    if (setting === "off") {
      throw new Error("postgres: synchronous_commit is off, so a commit can be lost after it was acknowledged; turn it on for the oncelink database or role");
    }
    await migratePostgres(pool);
    return new PostgresStore(pool, maxConnections);
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
}
