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
}

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
   * Moves fresh links past their expiry to EXPIRED (destroying content) and forgets expired challenges (and expired
   * enrolment links).
   */
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
