import { fromBase64Url, toBase64Url } from "../core/base64url.js";
import { PASSPHRASE_PARAMS, PASSPHRASE_PROOF_BYTES, PASSPHRASE_SALT_BYTES } from "../core/policy.js";

/** The two secrets a passphrase yields for one link. */
export interface PassphraseSecrets {
  /** base64url of the first 32 bytes of Argon2id: sent to the server, which keeps only its SHA-256. */
  proof: string;
  /** The last 32 bytes: mixed into the content key of a client-encrypted link; never sent anywhere. */
  keyExtra: Uint8Array;
}

/** A fresh random per-link salt, base64url. */
export function newPassphraseSalt(): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(PASSPHRASE_SALT_BYTES)));
}

/**
 * Argon2id(passphrase, salt) with the parameters of src/core/policy.ts (m = 19 MiB, t = 2, p = 1, 64 bytes out), the
 * same in the browser and the CLI (hash-wasm). The passphrase is NFC-normalized so that the same words typed on two
 * keyboards give the same proof.
 * @example const { proof } = await derivePassphrase("correct horse", info.salt);
 */
export async function derivePassphrase(passphrase: string, salt: string): Promise<PassphraseSecrets> {
  const saltBytes = fromBase64Url(salt);
  if (saltBytes === null || saltBytes.length !== PASSPHRASE_SALT_BYTES) throw new TypeError("not a passphrase salt");
  // Loaded on first use: browser pages fetch hash-wasm (~40 KB of WebAssembly) only for links that need it.
  const { argon2id } = await import("../crypto/wasm-hashes.js");
  const out = await argon2id({
    password: passphrase.normalize("NFC"),
    salt: saltBytes,
    memorySize: PASSPHRASE_PARAMS.memory_kib,
    iterations: PASSPHRASE_PARAMS.iterations,
    parallelism: PASSPHRASE_PARAMS.parallelism,
    hashLength: PASSPHRASE_PARAMS.hash_length,
    outputType: "binary",
  });
  const proof = toBase64Url(out.slice(0, PASSPHRASE_PROOF_BYTES));
  const keyExtra = out.slice(PASSPHRASE_PROOF_BYTES);
  out.fill(0);
  return { proof, keyExtra };
}
