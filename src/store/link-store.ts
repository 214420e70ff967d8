import type { ContentKind, LinkMeta } from "../core/link.js";
import type { PasskeyStore } from "./passkey-store.js";

/**
 * A link as the store receives it. Every secret arrives already hashed (id, manage token) or sealed
 * (content under a per-link data key, the data key under a master key): the store never sees raw values.
 */
export interface NewLink {
  /** SHA-256 of the link id. */
  idHash: Uint8Array;
  /** SHA-256 of the manage token. */
  manageHash: Uint8Array;
  kind: ContentKind;
  /** Version of the master key that wrapped `wrappedKey`. */
  keyVersion: number;
  /** The per-link data key, sealed by the master key. */
  wrappedKey: Uint8Array;
  /** The content, sealed by the data key. */
  sealed: Uint8Array;
  /** JSON text of the link's policy (may be "{}"). */
  policy: string;
  createdAt: number;
  expiresAt: number;
}

/** What a successful consume hands back, exactly once per link. */
export interface ReleasedContent {
  kind: ContentKind;
  keyVersion: number;
  wrappedKey: Uint8Array;
  sealed: Uint8Array;
  /** For a file link: the id of its stored chunks (read them with `readChunk`); null otherwise. */
  fileId: Uint8Array | null;
}

/**
 * A file upload as it starts: chunks arrive later, sealed under the data key wrapped here. The upload token that
 * names it is a bearer secret, so only its hash is stored.
 */
export interface NewUpload {
  /** 16 random bytes naming the file's chunks; internal, never shown to anyone. */
  fileId: Uint8Array;
  /** SHA-256 of the upload token. */
  uploadHash: Uint8Array;
  keyVersion: number;
  /** The file's data key, wrapped by the master key (bound to `fileId`) until the upload is finished. */
  wrappedKey: Uint8Array;
  createdAt: number;
  /** An unfinished upload, and every chunk of it, is swept after this. */
  expiresAt: number;
}

/** An unfinished upload, as `getUpload` and `beginPart` see it. */
export interface UploadState {
  fileId: Uint8Array;
  keyVersion: number;
  wrappedKey: Uint8Array;
  /** The next part the uploader must send (parts go in order, one at a time). */
  nextPart: number;
  /** The sequence number of the next chunk: the count of chunks stored so far. */
  nextSeq: number;
  /** Bytes of the client's stream stored so far (what the uploader sent, not the sealed size). */
  storedBytes: number;
  /** A part is being written right now (its lease has not run out). */
  busy: boolean;
  expiresAt: number;
}

/**
 * One writer's hold on the part it began: the file, and the attempt number beginPart gave it. Every attempt at a part
 * gets the next number (stored on the upload's row), so a later attempt fences every earlier one out: appendChunk,
 * endPart, abortPart and cancelUploadFromPart act only while this attempt still holds the part. The number never
 * leaves the server (the client never sees it), so it need not be secret.
 */
export interface PartAttempt {
  fileId: Uint8Array;
  attempt: number;
}

/** Outcome of starting a part: the upload's state and this attempt's hold on the part, or why it cannot start now. */
export type BeginPartResult =
  | { ok: true; upload: UploadState; attempt: PartAttempt }
  | { ok: false; reason: "unavailable" }
  /** Not the next part; `nextPart` is the one the upload expects (one more than a part already stored in full). */
  | { ok: false; reason: "out-of-order"; nextPart: number };

/**
 * Outcome of a write of one part attempt: "superseded" when the attempt no longer holds its part (a later attempt at
 * the same part took it over, or the part already ended), "unavailable" when the upload is gone (finished,
 * cancelled, swept). Neither changes anything.
 */
export type PartWriteResult = "ok" | "superseded" | "unavailable";

/** Outcome of storing one chunk: a part write that may also find the storage quota used up. */
export type AppendChunkResult = PartWriteResult | "quota";

/** Ended links keep their metadata (state, times) this long, so a sender can still see "consumed", then vanish. */
export const METADATA_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

/** A dead file's chunks stay this long after its link ended, so the download that consumed it can take its lease. */
export const FILE_STREAM_LEASE_MS = 60_000;

/** Outcome of redeeming a proof-of-work challenge for a link. */
export type ChallengeResult = "ok" | "unavailable" | "challenge-used";

/**
 * Something that happened to a link, as the sender may see it: a class, never an address, agent string or
 * anything else about who it was (for example "chat-preview", "mail-scanner", "prefetch").
 */
