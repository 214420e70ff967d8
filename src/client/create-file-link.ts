import { isSecretShape } from "../core/ids.js";
import { releaseBuffer } from "../core/release-buffer.js";
import { generateLinkKey } from "../crypto/client-layer.js";
import { createFileEncryptStream } from "../crypto/file-stream.js";
import { jsonInit, readJsonObject, resolveFetch, sendApiRequest, unexpectedAnswer, unreachable, type FetchFunction, type RequestOptions } from "./api-request.js";
import { checkPolicyLists, createdLink, linkOptionsBody, passphraseFallback, type CreatedLink, type LinkPolicyOptions } from "./create-link.js";
import { FileUploadFailedError, OncelinkApiError, OncelinkError, ServerUnreachableError, UploadPartOutOfOrderError } from "./errors.js";
import { normalizeServerUrl } from "./link-urls.js";
import { pump } from "./pump.js";
import { derivePassphrase, newPassphraseSalt } from "./passphrase.js";

/**
 * Options of `createFileLink`: the file, and the same link options as `createLink` (template, rules, passkey,
 * passphrase, which is mixed into the file's key unless it is a passkey's fallback). A file link has one recipient: upload the file again for another.
 */
export interface CreateFileLinkOptions extends RequestOptions, LinkPolicyOptions {
  /** Base URL of the server, e.g. `https://s.example`. */
  server: string;
  /**
   * The file's bytes, read as they are needed (`file.stream()` in a browser, `Readable.toWeb(createReadStream(p))` in
   * Node). A piece is read only once the previous one has been encrypted, so a source may fill one array each time.
   */
  source: ReadableStream<Uint8Array>;
  /** File name, sealed inside the encrypted stream (the server never sees it). */
  name?: string;
  /** Media type, sealed inside the encrypted stream. */
  type?: string;
  /** The file's size when known: a file over the server's limit is refused before any of it is sent. */
  size?: number;
  /** Called after each part is stored, with the bytes of encrypted stream sent so far. */
  onProgress?: (sentBytes: number) => void;
  /**
   * Send each part as a request stream (with its length) instead of as bytes: fetch then sends the part straight from
   * the one buffer this function fills for every part, where it would otherwise copy each part first. Node's fetch
   * takes request streams (the CLI sets this); browsers take them only over HTTP/2, so a page leaves it off.
   */
  streamParts?: boolean;
  /**
   * How many times a part is sent again, from its start, after a failure a retry can cure: the connection broke, the
   * server or a proxy answered 5xx, or the server said the part arrived cut off (`UPLOAD_INTERRUPTED`). Never after an
   * answer that the request itself is wrong (too large, storage full, upload gone). Default 3; 0 sends each part once;
   * at most 10.
   */
  partRetries?: number;
  /** Wait before the first retry of a part, in milliseconds, doubled before each next one up to 30 s (default 500). */
  partRetryDelayMs?: number;
  /** Called before a part is sent again: its number, which retry this is (1, 2, ...), and what failed. */
  onRetry?: (retry: PartRetry) => void;
}

/** What `onRetry` is told before a part is sent again. */
export interface PartRetry {
  part: number;
  retry: number;
  error: OncelinkError;
}

const DEFAULT_PART_RETRIES = 3;
const MAX_PART_RETRIES = 10;
/** The longest pause between two tries of a part. */
const MAX_PART_RETRY_DELAY_MS = 30_000;
const DEFAULT_PART_RETRY_DELAY_MS = 500;

/** The file is over the server's limit (MAX_FILE_BYTES); nothing of it was kept. */
export class FileTooLargeError extends OncelinkError {
  override name = "FileTooLargeError";
  readonly maxBytes: number;

  constructor(maxBytes: number) {
    super(`The file is larger than this server accepts (at most ${maxBytes} bytes). Nothing was kept.`);
    this.maxBytes = maxBytes;
  }
}

/** A file link as `createFileLink` returns it: the links, plus what the sender may pass on to check the file. */
export interface CreatedFileLink extends CreatedLink {
  /** Exact size and SHA-256 (lowercase hex) of the file's bytes: the recipient's client shows the same on arrival. */
  file: { size: number; sha256: string };
}

interface UploadTicket {
  upload: string;
  partBytes: number;
  maxFileBytes: number;
  maxStreamBytes: number;
}

