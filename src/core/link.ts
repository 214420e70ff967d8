/** States a stored link can be in. VIEWING is never stored: it lives in a session token. */
export type LinkState = "fresh" | "consumed" | "expired" | "revoked";

/**
 * How the stored bytes were produced: by the sender's client (opaque to us), from plaintext we received, or as a
 * client-encrypted file stream kept in chunks beside the link (docs/formats.md, "Client file stream v1").
 */
export type ContentKind = "ciphertext" | "text" | "file";

/** What the store knows about a link, without its content. */
export interface LinkMeta {
  state: LinkState;
  createdAt: number;
  expiresAt: number;
  /** When the link was consumed, revoked or expired; null while fresh. */
  endedAt: number | null;
  manageHash: Uint8Array;
  kind: ContentKind;
  policy: string;
}

/**
 * The highest MAX_SECRET_BYTES a server can be configured with: no server accepts a text secret (or a client's
 * ciphertext) larger than this, so a client may stop reading its input there without asking the server.
 */
export const MAX_SECRET_BYTES_CEILING = 64 * 1024 * 1024;

/**
 * The state a recipient or sender should see at `now`: a fresh link past its expiry is expired
 * even before the purge job has run.
 */
export function effectiveState(meta: Pick<LinkMeta, "state" | "expiresAt">, now: number): LinkState {
  if (meta.state === "fresh" && meta.expiresAt <= now) return "expired";
  return meta.state;
}

/**
 * When the link ended at `now`, whichever way (consumed, revoked, expired), or null while fresh. A fresh link past its
 * expiry ended at its expiry, even before the purge job has stamped it.
 */
export function effectiveEndedAt(meta: Pick<LinkMeta, "state" | "expiresAt" | "endedAt">, now: number): number | null {
  if (meta.state === "fresh") return meta.expiresAt <= now ? meta.expiresAt : null;
  return meta.endedAt;
}

/** Lifetime limits, in seconds. */
export interface TtlLimits {
  defaultSeconds: number;
  maxSeconds: number;
  minSeconds: number;
}

/** Resolves a requested lifetime against the limits; null when outside them. */
export function resolveTtl(requested: number | undefined, limits: TtlLimits): number | null {
  const ttl = requested ?? limits.defaultSeconds;
  if (!Number.isInteger(ttl) || ttl < limits.minSeconds || ttl > limits.maxSeconds) return null;
  return ttl;
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/**
 * Parses a human duration such as "90s", "15m", "24h", "7d" or a bare number of seconds.
 * @example parseDuration("24h") // 86400
 */
export function parseDuration(text: string): number | null {
  const m = /^(\d{1,9})\s*([smhdw]?)$/.exec(text.trim());
  if (!m) return null;
  return Number(m[1]) * UNIT_SECONDS[m[2] || "s"]!;
}
