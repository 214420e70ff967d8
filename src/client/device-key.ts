import { toBase64Url } from "../core/base64url.js";
import { deviceProofMessage } from "../core/device-proof.js";

/**
 * A key pair made for one open. The private key is a non-extractable WebCrypto key: no script (ours included) can
 * read it out, so a session bound to it cannot be redeemed anywhere else.
 */
export interface DeviceKey {
  /** The public key as the session step expects it: the raw uncompressed P-256 point, base64url. */
  readonly publicKey: string;
  /** Signs the consume of `sessionToken`; the value of the Oncelink-Device-Signature header. */
  signSession(sessionToken: string): Promise<string>;
}

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256" } as const;

/**
 * Makes a fresh ECDSA P-256 key pair with WebCrypto (browsers, and Node 20+ through `globalThis.crypto`).
 * @example const device = await createDeviceKey(); // at the click, never on load
 */
export async function createDeviceKey(subtle: SubtleCrypto = globalThis.crypto.subtle): Promise<DeviceKey> {
  // extractable: false applies to the private key; a public key is always exportable.
  const pair = await subtle.generateKey(ALGORITHM, false, ["sign", "verify"]);
  const raw = new Uint8Array(await subtle.exportKey("raw", pair.publicKey));
  return {
    publicKey: toBase64Url(raw),
    async signSession(sessionToken) {
      const message = deviceProofMessage(sessionToken);
      const signature = await subtle.sign({ name: "ECDSA", hash: "SHA-256" }, pair.privateKey, message);
      return toBase64Url(new Uint8Array(signature));
    },
  };
}
