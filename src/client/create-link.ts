import { toBase64Url } from "../core/base64url.js";
import { isSecretShape } from "../core/ids.js";
import { encryptBytes, encryptText, generateLinkKey } from "../crypto/client-layer.js";
import { jsonInit, readJsonObject, resolveFetch, sendApiRequest, unexpectedAnswer, type RequestOptions } from "./api-request.js";
import { OncelinkError } from "./errors.js";
import { derivePassphrase, newPassphraseSalt } from "./passphrase.js";
import { normalizeServerUrl, parseManageUrl } from "./link-urls.js";

/** The options every new link takes, text or file: lifetime, previewers, passphrase, template and rules. */
export interface LinkPolicyOptions {
  /** Lifetime in seconds; the server's default (24 h, or the template's) when omitted. */
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
  /** A policy template id ("lightweight", "standard", "ultra-secure" or the operator's); see `listTemplates`. */
  template?: string;
  /** Networks (CIDRs) the recipient must open from. */
  allowIp?: readonly string[];
  /** Networks (CIDRs) that may not open the link. */
  denyIp?: readonly string[];
  /** ISO 3166-1 alpha-2 country codes the recipient must open from, e.g. ["DE", "FR"]. */
  allowCountry?: readonly string[];
}

/** What to seal into a new link: exactly one of `text` or `bytes`. */
export interface CreateLinkOptions extends RequestOptions, LinkPolicyOptions {
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
}

/**
 * Refuses rule lists given but empty. The API reads an absent or empty list as "no rule", so an `allowIp: []` (built,
 * say, from an unset variable) would silently make a link anyone can open: the caller meant to restrict it.
 */
export function checkPolicyLists(opts: LinkPolicyOptions): void {
  const lists: [readonly string[] | undefined, string][] = [
    [opts.allowIp, "allowIp"],
    [opts.denyIp, "denyIp"],
    [opts.allowCountry, "allowCountry"],
  ];
  for (const [list, name] of lists) {
    if (list === undefined) continue;
    if (!Array.isArray(list) || list.length === 0 || list.some((entry) => typeof entry !== "string" || entry.trim() === "")) {
      throw new OncelinkError(`${name} was given but has no entries (or an empty one); leave it out for no rule, or list at least one.`);
    }
  }
}

/**
 * The link options of a request body (`POST /api/v1/links`, or a file upload's finish): what the sender chose, and
 * the passphrase's salt and proof when there is one (never the passphrase).
 */
export function linkOptionsBody(opts: LinkPolicyOptions, passphrase: { salt: string; proof: string } | null): Record<string, unknown> {
  const policy: Record<string, unknown> = {};
  if (passphrase !== null) policy.passphrase = passphrase;
  checkPolicyLists(opts);
  if (opts.allowIp !== undefined) policy.allow_ip = opts.allowIp;
  if (opts.denyIp !== undefined) policy.deny_ip = opts.denyIp;
  if (opts.allowCountry !== undefined) policy.allow_country = opts.allowCountry;
  const body: Record<string, unknown> = {};
  if (Object.keys(policy).length > 0) body.policy = policy;
  if (opts.passkey === "required") body.passkey = "required";
  else if (opts.passkey !== undefined) body.passkey_handle = opts.passkey.handle;
  if (passphraseFallback(opts, passphrase !== null)) body.passphrase_fallback = true;
  if (opts.ttl !== undefined) body.ttl = opts.ttl;
  if (opts.preview !== undefined) body.preview = opts.preview;
  if (opts.template !== undefined) body.template = opts.template;
  return body;
}

/**
 * Whether the passphrase is a fallback for the passkey (either one opens the link): then it is a gate the server
 * checks and stays out of the content key, since the passkey path must decrypt without it.
 */
export function passphraseFallback(opts: LinkPolicyOptions, hasPassphrase: boolean): boolean {
  return opts.passphraseFallback === true && opts.passkey !== undefined && hasPassphrase;
}

