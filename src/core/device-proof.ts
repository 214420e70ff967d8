// The device-binding wire format, shared by the server (which verifies) and the client library (which signs).
// At the reveal click the client makes a non-extractable ECDSA P-256 key pair; the session step sends the public
// key, the server binds the session token to its SHA-256, and the consume must carry a signature over the token
// made with the private key. A session token copied to another client, without that key, opens nothing.

/** Header carrying the device's public key on the consume: the raw uncompressed P-256 point, base64url. */
export const DEVICE_KEY_HEADER = "oncelink-device-key";
/** Header carrying the signature on the consume: ECDSA P-256 / SHA-256, IEEE P1363 (r || s, 64 bytes), base64url. */
export const DEVICE_SIGNATURE_HEADER = "oncelink-device-signature";

/**
 * Header naming, on the consume of a session opened with a passkey, the credential id (rawId, base64url) that the
 * session step verified: such a session is bound to the device key and that credential together.
 */
export const PASSKEY_CREDENTIAL_HEADER = "oncelink-passkey-credential";

/** Bytes of a raw uncompressed P-256 public key (0x04 || x || y). */
export const DEVICE_KEY_BYTES = 65;
/** Characters of that key in unpadded base64url. */
export const DEVICE_KEY_CHARS = 87;
/** Bytes of an IEEE P1363 P-256 signature. */
export const DEVICE_SIGNATURE_BYTES = 64;
/** Characters of that signature in unpadded base64url. */
export const DEVICE_SIGNATURE_CHARS = 86;

const CONTEXT = "oncelink/consume/v1\n";

/**
 * The bytes a device signs to redeem a session: a fixed context and the session token. The context keeps the
 * signature from meaning anything to any other protocol; the token (which carries the session's random nonce and
 * is bound to one link) makes it good for this one session only.
 * @example await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, privateKey, deviceProofMessage(token))
 */
export function deviceProofMessage(sessionToken: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(CONTEXT + sessionToken);
}
