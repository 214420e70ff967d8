/** Encodes bytes as unpadded base64url (RFC 4648 section 5). Works in browsers and Node. */
export function toBase64Url(bytes: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]!);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

const B64URL = /^[A-Za-z0-9_-]*$/;
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/**
 * True when the last character of an unpadded base64url text of this length carries no stray low bits, i.e. the
 * text is the one canonical spelling of its bytes.
 */
function hasCanonicalTail(text: string): boolean {
  const rest = text.length % 4;
  if (rest === 0) return true;
  const last = ALPHABET.indexOf(text[text.length - 1]!);
  // 2 leftover characters carry 1 byte (4 unused bits), 3 carry 2 bytes (2 unused bits).
  return (last & (rest === 2 ? 0x0f : 0x03)) === 0;
}

/** Decodes unpadded base64url; returns null for anything that is not canonical base64url. */
export function fromBase64Url(text: string): Uint8Array | null {
  // One secret has exactly one spelling: reject impossible lengths and stray low bits in the last character.
  if (text.length % 4 === 1 || !B64URL.test(text) || !hasCanonicalTail(text)) return null;
  const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
