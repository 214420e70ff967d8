/**
 * The client encryption layer (docs/formats.md, "Client envelope v1").
 *
 * One module for the browser pages (bundled by esbuild) and the Node CLI, so it uses WebCrypto only:
 * no `node:` imports and no Buffer. The link key lives only in the URL fragment; the server stores
 * the envelope and can never read it.
 */
import { fromBase64Url } from "../core/base64url.js";
import { isSecretShape, newSecret, SECRET_BYTES } from "../core/ids.js";

/** Byte 0 of every envelope this module writes. */
export const ENVELOPE_VERSION = 0x01;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Version byte, IV, GCM tag and at least the one-byte kind marker of the plaintext. */
export const MIN_ENVELOPE_BYTES = 1 + IV_BYTES + TAG_BYTES + 1;

const KIND_TEXT = 0x01;
const KIND_BYTES = 0x02;
/** The header length is a 2-byte big-endian field. */
const MAX_HEADER_BYTES = 0xffff;

const utf8 = new TextEncoder();
const HKDF_SALT = utf8.encode("oncelink/v1");
const HKDF_INFO = utf8.encode("content");
// The version byte is the AAD, so a future v2 parser can never be fed a v1 ciphertext under a v1 key and succeed.
const AAD_V1 = new Uint8Array([ENVELOPE_VERSION]);

/** What an envelope holds once opened; also the input of the deterministic test seam. */
export type DecryptedContent =
  | { kind: "text"; text: string }
  | { kind: "bytes"; bytes: Uint8Array; name?: string; type?: string };

/** Metadata of a file. It is encrypted with the body, never stored beside it. */
export interface FileMeta {
  name?: string;
  type?: string;
}

/**
 * Mints a new link key: 16 CSPRNG bytes as 22 base64url characters. It goes only in the URL fragment.
 * @example const key = generateLinkKey(); const url = `${link.url}#${key}`;
 */
export function generateLinkKey(): string {
  return newSecret((n) => crypto.getRandomValues(new Uint8Array(n)), SECRET_BYTES);
}

/**
 * True when `text` is a well-formed link key (22 canonical base64url characters, 16 bytes).
 * @example if (!isLinkKey(location.hash.slice(1))) showMissingKeyError();
 */
export function isLinkKey(text: string): boolean {
  return isSecretShape(text);
}

/**
 * Derives the AES-256-GCM content key: HKDF-SHA-256(ikm = keyBytes || extra, salt = "oncelink/v1",
 * info = "content"). The key is non-extractable, so page scripts can use it but never read it out.
 *
 * `extra` mixes a passphrase-derived secret into the key: for a passphrase link it is the second half of the
 * Argon2id output (src/client/passphrase.ts), which never leaves the client. Links without a passphrase use none. Plain concatenation is unambiguous because `keyBytes` always has exactly 16 bytes.
 * @example const key = await deriveContentKey(fromBase64Url(linkKey)!);
 */
export function deriveContentKey(keyBytes: Uint8Array, extra?: Uint8Array): Promise<CryptoKey> {
  return deriveLinkSubkey(keyBytes, extra, HKDF_INFO);
}

/**
 * HKDF-SHA-256(ikm = keyBytes || extra, salt = "oncelink/v1", info) as a non-extractable AES-256-GCM key: the one
 * derivation behind every client-layer format, each format with its own `info` so no two ever share a key.
 * @example const key = await deriveLinkSubkey(keyBytes, extra, new TextEncoder().encode("file-stream"));
 */
export async function deriveLinkSubkey(keyBytes: Uint8Array, extra: Uint8Array | undefined, info: Uint8Array): Promise<CryptoKey> {
  if (keyBytes.length !== SECRET_BYTES) throw new TypeError(`link key must be ${SECRET_BYTES} bytes`);
  const ikm = new Uint8Array(keyBytes.length + (extra?.length ?? 0));
  ikm.set(keyBytes);
  if (extra) ikm.set(extra, keyBytes.length);
  const base = await crypto.subtle.importKey("raw", ikm, "HKDF", false, ["deriveKey"]);
  ikm.fill(0);
  return crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: HKDF_SALT, info: new Uint8Array(info) },
    base,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}

