import { solveChallenge, type Challenge, type DeriveKeyFunction } from "altcha-lib";
import { deriveKey as deriveKeyWeb } from "altcha-lib/algorithms/web/sha";
import { fromBase64Url, toBase64Url } from "../core/base64url.js";
import { DEVICE_KEY_HEADER, DEVICE_SIGNATURE_HEADER, PASSKEY_CREDENTIAL_HEADER } from "../core/device-proof.js";
import { decryptEnvelope, type DecryptedContent } from "../crypto/client-layer.js";
import { createFileDecryptStream, FileStreamError, type FileStreamSummary } from "../crypto/file-stream.js";
import { jsonInit, readJsonObject, resolveFetch, sendApiRequest, unexpectedAnswer, type FetchFunction, type RequestOptions } from "./api-request.js";
import { createDeviceKey, type DeviceKey } from "./device-key.js";
import {
  ConfirmationDeclinedError,
  ContentNotReceivedError,
  DecryptionError,
  FileIntegrityError,
  InvalidLinkError,
  LinkKeyMissingError,
  OncelinkApiError,
  OncelinkError,
  PasskeyCeremonyError,
  PasskeyRequiredError,
  PassphraseRequiredError,
  UnsupportedRequirementError,
} from "./errors.js";
import { derivePassphrase, type PassphraseSecrets } from "./passphrase.js";
import { parseLinkUrl } from "./link-urls.js";
import { pump } from "./pump.js";

/** The steps of an open, in order, for a progress display. Nothing is spent before "opening". */
export type OpenStage = "checking" | "passkey" | "solving" | "opening" | "decrypting";

/**
 * A WebAuthn ceremony the server asks for: "create" (navigator.credentials.create) or "get", with the options in
 * WebAuthn's JSON form (PublicKeyCredentialCreationOptionsJSON / PublicKeyCredentialRequestOptionsJSON).
 */
export interface PasskeyCeremonyRequest {
  ceremony: "create" | "get";
  options: Record<string, unknown>;
}

/**
 * Runs a ceremony and resolves with the credential as JSON (PublicKeyCredential.toJSON(), or what
 * @simplewebauthn/browser's startRegistration / startAuthentication return). A page passes one; a CLI cannot.
 */
export type PasskeyCeremony = (request: PasskeyCeremonyRequest) => Promise<unknown>;

/**
 * What a page reports about the click that started the open. The server can only raise the friction with these
 * (a harder proof of work, a second confirmation); it never refuses an open because of them.
 */
export interface GestureReport {
  /** `navigator.webdriver` at the click. */
  webdriver?: boolean;
  /** Milliseconds from page load to the click (`performance.now()` in the click handler). */
  gestureMs?: number;
}

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
  /** The page's report of the click; sent with the challenge request. */
  gesture?: GestureReport;
  /**
   * Asked when the server wants a second confirmation (friction "confirm"), before the proof of work starts.
   * A page shows a confirmation and resolves on a second, trusted click; a CLI, run on purpose, may resolve true.
   * Without it such an open stops with ConfirmationDeclinedError, spending nothing.
   */
  confirm?: () => Promise<boolean>;
  /**
   * The device key the session is bound to. Made here (a fresh non-extractable ECDSA P-256 pair) when not given:
   * every open through this library binds its session to the device that made it.
   */
  deviceKey?: DeviceKey;
  /**
   * The passphrase, for a link that requires one (`checkLink(...).passphrase`). Stretched here with Argon2id; only a
   * proof goes to the server. Missing: PassphraseRequiredError, nothing spent. Wrong: PassphraseIncorrectError with
   * `attemptsLeft`; the link stays unopened (the last allowed wrong try destroys it).
   */
  passphrase?: string;
  /**
   * Runs the WebAuthn ceremony of a passkey link (`checkLink(...).passkey`). Missing: PasskeyRequiredError before
   * anything is spent, unless the link allows its passphrase instead and `passphrase` is given (then no ceremony).
   */
  passkey?: PasskeyCeremony;
}

/**
 * What an opened link held: text, or exact bytes with the file name and type the sender sealed in.
 * A server-encrypted link always opens as text.
 */
export type OpenedContent = DecryptedContent;

/** Proofs the session endpoint understands. Anything else a link requires, this client cannot provide yet. */
const SUPPORTED_REQUIREMENTS = new Set(["pow", "passphrase", "passkey"]);

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
  const opened = await openLinkStream(url, opts);
  if (opened.kind !== "file") return opened;
  // The whole file in memory: fine for what a page shows; use openLinkStream for anything large.
  const parts: Uint8Array[] = [];
  let total = 0;
  const reader = opened.stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      total += value.length;
    }
    await opened.done;
  } catch (error) {
    throw fileError(error);
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  const content: OpenedContent = { kind: "bytes", bytes };
  if (opened.name !== undefined) content.name = opened.name;
  if (opened.type !== undefined) content.type = opened.type;
  return content;
}

