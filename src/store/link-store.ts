import type { ContentKind, LinkMeta } from "../core/link.js";

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
}

/** A session minted by the non-consuming step; the token itself is never stored, only its hash. */
export interface NewSession {
  tokenHash: Uint8Array;
  linkIdHash: Uint8Array;
  expiresAt: number;
  /** Opaque binding data checked by the HTTP layer at consume time (e.g. a device public key); null if none. */
  binding: string | null;
}

/** Outcome of minting a session. */
export type SessionResult = "ok" | "unavailable" | "challenge-used";

/** A stored, unused, unexpired session, looked up by its token hash. */
export interface LiveSession {
  linkIdHash: Uint8Array;
  expiresAt: number;
  binding: string | null;
}

/** Outcome of a consume: the content exactly once, or why not. */
export type ConsumeResult =
  | { ok: true; content: ReleasedContent }
  | { ok: false; reason: "session" | "unavailable" };

/** Counts of what a purge destroyed. */
export interface PurgeResult {
  expired: number;
  sessions: number;
}

/**
 * Persistent state of links and sessions. Times are milliseconds since the epoch, passed in by the caller.
 * Every write resolves only after it is durable (fsync'd or replicated, as the adapter defines).
 */
export interface LinkStore {
  /** Stores a new fresh link. */
  createLink(link: NewLink): Promise<void>;
  /** Metadata of a link, or null if unknown. Never cached: a "fresh" answer comes from the source of truth. */
  getLinkMeta(idHash: Uint8Array): Promise<LinkMeta | null>;
  /**
   * Mints a session for a fresh, unexpired link and marks the proof-of-work challenge as used, atomically.
   * Returns "challenge-used" if the challenge was redeemed before, "unavailable" if the link is not fresh.
   */
  createSession(session: NewSession, challengeHash: Uint8Array, challengeExpiresAt: number, now: number): Promise<SessionResult>;
  /** The live session for a token hash, or null when unknown, used or expired. Does not change anything. */
  findSession(tokenHash: Uint8Array, now: number): Promise<LiveSession | null>;
  /**
   * THE consume, one transaction: redeems the session (unused, unexpired, issued for this link; otherwise
   * nothing changes and the reason is "session"), then moves the link FRESH -> CONSUMED only if it is still
   * fresh and unexpired, deleting the sealed content and the wrapped data key in the same write. Returns the
   * content exactly once; every other caller, concurrent or later, gets reason "unavailable".
   */
  consume(tokenHash: Uint8Array, linkIdHash: Uint8Array, now: number): Promise<ConsumeResult>;
  /** Moves a fresh link to REVOKED and destroys its content. False if it was not fresh. */
  revoke(idHash: Uint8Array, now: number): Promise<boolean>;
  /** Moves fresh links past their expiry to EXPIRED (destroying content) and deletes dead sessions/challenges. */
  purgeExpired(now: number): Promise<PurgeResult>;
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