/**
 * Encrypts UTF-8 text into a v1 envelope.
 * Lone UTF-16 surrogates cannot be encoded in UTF-8 and come back as U+FFFD.
 * @example const envelope = await encryptText("db password: hunter2", key);
 */
export function encryptText(text: string, linkKey: string, extra?: Uint8Array): Promise<Uint8Array> {
  return encryptWithIv({ kind: "text", text }, linkKey, randomIv(), extra);
}

/**
 * The length of the envelope `encryptText` makes of `text`, without encrypting it: what a server's MAX_SECRET_BYTES
 * is compared with. Counted code unit by code unit, so no second copy of the secret is made (a lone surrogate counts
 * as the U+FFFD it becomes).
 * @example if (textEnvelopeLength(text) > settings.maxSecretBytes) showTooLong();
 */
export function textEnvelopeLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return MIN_ENVELOPE_BYTES + bytes;
}

/**
 * Encrypts raw bytes (a file) into a v1 envelope; `meta.name` and `meta.type` are sealed inside it.
 * Rejects with a RangeError when the JSON header of name and type exceeds 65535 UTF-8 bytes.
 * @example const envelope = await encryptBytes(fileBytes, key, { name: "id_ed25519", type: "text/plain" });
 */
export function encryptBytes(bytes: Uint8Array, linkKey: string, meta?: FileMeta, extra?: Uint8Array): Promise<Uint8Array> {
  return encryptWithIv({ kind: "bytes", bytes, ...pickMeta(meta) }, linkKey, randomIv(), extra);
}

/**
 * Encrypts with a caller-chosen IV. Exported for the known-answer tests only: reusing an IV under one
 * key breaks AES-GCM completely (it leaks the XOR of the plaintexts and lets anyone forge tags).
 * @internal
 */
export async function encryptWithIv(content: DecryptedContent, linkKey: string, iv: Uint8Array, extra?: Uint8Array): Promise<Uint8Array> {
  if (iv.length !== IV_BYTES) throw new TypeError(`IV must be ${IV_BYTES} bytes`);
  const key = await contentKeyFromLinkKey(linkKey, extra);
  if (key === null) throw new TypeError("not a link key (expected 22 base64url characters)");
  const inner = encodeInner(content);
  const ivCopy = new Uint8Array(iv);
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt({ name: "AES-GCM", iv: ivCopy, additionalData: AAD_V1, tagLength: 128 }, key, inner),
  );
  inner.fill(0);
  const envelope = new Uint8Array(1 + IV_BYTES + sealed.length);
  envelope[0] = ENVELOPE_VERSION;
  envelope.set(ivCopy, 1);
  envelope.set(sealed, 1 + IV_BYTES);
  return envelope;
}

/**
 * Opens an envelope. Returns null, never throws, for any bad input: wrong or malformed key, tampering,
 * truncation, an unknown version or a malformed inner structure. The file name is the sender's choice:
 * sanitize it before using it as a path.
 * @example
 * const content = await decryptEnvelope(envelope, location.hash.slice(1));
 * if (content === null) showCannotDecrypt();
 * else if (content.kind === "text") show(content.text);
 */
export async function decryptEnvelope(envelope: Uint8Array, linkKey: string, extra?: Uint8Array): Promise<DecryptedContent | null> {
  if (!isEnvelopeShape(envelope)) return null;
  const key = await contentKeyFromLinkKey(linkKey, extra);
  if (key === null) return null;
  const iv = envelope.slice(1, 1 + IV_BYTES);
  const sealed = envelope.slice(1 + IV_BYTES);
  let inner: Uint8Array;
  try {
    inner = new Uint8Array(
      await crypto.subtle.decrypt({ name: "AES-GCM", iv, additionalData: AAD_V1, tagLength: 128 }, key, sealed),
    );
  } catch {
    // OperationError: wrong key or modified bytes. GCM does not tell which, and neither do we.
    return null;
  }
  return decodeInner(inner);
}

