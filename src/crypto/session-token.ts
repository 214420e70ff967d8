import type { RandomBytes } from "../core/ids.js";
import { createHmac } from "node:crypto";
import { safeEqual } from "./hash.js";

const VERSION = 0x01;
const NONCE_BYTES = 16;
const MAC_BYTES = 16;
const BINDING_BYTES = 32;
// version(1) | expiresAt ms (6, big-endian) | nonce(16) | binding length(1) | binding(0 or 32) | mac(16)
const HEADER_BYTES = 1 + 6 + NONCE_BYTES + 1;
const CONTEXT = new TextEncoder().encode("oncelink/session/v1");
const TOKEN_TEXT = /^[A-Za-z0-9_-]+$/;

/** What a session token vouches for. */
export interface SessionClaims {
  /** Milliseconds since the epoch after which the token is worthless. */
  expiresAt: number;
  /** SHA-256 of the client's device public key when the session is bound to a device; null otherwise. */
  binding: Uint8Array | null;
}

function mac(key: Uint8Array, body: Uint8Array, linkIdHash: Uint8Array): Buffer {
  // The link id hash is authenticated but not carried: a token for one link is meaningless for any other. Three
  // updates hash the same bytes as one over their concatenation, without copying them (measured: ~1 us a consume).
  return createHmac("sha256", key).update(CONTEXT).update(body).update(linkIdHash).digest().subarray(0, MAC_BYTES);
}

/**
 * Mints a session token: a signed, short-lived claim "this client proved a gesture for this link". Nothing is
 * stored; the link's one-time consume is the only thing a session can do, so a token is spent with its link.
 * @example mintSessionToken(key, idHash, { expiresAt: now + 120_000, binding: null }, randomBytes)
 */
export function mintSessionToken(key: Uint8Array, linkIdHash: Uint8Array, claims: SessionClaims, random: RandomBytes): string {
  const bindingLength = claims.binding ? BINDING_BYTES : 0;
  if (claims.binding && claims.binding.length !== BINDING_BYTES) throw new Error("session binding must be 32 bytes");
  const body = Buffer.alloc(HEADER_BYTES + bindingLength);
  body[0] = VERSION;
  body.writeUIntBE(claims.expiresAt, 1, 6);
  Buffer.from(random(NONCE_BYTES)).copy(body, 7);
  body[7 + NONCE_BYTES] = bindingLength;
  if (claims.binding) Buffer.from(claims.binding).copy(body, HEADER_BYTES);
  return Buffer.concat([body, mac(key, body, linkIdHash)]).toString("base64url");
}

/** The longest token text `verifySessionToken` will look at. */
export const MAX_SESSION_TOKEN_CHARS = Math.ceil(((HEADER_BYTES + BINDING_BYTES + MAC_BYTES) * 4) / 3);

/**
 * Checks a session token for a link at `now`: the claims when it is authentic, issued for this link and unexpired;
 * otherwise null (the same null for every failure). The MAC is compared in constant time.
 */
export function verifySessionToken(key: Uint8Array, token: string, linkIdHash: Uint8Array, now: number): SessionClaims | null {
  if (token.length > MAX_SESSION_TOKEN_CHARS || !TOKEN_TEXT.test(token)) return null;
  // Buffer's decoder is lenient (it skips stray characters), hence the alphabet check above and the exact
  // length check below; the MAC then decides.
  const bytes = Buffer.from(token, "base64url");
  if (bytes.length < HEADER_BYTES + MAC_BYTES || bytes[0] !== VERSION) return null;
  const bindingLength = bytes[7 + NONCE_BYTES]!;
  if ((bindingLength !== 0 && bindingLength !== BINDING_BYTES) || bytes.length !== HEADER_BYTES + bindingLength + MAC_BYTES) return null;
  const body = bytes.subarray(0, HEADER_BYTES + bindingLength);
  if (!safeEqual(mac(key, body, linkIdHash), bytes.subarray(body.length))) return null;
  const expiresAt = body.readUIntBE(1, 6);
  if (expiresAt <= now) return null;
  return { expiresAt, binding: bindingLength ? body.slice(HEADER_BYTES) : null };
}