/**
 * Encrypts a file as a stream here (docs/formats.md, "Client file stream v1") and uploads it in parts
 * (docs/protocol.md, "Files"), then finishes the upload into a one-time link. Memory stays at about one part
 * (`part_bytes`, 4 MiB) whatever the file's size. The key is made here and only ever put in the returned URL's fragment.
 * A part whose sending fails in a way a retry can cure is sent again (`partRetries`, with a growing pause); when its
 * tries run out, `FileUploadFailedError`. On any failure the upload is cancelled, so the server keeps nothing.
 * @example
 * const link = await createFileLink({ server, source: file.stream(), name: file.name, type: file.type, size: file.size });
 */
export async function createFileLink(opts: CreateFileLinkOptions): Promise<CreatedFileLink> {
  const server = normalizeServerUrl(opts.server);
  if (server === null) throw new OncelinkError("The server address must be an http:// or https:// URL.");
  if (opts.ttl !== undefined && (!Number.isInteger(opts.ttl) || opts.ttl <= 0)) {
    throw new OncelinkError("The lifetime must be a positive whole number of seconds.");
  }
  if (opts.passphrase === "") throw new OncelinkError("The passphrase is empty.");
  if (opts.partRetries !== undefined && (!Number.isSafeInteger(opts.partRetries) || opts.partRetries < 0 || opts.partRetries > MAX_PART_RETRIES)) {
    throw new OncelinkError(`partRetries must be a whole number from 0 to ${MAX_PART_RETRIES}.`);
  }
  if (opts.partRetryDelayMs !== undefined && !(opts.partRetryDelayMs >= 0 && opts.partRetryDelayMs <= 60_000)) {
    throw new OncelinkError("partRetryDelayMs must be between 0 and 60000.");
  }
  checkPolicyLists(opts);
  const fetchFn = resolveFetch(opts);
  const key = generateLinkKey();
  if (!isSecretShape(key)) throw new Error("client layer produced a key that does not fit in a link");
  const salt = opts.passphrase === undefined ? null : newPassphraseSalt();
  const secrets = opts.passphrase === undefined || salt === null ? null : await derivePassphrase(opts.passphrase, salt);

  const ticket = await startUpload(fetchFn, server);
  const base = `${server}/api/v1/files/${ticket.upload}`;
  try {
    if (opts.size !== undefined && opts.size > ticket.maxFileBytes) throw new FileTooLargeError(ticket.maxFileBytes);
    const meta: { name?: string; type?: string } = {};
    if (opts.name !== undefined) meta.name = opts.name;
    if (opts.type !== undefined) meta.type = opts.type;
    // With a passphrase fallback, the passkey alone must be able to decrypt: the passphrase stays out of the key.
    const keyExtra = passphraseFallback(opts, secrets !== null) ? undefined : secrets?.keyExtra;
    const enc = createFileEncryptStream(key, meta, keyExtra ? { extra: keyExtra } : {});
    secrets?.keyExtra.fill(0);
    const feeding = pump(opts.source, enc.writable);
    feeding.catch(() => undefined);
    await uploadParts(fetchFn, base, enc.readable, ticket, opts);
    await feeding;
    const summary = await enc.done;

    const body = linkOptionsBody(opts, secrets !== null && salt !== null ? { salt, proof: secrets.proof } : null);
    const answer = await readJsonObject(await sendApiRequest(fetchFn, `${base}/finish`, jsonInit("POST", body)), "finish");
    return { ...createdLink(answer, key, "finish"), file: { size: summary.size, sha256: summary.sha256 } };
  } catch (error) {
    // Best effort: an upload left behind is swept by the server when it expires anyway.
    await fetchFn(base, { method: "DELETE", redirect: "manual" }).then((r) => r.arrayBuffer()).catch(() => undefined);
    throw error;
  }
}

async function startUpload(fetchFn: FetchFunction, server: string): Promise<UploadTicket> {
  const answer = await readJsonObject(await sendApiRequest(fetchFn, `${server}/api/v1/files`, jsonInit("POST", {})), "upload start");
  const { upload, part_bytes: partBytes, max_file_bytes: maxFileBytes, max_stream_bytes: maxStreamBytes } = answer;
  if (
    typeof upload !== "string" ||
    !isSecretShape(upload) ||
    !Number.isSafeInteger(partBytes) ||
    (partBytes as number) <= 0 ||
    !Number.isSafeInteger(maxFileBytes) ||
    !Number.isSafeInteger(maxStreamBytes)
  ) {
    throw unexpectedAnswer("upload start");
  }
  return { upload, partBytes: partBytes as number, maxFileBytes: maxFileBytes as number, maxStreamBytes: maxStreamBytes as number };
}