/** A file link, opened: its name and type (from inside the encrypted stream), and the decrypted bytes as a stream. */
export interface OpenedFile {
  kind: "file";
  name?: string;
  type?: string;
  /**
   * The file's bytes, decrypted and authenticated chunk by chunk as they arrive: views of fresh plaintext chunks, the
   * reader's alone (see createFileDecryptStream), which it may release once written.
   */
  stream: ReadableStream<Uint8Array>;
  /**
   * Resolves with the exact size and SHA-256 once the whole file arrived intact; rejects (FileIntegrityError) if it was
   * cut off or altered. Until it resolves, treat what the stream gave as unverified: write it to a temporary place.
   */
  done: Promise<FileStreamSummary>;
}

/** What `openLinkStream` gives: text and small envelopes as with `openLink`, files as a stream. */
export type OpenedStream = OpenedContent | OpenedFile;

/**
 * Like `openLink`, but a file link's content comes as a stream, so a file of any size passes through bounded memory
 * (the CLI writes it to a temporary file, checks `done`, then renames it). Everything `openLink` checks before the
 * consume is checked here too; once it resolves, the link is used up.
 * @throws the same errors as `openLink`; a file whose first chunk does not decrypt: DecryptionError
 * @example
 * const opened = await openLinkStream(url);
 * if (opened.kind === "file") { await opened.stream.pipeTo(sink); const { sha256 } = await opened.done; }
 */
export async function openLinkStream(url: string, opts: OpenLinkOptions = {}): Promise<OpenedStream> {
  const link = parseLinkUrl(url);
  if (link === null) throw new InvalidLinkError("This is not a complete oncelink link (expected …/l/ID#KEY).");
  const fetchFn = resolveFetch(opts);
  const api = `${link.server}/api/v1/links/${link.id}`;

  opts.onProgress?.("checking");
  // Made while the check is in flight; the open is already a person's deliberate act when this runs.
  const device = opts.deviceKey !== undefined ? Promise.resolve(opts.deviceKey) : createDeviceKey();
  // A failure of the key pair surfaces at the session step; do not let it go unhandled meanwhile.
  device.catch(() => undefined);
  const info = await checkParsedLink(fetchFn, api, link.key);
  const hasPassphrase = opts.passphrase !== undefined && opts.passphrase !== "";
  // With the fallback, the passphrase replaces the passkey: either one opens the link.
  const fallback = info.passkey?.passphraseFallback === true;
  const ceremonyNeeded = info.passkey !== null && !(fallback && hasPassphrase);
  if (ceremonyNeeded && opts.passkey === undefined) throw new PasskeyRequiredError(fallback);
  if (info.passphraseSalt !== null && !hasPassphrase && !fallback) throw new PassphraseRequiredError();
  const secrets: PassphraseSecrets | null =
    info.passphraseSalt === null || !hasPassphrase ? null : await derivePassphrase(opts.passphrase!, info.passphraseSalt);
  // A fallback link's passphrase is a gate only: the passkey path must decrypt without it.
  const keyExtra = fallback ? undefined : secrets?.keyExtra;

  const challenge = await fetchChallenge(fetchFn, api, opts.gesture);
  if (challenge.friction === "confirm" && !(await opts.confirm?.())) throw new ConfirmationDeclinedError();
  let passkeyResponse: unknown;
  let credentialId: string | undefined;
  if (ceremonyNeeded) {
    // Right after the click, before the proof of work: the ceremony is bound to this challenge and this device key.
    opts.onProgress?.("passkey");
    const request = await fetchCeremony(fetchFn, api, challenge.challenge, await device);
    try {
      passkeyResponse = await opts.passkey!(request);
    } catch (err) {
      throw new PasskeyCeremonyError(err);
    }
    credentialId = credentialIdOf(passkeyResponse);
  }
  opts.onProgress?.("solving");
  const pow = await solvePow(challenge.challenge, opts);
  const deviceKey = await device;

  opts.onProgress?.("opening");
  const session = await mintSession(fetchFn, api, pow, deviceKey, challenge.friction === "confirm", secrets?.proof, passkeyResponse);
  const released = await consume(fetchFn, api, session, await deviceKey.signSession(session), deviceKey, credentialId);

  if (released.kind === "content") return { kind: "text", text: released.text };
  // Only an inconsistent server releases a ciphertext for a link it called server-encrypted.
  if (link.key === null) throw unexpectedAnswer("consume");
  opts.onProgress?.("decrypting");
  if (released.kind === "stream") {
    const dec = createFileDecryptStream(link.key, keyExtra ? { extra: keyExtra } : {});
    secrets?.keyExtra.fill(0);
    // The body's pieces are fetch's fresh copies, ours alone: each goes back (releaseBuffer) once decrypted.
    pump(released.body, dec.writable, { release: true }).catch(() => undefined);
    let meta;
    try {
      meta = await dec.meta;
    } catch (error) {
      throw fileError(error);
    }
    const file: OpenedFile = { kind: "file", stream: dec.readable, done: dec.done.catch((error: unknown) => Promise.reject(fileError(error))) };
    file.done.catch(() => undefined);
    if (meta.name !== undefined) file.name = meta.name;
    if (meta.type !== undefined) file.type = meta.type;
    return file;
  }
  const content = await decryptEnvelope(released.envelope, link.key, keyExtra);
  secrets?.keyExtra.fill(0);
  if (content === null) throw new DecryptionError();
  return content;
}