export interface LinkEvent {
  kind: string;
  at: number;
}

/** Most events kept per link: a flood of previews cannot grow the database without bound. */
export const MAX_EVENTS_PER_LINK = 100;

/** Counts of what a purge destroyed. */
export interface PurgeResult {
  expired: number;
  challenges: number;
  /** Files whose chunks the sweep removed: unfinished uploads past their time, files of links that ended. */
  files: number;
}

/**
 * Persistent state of links and used proof-of-work challenges. Times are milliseconds since the epoch, passed in by the caller.
 * Every write resolves only after it is durable (fsync'd or replicated, as the adapter defines).
 */
export interface LinkStore extends PasskeyStore {
  /** Stores a new fresh link. */
  createLink(link: NewLink): Promise<void>;
  /** Metadata of a link, or null if unknown. Never cached: a "fresh" answer comes from the source of truth. */
  getLinkMeta(idHash: Uint8Array): Promise<LinkMeta | null>;
  /**
   * Records a proof-of-work challenge as used, for a fresh and unexpired link, atomically. Returns
   * "challenge-used" if it was redeemed before (nothing changes), "unavailable" if the link is not fresh (the
   * challenge is NOT burned). Session tokens themselves are stateless (signed, bound to the link and to a
   * device), so this is the only write of the session step.
   */
  redeemChallenge(challengeHash: Uint8Array, challengeExpiresAt: number, linkIdHash: Uint8Array, now: number): Promise<ChallengeResult>;
  /**
   * THE consume: one conditional write moves the link FRESH -> CONSUMED only if it is still fresh and unexpired,
   * deleting the sealed content and the wrapped data key in the same write. Returns the content exactly once;
   * every other caller, concurrent or later, gets null. A session can do nothing but this, so it is single use.
   */
  consume(linkIdHash: Uint8Array, now: number): Promise<ReleasedContent | null>;
  /**
   * Appends an event to an existing link's log without changing its state (a no-op for an unknown id, and
   * after MAX_EVENTS_PER_LINK events). The log is append-only and tamper-evident: each entry stores a hash
   * chained to the entry before it. Event writes may be batched with others like every write.
   */
  recordEvent(idHash: Uint8Array, event: LinkEvent): Promise<void>;
  /** The link's events, oldest first; empty for an unknown id. Verifies the hash chain and throws if broken. */
  listEvents(idHash: Uint8Array): Promise<LinkEvent[]>;
  /**
   * Counts one wrong passphrase for a fresh, unexpired link, atomically. At the `max`-th failure the link moves to
   * EXPIRED and its content and data key are destroyed in the same write. Returns the tries left (0 when it just
   * expired), or null if the link was not fresh (nothing changes).
   */
  failAttempt(idHash: Uint8Array, now: number, max: number): Promise<number | null>;
  /** Moves a fresh link to REVOKED and destroys its content. False if it was not fresh. */
  revoke(idHash: Uint8Array, now: number): Promise<boolean>;
  /**
   * Moves a link that is still stored fresh but past its expiry at `now` to EXPIRED (ended at its expiry), destroying
   * its content, as the purge job would on its next run; changes nothing otherwise. Called before telling anyone that
   * a link has expired, so that the answer holds even if the clock steps back before that run.
   */
  expire(idHash: Uint8Array, now: number): Promise<void>;
  /**
   * Moves fresh links past their expiry to EXPIRED (destroying content), forgets expired challenges and expired
   * enrolment links, and sweeps file chunks nobody can use any more: of unfinished uploads past their expiry, and of
   * files whose link is no longer fresh (ended more than FILE_STREAM_LEASE_MS ago) and that no download holds a lease
   * on (left by a crash).
   */
  purgeExpired(now: number): Promise<PurgeResult>;

