import { toBase64Url } from "./base64url.js";

/** Fills a buffer with CSPRNG bytes; injected so the core stays free of I/O. */
export type RandomBytes = (length: number) => Uint8Array;

/** Bytes of entropy in link ids, manage tokens, session tokens and client keys: 128 bits. */
export const SECRET_BYTES = 16;
/** Length of a 16-byte value in unpadded base64url. */
export const SECRET_CHARS = 22;

/**
 * Mints a new random identifier or bearer token (128 bits, base64url, 22 characters).
 * @example newSecret(randomBytes) // "q3V1i0n2...": never log it
 */
export function newSecret(random: RandomBytes, bytes = SECRET_BYTES): string {
  return toBase64Url(random(bytes));
}

// 22 characters carry 132 bits: the last one holds 2 bits of the 16th byte and 4 zero bits, so it is A, Q, g or w.
const SECRET_SHAPE = /^[A-Za-z0-9_-]{21}[AQgw]$/;

/** True when `text` has the exact shape of a 128-bit secret: 22 canonical base64url characters. */
export function isSecretShape(text: string): boolean {
  return text.length === SECRET_CHARS && SECRET_SHAPE.test(text);
}
