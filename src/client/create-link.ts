import { toBase64Url } from "../core/base64url.js";
import { isSecretShape } from "../core/ids.js";
import { encryptBytes, encryptText, generateLinkKey } from "../crypto/client-layer.js";
import { jsonInit, readJsonObject, resolveFetch, sendApiRequest, unexpectedAnswer, type RequestOptions } from "./api-request.js";
import { OncelinkError } from "./errors.js";
import { derivePassphrase, newPassphraseSalt } from "./passphrase.js";
import { normalizeServerUrl, parseManageUrl } from "./link-urls.js";

/** What to seal into a new link: exactly one of `text` or `bytes`. */
export interface CreateLinkOptions extends RequestOptions {
  /** Base URL of the server, e.g. `https://s.example` (a path prefix is kept). */
  server: string;
  /** A text secret; opens as `{kind: "text"}`. */
  text?: string;
  /** A file or any exact bytes; opens as `{kind: "bytes"}` with the same bytes. */
  bytes?: Uint8Array;
  /** File name, sealed inside the ciphertext (only with `bytes`). */
  name?: string;
  /** Media type, sealed inside the ciphertext (only with `bytes`). */
  type?: string;
  /** Lifetime in seconds; the server's default (24 h) when omitted. */
  ttl?: number;
  /**
   * What known link previewers (chat apps, mail scanners) get: the generic "private one-time link" card (the
   * server's default) or, with "none", the plain page without one.
   */
  preview?: "card" | "none";
  /**
   * A passphrase the recipient must type. It is stretched here with Argon2id under a fresh per-link salt: the server
   * gets only a proof (and keeps its SHA-256), and the rest of the output enters the content key, so the URL alone
   * cannot decrypt. Wrong tries are counted; the fifth (the server's PASSPHRASE_MAX_ATTEMPTS) destroys the link.
   */
  passphrase?: string;
  /**
   * A passkey the recipient must use: "required" (any passkey, with a fingerprint, face, PIN or screen lock, at the
   * click) or `{ handle }` (only the passkey enrolled under that handle; see the enrolment API).
   */
  passkey?: "required" | { handle: string };
  /**
   * With a passkey and a passphrase: either one opens the link. The passphrase is then a gate the server checks, not
   * part of the encryption key (the passkey path must be able to decrypt without it).
   */
  passphraseFallback?: boolean;
}

/** A new link. `url` and `manageUrl` are secrets: hand the first to the recipient, keep the second. */
export interface CreatedLink {
  id: string;
  /** The recipient link, with the key in its fragment. */
  url: string;
  /** The sender's link for status and revoke, with the manage token in its fragment. */
  manageUrl: string;
  /** ISO-8601 time after which the link stops working. */
  expiresAt: string;
}

/**
 * Encrypts a secret locally and registers the ciphertext with the server. The key is generated here and
 * only ever appended to the returned URL's fragment: it is never sent.
 * @example
 * const link = await createLink({ server: "https://s.example", text: "hunter2", ttl: 3600 });
 * sendToRecipient(link.url); keepForMyself(link.manageUrl);
 */
export async function createLink(opts: CreateLinkOptions): Promise<CreatedLink> {
  const server = normalizeServerUrl(opts.server);
  if (server === null) throw new OncelinkError("The server address must be an http:// or https:// URL.");
  if ((opts.text === undefined) === (opts.bytes === undefined)) {
    throw new OncelinkError("Give exactly one of text or bytes.");
  }
  if (opts.text === "" || opts.bytes?.length === 0) throw new OncelinkError("The secret is empty.");
  if (opts.ttl !== undefined && (!Number.isInteger(opts.ttl) || opts.ttl <= 0)) {
    throw new OncelinkError("The lifetime must be a positive whole number of seconds.");
  }

  const key = generateLinkKey();
  // Links are parsed with isSecretShape; a key of another shape would make a link nobody can open.
  if (!isSecretShape(key)) throw new Error("client layer produced a key that does not fit in a link");
  if (opts.passphrase === "") throw new OncelinkError("The passphrase is empty.");
  const salt = opts.passphrase === undefined ? null : newPassphraseSalt();
  const secrets = opts.passphrase === undefined || salt === null ? null : await derivePassphrase(opts.passphrase, salt);
  // With the fallback, the passkey alone must be able to decrypt: the passphrase stays out of the key.
  const fallback = opts.passphraseFallback === true && opts.passkey !== undefined && secrets !== null;
  const extra = fallback ? undefined : secrets?.keyExtra;
  const envelope =
    opts.text !== undefined
      ? await encryptText(opts.text, key, extra)
      : await encryptBytes(opts.bytes!, key, { name: opts.name, type: opts.type }, extra);
  secrets?.keyExtra.fill(0);

  const body: {
    ciphertext: string;
    ttl?: number;
    preview?: "card" | "none";
    policy?: { passphrase: { salt: string; proof: string } };
    passkey?: "required";
    passkey_handle?: string;
    passphrase_fallback?: true;
  } = { ciphertext: toBase64Url(envelope) };
  if (opts.passkey === "required") body.passkey = "required";
  else if (opts.passkey !== undefined) body.passkey_handle = opts.passkey.handle;
  if (fallback) body.passphrase_fallback = true;
  if (secrets !== null && salt !== null) body.policy = { passphrase: { salt, proof: secrets.proof } };
  if (opts.ttl !== undefined) body.ttl = opts.ttl;
  if (opts.preview !== undefined) body.preview = opts.preview;
  const response = await sendApiRequest(resolveFetch(opts), `${server}/api/v1/links`, jsonInit("POST", body));
  const answer = await readJsonObject(response, "create");

  const { id, url, manage_url: manageUrl, expires_at: expiresAt } = answer;
  if (
    typeof id !== "string" ||
    !isSecretShape(id) ||
    typeof url !== "string" ||
    typeof manageUrl !== "string" ||
    typeof expiresAt !== "string" ||
    parseManageUrl(manageUrl)?.id !== id
  ) {
    throw unexpectedAnswer("create");
  }
  // The server's `url` is built from its PUBLIC_URL and has no fragment; the key goes only there.
  return { id, url: `${url.replace(/#.*$/, "")}#${key}`, manageUrl, expiresAt };
}