  /** Records a new file upload (no chunks yet). */
  createUpload(upload: NewUpload): Promise<void>;
  /** The unfinished, unexpired upload of this token hash, or null. */
  getUpload(uploadHash: Uint8Array, now: number): Promise<UploadState | null>;
  /**
   * Starts writing part `part` of an upload, only the next part in order, and gives this attempt the part: a new
   * attempt number and a lease until `leaseUntil` (while it runs, the upload cannot be finished). An attempt at the
   * same part already in progress (a client that lost its connection and sent the part again, a writer that stalled)
   * is superseded: its chunks are removed and every later write of it is refused. One conditional write.
   */
  beginPart(uploadHash: Uint8Array, part: number, now: number, leaseUntil: number): Promise<BeginPartResult>;
  /**
   * Stores one sealed chunk of the part as number `seq`, only while `attempt` holds the part, counting its bytes
   * against the total storage `quotaBytes` in the same transaction: "quota" (nothing stored) when it would go over.
   * `sealed` may be read until the returned promise settles; the caller may reuse it afterwards.
   */
  appendChunk(attempt: PartAttempt, seq: number, sealed: Uint8Array, quotaBytes: number): Promise<AppendChunkResult>;
  /**
   * Ends part `part`, only while `attempt` holds it: the next part may start; `nextSeq` chunks and `storedBytes`
   * client bytes are now stored.
   */
  endPart(attempt: PartAttempt, part: number, nextSeq: number, storedBytes: number): Promise<PartWriteResult>;
  /** Undoes an unfinished part, only while `attempt` holds it: removes its chunks and releases the lease. */
  abortPart(attempt: PartAttempt): Promise<PartWriteResult>;
  /**
   * Ends the whole upload because its part was refused (too large, over the quota, not a file stream), only while
   * `attempt` holds the part: a writer that was superseded cannot end the upload another attempt is writing. Then
   * removes everything stored of it, like cancelUpload.
   */
  cancelUploadFromPart(attempt: PartAttempt): Promise<PartWriteResult>;
  /**
   * Turns a complete upload into a fresh file link, atomically: the link row (kind "file", its data key now wrapped
   * for the link) and the file handed to it. False, changing nothing, if the upload is gone, expired, busy, or its
   * chunk count is no longer `chunkCount`.
   */
  finishUpload(uploadHash: Uint8Array, fileId: Uint8Array, chunkCount: number, link: NewLink, now: number): Promise<boolean>;
  /**
   * One stored chunk, or null. Reads one row: a file is streamed chunk by chunk, never loaded whole. The bytes are a
   * fresh copy that is the caller's alone: it may release them (releaseBuffer) once used.
   */
  readChunk(fileId: Uint8Array, seq: number): Promise<Uint8Array | null>;
  /** Removes chunks below `belowSeq` (a download deletes what it has sent). */
  dropChunks(fileId: Uint8Array, belowSeq: number): Promise<void>;
  /** Keeps a file's chunks from the sweep until `until` (a download in progress renews it). */
  leaseFile(fileId: Uint8Array, until: number): Promise<void>;
  /**
   * Removes a file: all its chunks (in short transactions) and its record, whatever it is (upload or link). For an
   * upload being cancelled, refused or swept use cancelUpload: this one would also wipe a file that has just become
   * a link.
   */
  deleteFile(fileId: Uint8Array): Promise<void>;
  /**
   * Ends an unfinished upload and removes everything stored of it. One conditional write first closes it, only while
   * it is still an upload: a finishUpload after it fails, and one that came first makes this change nothing (the
   * new link's file stays whole). Only then go its chunks and record. False when the file is a link (or gone).
   */
  cancelUpload(fileId: Uint8Array): Promise<boolean>;
  /** Sealed bytes of all stored chunks (what the storage quota counts). */
  storageBytes(): Promise<number>;
  /**
   * Re-wraps every stored data key whose master key version is not `currentVersion`, in batches, with `rewrap`
   * (which unwraps with the old master key and wraps with the current one). Returns how many keys it re-wrapped.
   * Safe to run while serving: a link consumed meanwhile simply has no key left to re-wrap.
   */
  rewrapKeys(
    currentVersion: number,
    rewrap: (idHash: Uint8Array, keyVersion: number, wrappedKey: Uint8Array) => { keyVersion: number; wrappedKey: Uint8Array },
  ): Promise<number>;
  /** Throws if the store cannot serve. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** One counted request against a shared fixed-window rate limit. */
export interface RateLimitHit {
  /** Requests counted in the current window, this one included. */
  count: number;
  /** When the current window ends (milliseconds since the epoch). */
  resetAt: number;
}

/**
 * A rate-limit counter that every node of a cluster shares (the PostgreSQL store implements it; a single SQLite node
 * counts in memory instead). Keys are already keyed hashes, never client addresses.
 */
export interface RateLimitBackend {
  /** Counts one request under `key` in a fixed window of `windowMs` starting at its first request; atomic across nodes. */
  hitRateLimit(key: string, windowMs: number, now: number): Promise<RateLimitHit>;
}
