/**
 * The server encryption layer (docs/formats.md, "Server sealing").
 *
 * Every stored payload is sealed with a fresh per-link data key, and the data key is wrapped by the current
 * master key. Deleting the wrapped key is crypto-shredding: a later disk copy or backup cannot decrypt.
 * node:crypto's synchronous cipher is used on purpose: crypto.subtle costs a thread-pool round trip
 * (~100 µs measured) per call.
 */
import { createCipheriv, createDecipheriv } from "node:crypto";
import { releaseBuffer } from "../core/release-buffer.js";
import { hmacSha256 } from "./hash.js";
import { secureRandomBytes } from "./random.js";
import type { Keyring } from "./keyring.js";

const ALGORITHM = "aes-256-gcm";
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** IV || wrapped 32-byte data key || tag. */
export const WRAPPED_KEY_BYTES = IV_BYTES + KEY_BYTES + TAG_BYTES;

/** What the store keeps for one link; deleting `wrappedKey` makes `sealed` unreadable forever. */
export interface SealedContent {
  keyVersion: number;
  wrappedKey: Buffer;
  sealed: Buffer;
}

/**
 * Seals `plaintext` under a fresh random data key bound to `aad` (e.g. the link's id hash), and wraps the
 * data key with the current master key, bound to `aad` and to the key version.
 * @example
 * const stored = sealContent(keyring, envelopeBytes, idHash);
 * await store.create({ ...stored, idHash });
 */
export function sealContent(keyring: Keyring, plaintext: Uint8Array, aad: Uint8Array): SealedContent {
  const dataKey = secureRandomBytes(KEY_BYTES);
  try {
    const sealed = gcmSeal(dataKey, plaintext, aad);
    const keyVersion = keyring.currentVersion;
    const wrappedKey = gcmSeal(masterKey(keyring, keyVersion), dataKey, wrapAad(keyVersion, aad));
    return { keyVersion, wrappedKey, sealed };
  } finally {
    dataKey.fill(0);
  }
}

/**
 * Unwraps the data key and opens the sealed bytes. Throws when the key version is unknown or anything fails
 * to authenticate: stored bytes come from our own store, so a failure is an infrastructure fault (corruption,
 * a wrong keyring, a row moved to another link), never user input.
 * @example const plaintext = openContent(keyring, row, idHash);
 */
export function openContent(
  keyring: Keyring,
  stored: { keyVersion: number; wrappedKey: Uint8Array; sealed: Uint8Array },
  aad: Uint8Array,
): Buffer {
  const dataKey = unwrapDataKey(keyring, stored.keyVersion, stored.wrappedKey, aad);
  try {
    return gcmOpen(dataKey, stored.sealed, aad, "sealed content");
  } finally {
    dataKey.fill(0);
  }
}

/**
 * Unwraps a data key with its old master key version and wraps it again with the current one, without touching
 * the sealed content. Used by `oncelink keys rewrap` after a rotation; rows already at the current version may be
 * skipped by the caller (rewrapping them is harmless).
 * @example const { keyVersion, wrappedKey } = rewrapKey(keyring, row.keyVersion, row.wrappedKey, row.idHash);
 */
export function rewrapKey(
  keyring: Keyring,
  keyVersion: number,
  wrappedKey: Uint8Array,
  aad: Uint8Array,
): { keyVersion: number; wrappedKey: Buffer } {
  const dataKey = unwrapDataKey(keyring, keyVersion, wrappedKey, aad);
  try {
    const current = keyring.currentVersion;
    return { keyVersion: current, wrappedKey: gcmSeal(masterKey(keyring, current), dataKey, wrapAad(current, aad)) };
  } finally {
    dataKey.fill(0);
  }
}

/**
 * Derives an independent 32-byte key for one purpose from the signing key: HMAC-SHA-256(signingKey,
 * "oncelink/" + purpose). Separate purposes get unrelated keys, so a leak of one (say the log-tag key)
 * reveals nothing about another (the PoW HMAC key).
 * @example const powKey = deriveSubkey(keyring, "pow"); const logKey = deriveSubkey(keyring, "log-tag");
 */
export function deriveSubkey(keyring: Keyring, purpose: string): Buffer {
  if (purpose.length === 0) throw new TypeError("deriveSubkey needs a purpose");
  return hmacSha256(keyring.signingKey, `oncelink/${purpose}`);
}

/** A fresh data key and its wrap: what a file upload keeps while its chunks arrive. */
export interface NewDataKey {
  /** The raw key: keep it in memory only, and wipe it (`fill(0)`) when done. */
  dataKey: Buffer;
  keyVersion: number;
  wrappedKey: Buffer;
}

/**
 * Makes a fresh random data key and wraps it with the current master key, bound to `aad` (docs/formats.md,
 * "Server sealing"). Files use it: their chunks are sealed one by one with `sealWithKey` as they arrive.
 * @example const { dataKey, keyVersion, wrappedKey } = newDataKey(keyring, fileId);
 */