/**
 * Cheap structural check for the server, which cannot decrypt: a known version byte and room for an IV,
 * a tag and the kind byte. It rejects garbage early; it proves nothing about authenticity.
 * @example if (!isEnvelopeShape(bytes)) return reply(ERRORS.CIPHERTEXT_INVALID);
 */
export function isEnvelopeShape(envelope: Uint8Array): boolean {
  return envelope.length >= MIN_ENVELOPE_BYTES && envelope[0] === ENVELOPE_VERSION;
}

function randomIv(): Uint8Array {
  // 96-bit random IVs: each link key seals one envelope in practice, far below the 2^32-message GCM bound.
  return crypto.getRandomValues(new Uint8Array(IV_BYTES));
}

async function contentKeyFromLinkKey(linkKey: string, extra?: Uint8Array): Promise<CryptoKey | null> {
  if (!isLinkKey(linkKey)) return null;
  const bytes = fromBase64Url(linkKey);
  if (bytes === null) return null;
  const key = await deriveContentKey(bytes, extra);
  bytes.fill(0);
  return key;
}

function pickMeta(meta: FileMeta | undefined): FileMeta {
  // Copy only the two known fields, so no stray property of the caller's object is ever serialized.
  const out: FileMeta = {};
  if (meta?.name !== undefined) out.name = meta.name;
  if (meta?.type !== undefined) out.type = meta.type;
  return out;
}

function encodeInner(content: DecryptedContent): Uint8Array<ArrayBuffer> {
  if (content.kind === "text") {
    const body = utf8.encode(content.text);
    const inner = new Uint8Array(1 + body.length);
    inner[0] = KIND_TEXT;
    inner.set(body, 1);
    body.fill(0);
    return inner;
  }
  const header = utf8.encode(JSON.stringify(pickMeta(content)));
  if (header.length > MAX_HEADER_BYTES) throw new RangeError("file name and type are too long");
  const inner = new Uint8Array(1 + 2 + header.length + content.bytes.length);
  inner[0] = KIND_BYTES;
  inner[1] = header.length >>> 8;
  inner[2] = header.length & 0xff;
  inner.set(header, 3);
  inner.set(content.bytes, 3 + header.length);
  return inner;
}

function decodeInner(inner: Uint8Array): DecryptedContent | null {
  // Strict UTF-8: authenticated bytes that are not valid UTF-8 were not written by this module.
  const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  try {
    if (inner[0] === KIND_TEXT) return { kind: "text", text: strict.decode(inner.subarray(1)) };
    if (inner[0] !== KIND_BYTES || inner.length < 3) return null;
    const headerLength = (inner[1]! << 8) | inner[2]!;
    if (3 + headerLength > inner.length) return null;
    const header: unknown = JSON.parse(strict.decode(inner.subarray(3, 3 + headerLength)));
    const meta = parseMeta(header);
    if (meta === null) return null;
    return { kind: "bytes", bytes: inner.subarray(3 + headerLength), ...meta };
  } catch {
    // TypeError from the fatal decoder or SyntaxError from JSON.parse: a malformed inner structure.
    return null;
  }
}

function parseMeta(header: unknown): FileMeta | null {
  if (typeof header !== "object" || header === null || Array.isArray(header)) return null;
  const { name, type } = header as Record<string, unknown>;
  // Unknown fields are ignored so a later writer can add one without breaking older readers.
  if (name !== undefined && typeof name !== "string") return null;
  if (type !== undefined && typeof type !== "string") return null;
  return pickMeta({ name, type });
}
