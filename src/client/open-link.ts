import { solveChallenge, type Challenge, type DeriveKeyFunction } from "altcha-lib";
import { deriveKey as deriveKeyWeb } from "altcha-lib/algorithms/web/sha";
import { fromBase64Url, toBase64Url } from "../core/base64url.js";
import { decryptEnvelope, type DecryptedContent } from "../crypto/client-layer.js";
import { jsonInit, readJsonObject, resolveFetch, sendApiRequest, unexpectedAnswer, type FetchFunction, type RequestOptions } from "./api-request.js";
import { DecryptionError, InvalidLinkError, LinkKeyMissingError, OncelinkError, UnsupportedRequirementError } from "./errors.js";
import { parseLinkUrl } from "./link-urls.js";

/** The steps of an open, in order, for a progress display. Nothing is spent before "opening". */
export type OpenStage = "checking" | "solving" | "opening" | "decrypting";

/** Options of `openLink`. */
export interface OpenLinkOptions extends RequestOptions {
  /**
   * Key derivation for the proof of work. Defaults to altcha's WebCrypto SHA implementation, which works in
   * browsers and Node; Node callers should pass `altcha-lib/algorithms/sha` (node:crypto, much faster).
   */
  deriveKey?: DeriveKeyFunction;
  /** Called as each step starts. */
  onProgress?: (stage: OpenStage) => void;
  /** Aborts the proof-of-work solve (before anything is spent). */
  signal?: AbortSignal;
}

/**
 * What an opened link held: text, or exact bytes with the file name and type the sender sealed in.
 * A server-encrypted link always opens as text.
 */
export type OpenedContent = DecryptedContent;

/** Proofs the session endpoint understands. Anything else a link requires, this client cannot provide yet. */
const SUPPORTED_REQUIREMENTS = new Set(["pow"]);

/**
 * Opens a link the way docs/protocol.md describes: check it (non-consuming), solve the proof-of-work
 * challenge, mint a session, consume, then decrypt locally with the key from the URL fragment.
 *
 * Everything that can be refused without spending the link is checked before the consume: a malformed URL,
 * a missing key, an unsupported requirement, a failed proof of work.
 * @throws {InvalidLinkError} not a recipient link
 * @throws {UnavailableError} unknown, already opened, expired or revoked
 * @throws {LinkKeyMissingError} a client-encrypted link without its `#key` (nothing was spent)
 * @throws {DecryptionError} released but not decryptable with this key (the link is used up)
 * @throws {OncelinkApiError} any other refusal, with its code
 * @example
 * const content = await openLink(location.href, { onProgress: showStage });
 * if (content.kind === "text") show(content.text); else offerDownload(content.bytes, content.name);
 */
export async function openLink(url: string, opts: OpenLinkOptions = {}): Promise<OpenedContent> {
  const link = parseLinkUrl(url);
  if (link === null) throw new InvalidLinkError("This is not a complete oncelink link (expected …/l/ID#KEY).");
  const fetchFn = resolveFetch(opts);
  const api = `${link.server}/api/v1/links/${link.id}`;

  opts.onProgress?.("checking");
  await checkParsedLink(fetchFn, api, link.key);

  opts.onProgress?.("solving");
  const pow = await solvePow(fetchFn, api, opts);

  opts.onProgress?.("opening");
  const session = await mintSession(fetchFn, api, pow);
  const released = await consume(fetchFn, api, session);

  if (released.kind === "content") return { kind: "text", text: released.text };
  // Only an inconsistent server releases a ciphertext for a link it called server-encrypted.
  if (link.key === null) throw unexpectedAnswer("consume");
  opts.onProgress?.("decrypting");
  const content = await decryptEnvelope(released.envelope, link.key);
  if (content === null) throw new DecryptionError();
  return content;
}

/** What the non-consuming check says about a link that can still be opened. */
export interface LinkInfo {
  /** ISO-8601 time after which the link no longer opens. */
  expiresAt: string;
  /** Whether the content was encrypted by the sender's client (needs the `#key`) or by the server. */
  encryption: "client" | "server";
}

/**
 * The non-consuming first step of an open, on its own: one `GET /api/v1/links/{id}`, no proof of work, nothing
 * spent. Pages call it on load to decide what to draw; `openLink` calls it first.
 * @throws {InvalidLinkError} not a recipient link
 * @throws {UnavailableError} unknown, already opened, expired or revoked
 * @throws {LinkKeyMissingError} a client-encrypted link without its `#key`
 * @throws {UnsupportedRequirementError} the link asks for a proof this client cannot give yet
 * @example
 * const info = await checkLink(location.href); // then show the Reveal button
 */