export function newDataKey(keyring: Keyring, aad: Uint8Array): NewDataKey {
  const dataKey = secureRandomBytes(KEY_BYTES);
  return { dataKey, ...wrapDataKey(keyring, dataKey, aad) };
}

/** Wraps a data key with the current master key, bound to `aad` and to the key version. */
export function wrapDataKey(keyring: Keyring, dataKey: Uint8Array, aad: Uint8Array): { keyVersion: number; wrappedKey: Buffer } {
  const keyVersion = keyring.currentVersion;
  return { keyVersion, wrappedKey: gcmSeal(masterKey(keyring, keyVersion), dataKey, wrapAad(keyVersion, aad)) };
}

/**
 * Unwraps a data key; throws when the version is unknown or the wrap fails to authenticate (never user input).
 * @example const dataKey = unwrapDataKey(keyring, row.keyVersion, row.wrappedKey, fileId); ... dataKey.fill(0);
 */
export function unwrapDataKey(keyring: Keyring, keyVersion: number, wrappedKey: Uint8Array, aad: Uint8Array): Buffer {
  if (wrappedKey.length !== WRAPPED_KEY_BYTES) throw new Error("server layer: wrapped key has the wrong length");
  return gcmOpen(masterKey(keyring, keyVersion), wrappedKey, wrapAad(keyVersion, aad), "wrapped key");
}

/** Seals bytes under a data key: `IV(12) || AES-256-GCM(data_key, plaintext, aad) || tag(16)`, a fresh random IV. */
export function sealWithKey(dataKey: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Buffer {
  return gcmSeal(dataKey, plaintext, aad);
}

/** Bytes `sealWithKey` adds to the plaintext: the IV and the tag. */
export const SEAL_OVERHEAD_BYTES = IV_BYTES + TAG_BYTES;

/**
 * `sealWithKey` into a buffer the caller provides and reuses (at least `plaintext.length + SEAL_OVERHEAD_BYTES`
 * long); returns the sealed length. A file's chunks are sealed this way: the cipher's output is copied into `out` and
 * released at once, so a chunk leaves no buffer behind for the collector. The bytes are those of `sealWithKey`, and
 * `openWithKey` opens them.
 * @example const n = sealWithKeyInto(dataKey, chunk, aad, out); await store.appendChunk(fileId, seq, out.subarray(0, n), quota);
 */
export function sealWithKeyInto(dataKey: Uint8Array, plaintext: Uint8Array, aad: Uint8Array, out: Uint8Array): number {
  const length = plaintext.length + SEAL_OVERHEAD_BYTES;
  if (out.length < length) throw new RangeError("server layer: the output buffer is too small for the sealed bytes");
  const iv = secureRandomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, dataKey, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  out.set(iv, 0);
  const head = cipher.update(plaintext);
  const headLength = head.length;
  out.set(head, IV_BYTES);
  // Copied into `out`: the cipher's own output goes back now, not at the next collection (see releaseBuffer).
  releaseBuffer(head);
  const tail = cipher.final();
  out.set(tail, IV_BYTES + headLength);
  out.set(cipher.getAuthTag(), length - TAG_BYTES);
  return length;
}

/** Opens what `sealWithKey` sealed; throws if it fails to authenticate (corruption, or a chunk moved or swapped). */
export function openWithKey(dataKey: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Buffer {
  return gcmOpen(dataKey, sealed, aad, "sealed chunk");
}

function masterKey(keyring: Keyring, version: number): Buffer {
  const key = keyring.masterKeys.get(version);
  if (key === undefined) throw new Error(`server layer: no master key for version ${version}`);
  return key;
}

/** u32be(version) || aad: the version has a fixed width, so the concatenation is unambiguous. */
function wrapAad(keyVersion: number, aad: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(4 + aad.length);
  out.writeUInt32BE(keyVersion, 0);
  out.set(aad, 4);
  return out;
}

/** IV(12) || ciphertext || tag(16), with a fresh random IV. */
function gcmSeal(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Buffer {
  const iv = secureRandomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const head = cipher.update(plaintext);
  const tail = cipher.final();
  return Buffer.concat([iv, head, tail, cipher.getAuthTag()]);
}

function gcmOpen(key: Uint8Array, box: Uint8Array, aad: Uint8Array, what: string): Buffer {
  if (box.length < IV_BYTES + TAG_BYTES) throw new Error(`server layer: ${what} is truncated`);
  const iv = box.subarray(0, IV_BYTES);
  const tag = box.subarray(box.length - TAG_BYTES);
  // authTagLength pins 16 bytes: Node 20 otherwise accepts shorter tags, which weakens forgery resistance.
  const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  const head = decipher.update(box.subarray(IV_BYTES, box.length - TAG_BYTES));
  try {
    // GCM is a stream cipher: update() has returned every byte and final() only checks the tag (it returns nothing),
    // so the bytes are handed out as they are instead of being copied once more.
    const tail = decipher.final();
    return tail.length === 0 ? head : Buffer.concat([head, tail]);
  } catch {
    head.fill(0);
    throw new Error(`server layer: ${what} failed authentication`);
  }
}