/** A file stream failure as the library reports it: the key does not fit, or the file was cut off or altered. */
function fileError(error: unknown): unknown {
  // Anything else breaking the stream (the connection dropped mid-file) comes after the consume: the link is spent.
  if (!(error instanceof FileStreamError)) return error instanceof ContentNotReceivedError ? error : new ContentNotReceivedError(error);
  if (error.reason === "authentication" || error.reason === "header") return new DecryptionError();
  return new FileIntegrityError(error.reason);
}

/** What the non-consuming check says about a link that can still be opened. */
export interface LinkInfo {
  /** ISO-8601 time after which the link no longer opens. */
  expiresAt: string;
  /** Whether the content was encrypted by the sender's client (needs the `#key`) or by the server. */
  encryption: "client" | "server";
  /** Whether opening needs a passphrase (ask for it before the Reveal). */
  passphrase: boolean;
  /** "file" for a file link (its content comes as a stream: see `openLinkStream`), else "text". */
  content: "text" | "file";
  /**
   * The link's passkey rule, or null: "required", any passkey made at the click; "recipient", the passkey the
   * recipient enrolled. `passphraseFallback`: the passphrase may be used instead.
   */
  passkey: PasskeyRequirement | null;
}

/** What a link asks of the recipient's passkey. */
export interface PasskeyRequirement {
  mode: "required" | "recipient";
  passphraseFallback: boolean;
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
  const { passphraseSalt, ...info } = await checkParsedLink(resolveFetch(opts), `${link.server}/api/v1/links/${link.id}`, link.key);
  return { ...info, passphrase: passphraseSalt !== null };
}

async function checkParsedLink(
  fetchFn: FetchFunction,
  api: string,
  key: string | null,
): Promise<Omit<LinkInfo, "passphrase"> & { passphraseSalt: string | null }> {
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
  let passphraseSalt: string | null = null;
  if (requires.passphrase) {
    const salt = (requires.passphrase as Record<string, unknown>).salt;
    if (typeof salt !== "string") throw unexpectedAnswer("check");
    passphraseSalt = salt;
  }
  let passkey: PasskeyRequirement | null = null;
  if (requires.passkey) {
    const { mode, passphrase_fallback: fallback } = requires.passkey as Record<string, unknown>;
    if (mode !== "required" && mode !== "recipient") throw unexpectedAnswer("check");
    passkey = { mode, passphraseFallback: fallback === true && passphraseSalt !== null };
  }
  return {
    expiresAt: typeof info.expires_at === "string" ? info.expires_at : "",
    encryption: info.encryption,
    content: info.content === "file" ? "file" : "text",
    passphraseSalt,
    passkey,
  };
}

type Friction = "none" | "raised" | "confirm";

/** Fetches a challenge, passing the page's report of the click as query parameters (docs/protocol.md). */
async function fetchChallenge(fetchFn: FetchFunction, api: string, gesture: GestureReport | undefined): Promise<{ challenge: Challenge; friction: Friction }> {
  const query = new URLSearchParams();
  if (gesture?.webdriver !== undefined) query.set("webdriver", String(gesture.webdriver));
  if (gesture?.gestureMs !== undefined && Number.isFinite(gesture.gestureMs)) {
    query.set("gesture_ms", String(Math.min(999_999_999, Math.max(0, Math.round(gesture.gestureMs)))));
  }
  const search = query.toString();
  const url = `${api}/challenge${search === "" ? "" : `?${search}`}`;
  const body = await readJsonObject(await sendApiRequest(fetchFn, url, { headers: { accept: "application/json" } }), "challenge");
  if (typeof body.parameters !== "object" || body.parameters === null) throw unexpectedAnswer("challenge");
  const friction: Friction = body.friction === "raised" || body.friction === "confirm" ? body.friction : "none";
  const { friction: _friction, ...challenge } = body;
  return { challenge: challenge as unknown as Challenge, friction };
}

