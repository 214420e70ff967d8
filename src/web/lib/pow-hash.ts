// The proof-of-work hash for the reveal page. altcha's browser default calls `crypto.subtle.digest` once per
// attempt; each call is a round trip to another thread (~0.1-0.3 ms), which made the default difficulty
// (~10,000 attempts on average) cost seconds after the click. The same SHA-256 in plain JS runs in about a
// microsecond per attempt on these inputs, so the person waits for the network instead of the hash. The work an
// automated client must do is unchanged: the server verifies the same altcha SHA-256 derivation.
import { sha256 } from "@noble/hashes/sha2.js";
import type { DeriveKeyFunction } from "altcha-lib";
import { deriveKey as deriveKeyWebCrypto } from "altcha-lib/algorithms/web/sha";

/**
 * altcha's "SHA-256" key derivation (hash `salt || password`, then the digest again `cost - 1` times, truncate to
 * `keyLength`), computed synchronously in JS. Other algorithms fall back to altcha's WebCrypto version.
 * @example openLink(url, { deriveKey: deriveKeyInPage })
 */
export const deriveKeyInPage: DeriveKeyFunction = async (parameters, salt, password) => {
  if (parameters.algorithm !== "SHA-256") return deriveKeyWebCrypto(parameters, salt, password);
  const iterations = Math.max(1, parameters.cost);
  let key = new Uint8Array(salt.length + password.length);
  key.set(salt, 0);
  key.set(password, salt.length);
  for (let i = 0; i < iterations; i++) key = sha256(key);
  return { parameters: {}, derivedKey: key.slice(0, parameters.keyLength ?? 32) };
};