export async function checkLink(url: string, opts: RequestOptions = {}): Promise<LinkInfo> {
  const link = parseLinkUrl(url);
  if (link === null) throw new InvalidLinkError("This is not a complete oncelink link (expected …/l/ID#KEY).");
  return checkParsedLink(resolveFetch(opts), `${link.server}/api/v1/links/${link.id}`, link.key);
}

async function checkParsedLink(fetchFn: FetchFunction, api: string, key: string | null): Promise<LinkInfo> {
  const info = await readJsonObject(await sendApiRequest(fetchFn, api, { headers: { accept: "application/json" } }), "check");
  if (info.encryption !== "client" && info.encryption !== "server") throw unexpectedAnswer("check");
  const requires = typeof info.requires === "object" && info.requires !== null ? (info.requires as Record<string, unknown>) : {};
  const unsupported = Object.keys(requires).filter((name) => requires[name] && !SUPPORTED_REQUIREMENTS.has(name));
  if (unsupported.length > 0) {
    throw new UnsupportedRequirementError(
      `This link requires ${unsupported.join(", ")}, which this client does not support yet. It was not opened.`,
    );
  }
  if (info.encryption === "client" && key === null) throw new LinkKeyMissingError();
  return { expiresAt: typeof info.expires_at === "string" ? info.expires_at : "", encryption: info.encryption };
}

async function solvePow(fetchFn: FetchFunction, api: string, opts: OpenLinkOptions): Promise<string> {
  const body = await readJsonObject(await sendApiRequest(fetchFn, `${api}/challenge`, { headers: { accept: "application/json" } }), "challenge");
  if (typeof body.parameters !== "object" || body.parameters === null) throw unexpectedAnswer("challenge");
  const challenge = body as unknown as Challenge;
  const controller = new AbortController();
  opts.signal?.addEventListener("abort", () => controller.abort(), { once: true });
  let solution;
  try {
    solution = await solveChallenge({ challenge, deriveKey: opts.deriveKey ?? deriveKeyWeb, controller });
  } catch {
    // altcha throws on malformed parameters (unknown algorithm, bad prefix): the server's fault, not ours.
    throw unexpectedAnswer("challenge");
  }
  if (solution === null) {
    throw new OncelinkError(opts.signal?.aborted ? "Opening was cancelled. The link was not opened." : "The proof of work timed out. The link was not opened.");
  }
  // The ALTCHA payload: base64 (standard alphabet, padded) of the JSON {challenge, solution}.
  return toBase64(new TextEncoder().encode(JSON.stringify({ challenge, solution })));
}

async function mintSession(fetchFn: FetchFunction, api: string, pow: string): Promise<string> {
  const answer = await readJsonObject(await sendApiRequest(fetchFn, `${api}/session`, jsonInit("POST", { pow })), "session");
  if (typeof answer.session !== "string" || answer.session === "") throw unexpectedAnswer("session");
  return answer.session;
}

type Released = { kind: "content"; text: string } | { kind: "envelope"; envelope: Uint8Array };

async function consume(fetchFn: FetchFunction, api: string, session: string): Promise<Released> {
  const response = await sendApiRequest(
    fetchFn,
    `${api}/consume`,
    // `{}` rather than no body: a JSON content type with an empty body is a 400 in Fastify.
    jsonInit("POST", {}, { authorization: `Session ${session}`, accept: "application/json, application/octet-stream" }),
  );
  // CONTRACT.md allows files to be released as a raw octet stream instead of JSON.
  if ((response.headers.get("content-type") ?? "").startsWith("application/octet-stream")) {
    return { kind: "envelope", envelope: new Uint8Array(await response.arrayBuffer()) };
  }
  const answer = await readJsonObject(response, "consume");
  if (typeof answer.content === "string") return { kind: "content", text: answer.content };
  const envelope = typeof answer.ciphertext === "string" ? fromBase64Url(answer.ciphertext) : null;
  if (envelope === null) throw unexpectedAnswer("consume");
  return { kind: "envelope", envelope };
}

function toBase64(bytes: Uint8Array): string {
  const url = toBase64Url(bytes).replace(/-/g, "+").replace(/_/g, "/");
  return url + "=".repeat((4 - (url.length % 4)) % 4);
}