/** Asks for the WebAuthn options of this open: bound to the (unsolved) challenge and the device key. */
async function fetchCeremony(fetchFn: FetchFunction, api: string, challenge: Challenge, device: DeviceKey): Promise<PasskeyCeremonyRequest> {
  const body = await readJsonObject(
    await sendApiRequest(fetchFn, `${api}/passkey`, jsonInit("POST", { challenge, device_key: device.publicKey })),
    "passkey",
  );
  if ((body.ceremony !== "create" && body.ceremony !== "get") || typeof body.options !== "object" || body.options === null) {
    throw unexpectedAnswer("passkey");
  }
  return { ceremony: body.ceremony, options: body.options as Record<string, unknown> };
}

/** The credential id (rawId) a ceremony produced; the consume names it. */
function credentialIdOf(response: unknown): string {
  const rawId = typeof response === "object" && response !== null ? (response as Record<string, unknown>).rawId : undefined;
  if (typeof rawId !== "string" || !/^[A-Za-z0-9_-]{1,1400}$/.test(rawId)) throw new PasskeyCeremonyError(new TypeError("no credential id"));
  return rawId;
}

async function solvePow(challenge: Challenge, opts: OpenLinkOptions): Promise<string> {
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

async function mintSession(
  fetchFn: FetchFunction,
  api: string,
  pow: string,
  device: DeviceKey,
  confirmed: boolean,
  passphraseProof: string | undefined,
  passkey: unknown,
): Promise<string> {
  const body: { pow: string; device_key: string; confirm?: true; passphrase_proof?: string; passkey?: unknown } = {
    pow,
    device_key: device.publicKey,
  };
  if (confirmed) body.confirm = true;
  if (passphraseProof !== undefined) body.passphrase_proof = passphraseProof;
  if (passkey !== undefined) body.passkey = passkey;
  const answer = await readJsonObject(await sendApiRequest(fetchFn, `${api}/session`, jsonInit("POST", body)), "session");
  if (typeof answer.session !== "string" || answer.session === "") throw unexpectedAnswer("session");
  return answer.session;
}

type Released =
  | { kind: "content"; text: string }
  | { kind: "envelope"; envelope: Uint8Array }
  | { kind: "stream"; body: ReadableStream<Uint8Array> };

/**
 * The consume step. Only the server's own refusals, `404 UNAVAILABLE`, `401 SESSION_INVALID` and `503 SHUTTING_DOWN`
 * (a node past the start of its shutdown answers before any route runs), prove this attempt spent nothing; any other
 * failure (a dropped connection, a proxy's 502/504, an answer cut off or malformed) may come
 * after the server used the link up, so it becomes ContentNotReceivedError rather than an invitation to retry.
 */
async function consume(...args: Parameters<typeof consumeOnce>): Promise<Released> {
  try {
    return await consumeOnce(...args);
  } catch (err) {
    if (nothingSpent(err)) throw err;
    throw new ContentNotReceivedError(err);
  }
}

/** The server's own answers to a consume that did not happen: the link is as it was before this attempt. */
function nothingSpent(err: unknown): boolean {
  return (
    err instanceof OncelinkApiError &&
    ((err.status === 404 && err.code === "UNAVAILABLE") ||
      (err.status === 401 && err.code === "SESSION_INVALID") ||
      (err.status === 503 && err.code === "SHUTTING_DOWN"))
  );
}

async function consumeOnce(
  fetchFn: FetchFunction,
  api: string,
  session: string,
  signature: string,
  device: DeviceKey,
  credentialId: string | undefined,
): Promise<Released> {
  const response = await sendApiRequest(
    fetchFn,
    `${api}/consume`,
    // `{}` rather than no body: a JSON content type with an empty body is a 400 in Fastify.
    jsonInit(
      "POST",
      {},
      {
        authorization: `Session ${session}`,
        accept: "application/json, application/octet-stream",
        [DEVICE_KEY_HEADER]: device.publicKey,
        [DEVICE_SIGNATURE_HEADER]: signature,
        ...(credentialId === undefined ? {} : { [PASSKEY_CREDENTIAL_HEADER]: credentialId }),
      },
    ),
  );
  // A file link answers with its client file stream (docs/formats.md), streamed.
  if ((response.headers.get("content-type") ?? "").startsWith("application/octet-stream")) {
    if (response.body === null) throw unexpectedAnswer("consume");
    return { kind: "stream", body: response.body };
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
