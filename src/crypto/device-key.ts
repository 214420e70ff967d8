import { createPublicKey, verify, type KeyObject } from "node:crypto";
import { fromBase64Url } from "../core/base64url.js";
import { DEVICE_KEY_BYTES, DEVICE_KEY_CHARS, DEVICE_SIGNATURE_BYTES, DEVICE_SIGNATURE_CHARS } from "../core/device-proof.js";
import { safeEqual, sha256 } from "./hash.js";

// Measured on the 2-core dev machine (OpenSSL 3.0): importing a P-256 public key costs ~140 us through a JWK and
// ~240 us through SPKI DER (OpenSSL 3's decoder framework), and an ECDSA verify with an imported key ~60-100 us.
// The import happens anyway at the session step (it validates the point), so the imported key is kept for the
// consume that follows on the same node; another node, or a key evicted from the cache, imports it again.

/** A device public key the session step accepted: its raw bytes and the imported key. */
export interface DevicePublicKey {
  raw: Uint8Array;
  key: KeyObject;
}

function importRaw(raw: Uint8Array): KeyObject | null {
  if (raw.length !== DEVICE_KEY_BYTES || raw[0] !== 0x04) return null;
  const bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.length);
  try {
    // OpenSSL refuses a point that is not on the curve here.
    return createPublicKey({
      key: { kty: "EC", crv: "P-256", x: bytes.toString("base64url", 1, 33), y: bytes.toString("base64url", 33, 65) },
      format: "jwk",
    });
  } catch {
    return null;
  }
}

/**
 * Decodes a device public key sent by a client: base64url of a raw uncompressed P-256 point (65 bytes). Returns it
 * imported when it is a point on the curve, else null.
 * @example parseDevicePublicKey(body.device_key)?.raw // Uint8Array(65)
 */
export function parseDevicePublicKey(text: string): DevicePublicKey | null {
  if (text.length !== DEVICE_KEY_CHARS) return null;
  const raw = fromBase64Url(text);
  if (raw === null) return null;
  const key = importRaw(raw);
  return key === null ? null : { raw, key };
}

/** The session binding for a device key: SHA-256 of its raw bytes (32 bytes, the session token's binding slot). */
export function deviceBinding(raw: Uint8Array): Buffer {
  return sha256(raw);
}

/**
 * Imported device keys by binding, kept from the session step for the consume on the same node. Bounded (oldest
 * first out; an imported key holds ~3 KB of native memory, so the default 10,000 entries stay near 30 MB) and
 * time-limited to the session lifetime. It is only a cache: a miss (another node, an evicted key) costs one import.
 */
export class DeviceKeyCache {
  readonly #entries = new Map<string, { key: KeyObject; expiresAt: number }>();
  readonly #capacity: number;

  constructor(capacity = 10_000) {
    this.#capacity = capacity;
  }

  /** Remembers an imported key until `expiresAt` (ms). */
  put(binding: Uint8Array, key: KeyObject, expiresAt: number): void {
    const id = Buffer.from(binding).toString("base64url");
    this.#entries.delete(id);
    this.#entries.set(id, { key, expiresAt });
    if (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }

  /** Takes (and forgets: a session is redeemed once) the key for a binding, if cached and unexpired. */
  take(binding: Uint8Array, now: number): KeyObject | null {
    const id = Buffer.from(binding).toString("base64url");
    const entry = this.#entries.get(id);
    if (entry === undefined) return null;
    this.#entries.delete(id);
    return entry.expiresAt > now ? entry.key : null;
  }

  get size(): number {
    return this.#entries.size;
  }
}

/**
 * Checks a device proof for a bound session: the presented key hashes to the binding and the signature over
 * `message` verifies under it. Any malformed input is simply false. `cached` is the key the session step imported,
 * when this node still has it. `bindingOf` computes the binding of the presented key (a passkey session binds the
 * key together with the credential that opened it).
 */
export function verifyDeviceProof(
  binding: Uint8Array,
  keyText: string | undefined,
  signatureText: string | undefined,
  message: Uint8Array,
  cached: KeyObject | null = null,
  bindingOf: (raw: Uint8Array) => Uint8Array = sha256,
): boolean {
  if (typeof keyText !== "string" || typeof signatureText !== "string") return false;
  if (keyText.length !== DEVICE_KEY_CHARS || signatureText.length !== DEVICE_SIGNATURE_CHARS) return false;
  const raw = fromBase64Url(keyText);
  const signature = fromBase64Url(signatureText);
  if (raw === null || signature === null || raw.length !== DEVICE_KEY_BYTES || signature.length !== DEVICE_SIGNATURE_BYTES) return false;
  // The presented key must be the bound one before anything is imported or verified.
  if (!safeEqual(bindingOf(raw), binding)) return false;
  const key = cached ?? importRaw(raw);
  if (key === null) return false;
  try {
    return verify("sha256", message, { key, dsaEncoding: "ieee-p1363" }, signature);
  } catch {
    return false;
  }
}