/** What to seal into several links at once: the same content, one independent link per recipient. */
export interface CreateLinksOptions extends CreateLinkOptions {
  /** How many links (1 to 10, the server's limit); each opens once and has its own manage link. */
  recipients: number;
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
/**
 * One link of a create (or file finish) answer, checked for shape, with the key put into its fragment. The server's
 * `url` is built from its PUBLIC_URL and has no fragment; the key goes only there, never to the server.
 */
export function createdLink(item: unknown, key: string, step: string): CreatedLink {
  const { id, url, manage_url: manageUrl, expires_at: expiresAt } = (typeof item === "object" && item !== null ? item : {}) as Record<string, unknown>;
  if (
    typeof id !== "string" ||
    !isSecretShape(id) ||
    typeof url !== "string" ||
    typeof manageUrl !== "string" ||
    typeof expiresAt !== "string" ||
    parseManageUrl(manageUrl)?.id !== id
  ) {
    throw unexpectedAnswer(step);
  }
  return { id, url: `${url.replace(/#.*$/, "")}#${key}`, manageUrl, expiresAt };
}

export async function createLink(opts: CreateLinkOptions): Promise<CreatedLink> {
  const [link] = await createLinks({ ...opts, recipients: 1 });
  return link!;
}

/**
 * Like `createLink`, for several recipients: the content is encrypted once here (all links share the fragment key,
 * as they share the content) and the server issues `recipients` independent links, each with its own id, manage
 * token and server-side data key. Opening one leaves the others fresh; revoking one leaves the others.
 * @example const [phone, laptop] = await createLinks({ server, text: "hunter2", recipients: 2 });
 */
export async function createLinks(opts: CreateLinksOptions): Promise<CreatedLink[]> {
  const server = normalizeServerUrl(opts.server);
  if (server === null) throw new OncelinkError("The server address must be an http:// or https:// URL.");
  if ((opts.text === undefined) === (opts.bytes === undefined)) {
    throw new OncelinkError("Give exactly one of text or bytes.");
  }
  if (opts.text === "" || opts.bytes?.length === 0) throw new OncelinkError("The secret is empty.");
  if (opts.ttl !== undefined && (!Number.isInteger(opts.ttl) || opts.ttl <= 0)) {
    throw new OncelinkError("The lifetime must be a positive whole number of seconds.");
  }
  if (!Number.isInteger(opts.recipients) || opts.recipients < 1) throw new OncelinkError("The number of recipients must be a whole number from 1.");
  checkPolicyLists(opts);

  const key = generateLinkKey();
  // Links are parsed with isSecretShape; a key of another shape would make a link nobody can open.
  if (!isSecretShape(key)) throw new Error("client layer produced a key that does not fit in a link");
  if (opts.passphrase === "") throw new OncelinkError("The passphrase is empty.");
  const salt = opts.passphrase === undefined ? null : newPassphraseSalt();
  const secrets = opts.passphrase === undefined || salt === null ? null : await derivePassphrase(opts.passphrase, salt);
  // With the fallback, the passkey alone must be able to decrypt: the passphrase stays out of the key.
  const extra = passphraseFallback(opts, secrets !== null) ? undefined : secrets?.keyExtra;
  const envelope =
    opts.text !== undefined
      ? await encryptText(opts.text, key, extra)
      : await encryptBytes(opts.bytes!, key, { name: opts.name, type: opts.type }, extra);
  secrets?.keyExtra.fill(0);

  const body: Record<string, unknown> = {
    ciphertext: toBase64Url(envelope),
    ...linkOptionsBody(opts, secrets !== null && salt !== null ? { salt, proof: secrets.proof } : null),
  };
  if (opts.recipients !== 1) body.recipients = opts.recipients;
  const response = await sendApiRequest(resolveFetch(opts), `${server}/api/v1/links`, jsonInit("POST", body));
  const answer = await readJsonObject(response, "create");
  // Servers before several recipients answered with the first link's fields only.
  const items: unknown[] = Array.isArray(answer.links) ? answer.links : [answer];
  if (items.length !== opts.recipients) throw unexpectedAnswer("create");
  return items.map((item) => createdLink(item, key, "create"));
}