/**
 * Whether sending the part again may succeed where this try failed: no answer (the connection broke), a 5xx (the
 * server or a proxy in front of it failed), or the server's own word that the part arrived cut off. Any other 4xx
 * says the request itself is wrong (too large, storage full, upload gone or taken over): sending it again cannot help.
 */
function curableByRetry(error: unknown): error is OncelinkError {
  if (error instanceof ServerUnreachableError) return true;
  return error instanceof OncelinkApiError && (error.status >= 500 || error.code === "UPLOAD_INTERRUPTED");
}

/**
 * Reads the encrypted stream into parts of `partBytes` and sends them one after the other, all from one buffer: each
 * chunk of the stream is copied in and released at once (releaseBuffer), so a file of any size leaves nothing behind
 * for the garbage collector but what fetch itself allocates. A part that fails is sent again from the same buffer,
 * from its start (the server undoes what it had of it, and a try still running there is superseded).
 */
async function uploadParts(
  fetchFn: FetchFunction,
  base: string,
  stream: ReadableStream<Uint8Array>,
  ticket: UploadTicket,
  opts: Pick<CreateFileLinkOptions, "onProgress" | "streamParts" | "partRetries" | "partRetryDelayMs" | "onRetry">,
): Promise<void> {
  const reader = stream.getReader();
  const retries = opts.partRetries ?? DEFAULT_PART_RETRIES;
  const delayMs = opts.partRetryDelayMs ?? DEFAULT_PART_RETRY_DELAY_MS;
  let part = 0;
  let sent = 0;
  const buffer = new Uint8Array(ticket.partBytes);
  let filled = 0;
  const request = (bytes: Uint8Array<ArrayBuffer>): RequestInit => {
    const headers = { "content-type": "application/octet-stream", accept: "application/json" };
    return opts.streamParts === true
      ? ({
          method: "PUT",
          headers: { ...headers, "content-length": String(bytes.length) },
          // A new stream for every try: each one sends the part from its first byte.
          body: new ReadableStream<Uint8Array>({
            start(controller) {
              controller.enqueue(bytes);
              controller.close();
            },
          }),
          // What fetch asks of a request stream (sent as it is read, the response read after).
          duplex: "half",
        } as RequestInit)
      : { method: "PUT", headers, body: bytes };
  };
  const sendOnce = async (url: string, bytes: Uint8Array<ArrayBuffer>): Promise<void> => {
    const response = await sendApiRequest(fetchFn, url, request(bytes));
    try {
      // Answered: the server has read the whole part, so the buffer is free for the next one.
      await response.arrayBuffer();
    } catch (error) {
      // The answer broke off: the part may or may not be stored. A retry finds out (see below).
      throw unreachable(url, error);
    }
  };
  const send = async (bytes: Uint8Array<ArrayBuffer>) => {
    if (sent + bytes.length > ticket.maxStreamBytes) throw new FileTooLargeError(ticket.maxFileBytes);
    const url = `${base}/parts/${part}`;
    for (let retry = 0; ; retry++) {
      try {
        await sendOnce(url, bytes);
        break;
      } catch (error) {
        // A try before this one was stored after all, and only its answer was lost: the part is in.
        if (retry > 0 && error instanceof UploadPartOutOfOrderError && error.nextPart === part + 1) break;
        if (!curableByRetry(error)) throw error;
        if (retry >= retries) throw new FileUploadFailedError(retry + 1, error);
        opts.onRetry?.({ part, retry: retry + 1, error });
        await new Promise((resolve) => setTimeout(resolve, Math.min(delayMs * 2 ** retry, MAX_PART_RETRY_DELAY_MS)));
      }
    }
    part++;
    sent += bytes.length;
    opts.onProgress?.(sent);
  };
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    let at = 0;
    while (at < value.length) {
      const take = Math.min(value.length - at, buffer.length - filled);
      buffer.set(value.subarray(at, at + take), filled);
      filled += take;
      at += take;
      if (filled === buffer.length) {
        await send(buffer);
        filled = 0;
      }
    }
    releaseBuffer(value);
  }
  if (filled > 0) await send(buffer.subarray(0, filled));
}
