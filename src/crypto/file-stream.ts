/**
 * The client-layer file stream, format v1 (docs/formats.md, "Client file stream v1").
 *
 * A STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár, "Online Authenticated-Encryption and its Nonce-Reuse
 * Misuse-Resistance", CRYPTO 2015; the same layout as Tink's AES-GCM-HKDF streaming AEAD): fixed-size chunks, each
 * AES-256-GCM under one key with nonce = random 7-byte prefix || 32-bit chunk counter || last-chunk flag, so a
 * reordered, dropped, duplicated, truncated or extended stream fails to authenticate. Inside the chunks, the
 * plaintext is a sequence of records: the file name and media type first, then the data, padding, and an end
 * record with the exact size and SHA-256 of the data. The writer needs to know neither in advance, and the padding
 * (Padmé) leaves the server only a coarse size bucket.
 *
 * WebCrypto and WHATWG streams only: the same module runs in browsers and in Node (the CLI). Memory is bounded by
 * the chunk size whatever the file size.
 */
import type { IHasher } from "hash-wasm";
import { fromBase64Url } from "../core/base64url.js";
import { deriveLinkSubkey, isLinkKey, type FileMeta } from "./client-layer.js";

/** Byte 0 of a file stream: tells it apart from a client envelope (whose byte 0 is its version, 0x01). */
export const FILE_STREAM_FORMAT = 0x02;
/** Byte 1: the version of the file stream format. */
export const FILE_STREAM_VERSION = 0x01;
/** Format, version, chunk size (u32) and nonce prefix. */
export const FILE_STREAM_HEADER_BYTES = 13;
/** Plaintext bytes per chunk written by this module. */
export const DEFAULT_CHUNK_BYTES = 64 * 1024;
/** Chunk sizes a reader accepts: the upper bound caps a reader's memory whatever the stream claims. */
export const MIN_CHUNK_BYTES = 256;
export const MAX_CHUNK_BYTES = 1024 * 1024;
/** The plaintext of every stream is padded to at least this many bytes (a small file looks like any other). */
export const MIN_PADDED_BYTES = 4096;

const PREFIX_BYTES = 7;
const TAG_BYTES = 16;
const RECORD_META = 0x4d; // "M"
const RECORD_DATA = 0x44; // "D"
const RECORD_PAD = 0x50; // "P"
const RECORD_END = 0x45; // "E"
const META_HEADER_BYTES = 3; // type, u16 length
const RECORD_HEADER_BYTES = 5; // type, u32 length (data and padding)
const END_RECORD_BYTES = 1 + 8 + 32; // type, u64 size, SHA-256
const MAX_META_BYTES = 0xffff;
const MAX_CHUNKS = 2 ** 32;
const HKDF_INFO = new TextEncoder().encode("file-stream");

/** Why a stream could not be opened. Every reason means: do not use any of the output. */
export type FileStreamFailure =
  /** Not a file stream of a version this reader knows, or a chunk size outside the accepted range. */
  | "header"
  /** A chunk failed to authenticate: wrong key (or passphrase), a modified, reordered or cut-off chunk. */
  | "authentication"
  /** The stream stopped before its final chunk (cut at a chunk boundary). */
  | "truncated"
  /** Bytes follow the final chunk. */
  | "trailing-data"
  /** Authenticated, but the records inside are not what a writer of this format produces. */
  | "format"
  /** The end record's size or SHA-256 does not match the data (only a broken writer can cause this). */
  | "mismatch";

/** A stream that is not a valid file stream for this key. */
export class FileStreamError extends Error {
  override name = "FileStreamError";
  readonly reason: FileStreamFailure;

  constructor(reason: FileStreamFailure) {
    super(FAILURE_MESSAGES[reason]);
    this.reason = reason;
  }
}

const FAILURE_MESSAGES: Record<FileStreamFailure, string> = {
  header: "This is not an oncelink file stream this client can read.",
  authentication: "The file could not be decrypted: the key is wrong, or the data was altered or cut off.",
  truncated: "The file was cut off before its end.",
  "trailing-data": "Unexpected data follows the end of the file.",
  format: "The decrypted file is malformed.",
  mismatch: "The file's size or checksum does not match what the sender recorded.",
};

/** What a writer or reader knows once the whole stream went through. */
export interface FileStreamSummary {
  name?: string;
  type?: string;
  /** Exact size of the file's data in bytes. */
  size: number;
  /** SHA-256 of the file's data, lowercase hex. */
  sha256: string;
}

/** Options of both directions. */
export interface FileStreamOptions {
  /** The passphrase-derived key input of a passphrase link (see `deriveContentKey`); none otherwise. */
  extra?: Uint8Array;
}

/** The writable side takes the file's bytes; the readable side gives the stream to upload. */
export interface FileEncryptStream {
  readonly writable: WritableStream<Uint8Array>;
  readonly readable: ReadableStream<Uint8Array>;
  /** Resolves once the final chunk was emitted; rejects if the stream failed. */
  readonly done: Promise<FileStreamSummary>;
}

/** The writable side takes the stream; the readable side gives the file's bytes, verified chunk by chunk. */
export interface FileDecryptStream {
  readonly writable: WritableStream<Uint8Array>;
  readonly readable: ReadableStream<Uint8Array>;
  /** Resolves with the name and type as soon as the first record is authenticated, before any data comes out. */
  readonly meta: Promise<FileMeta>;
  /**
   * Resolves once the final chunk authenticated and the size and SHA-256 matched; rejects with a FileStreamError
   * otherwise. Data already read from `readable` must be discarded unless this resolves.
   */
  readonly done: Promise<FileStreamSummary>;
}

/**
 * Padmé (Nikitin et al., "Reducing Metadata Leakage from Encrypted Files and Communication with PURBs", PETS 2019):
 * rounds `length` up so that only O(log log length) bits of it remain, at most ~12% more bytes.
 * @example padme(1_000_000) // 1_015_808
 */
export function padme(length: number): number {
  if (length < 2) return length;
  const e = Math.floor(Math.log2(length));
  const s = Math.floor(Math.log2(e)) + 1;
  const unit = 2 ** (e - s);
  return Math.ceil(length / unit) * unit;
}

/** Length of the record plaintext before padding: meta, data records of `chunk` bytes, one empty pad record, end. */
function unpaddedRecordBytes(size: number, metaBytes: number, chunk: number): number {
  return META_HEADER_BYTES + metaBytes + size + RECORD_HEADER_BYTES * Math.ceil(size / chunk) + RECORD_HEADER_BYTES + END_RECORD_BYTES;
}

/** The padded record plaintext length: what the chunk count and so the stream length depend on. */
function paddedRecordBytes(unpadded: number): number {
  return Math.max(MIN_PADDED_BYTES, padme(unpadded));
}

function streamBytes(recordBytes: number, chunk: number): number {
  return FILE_STREAM_HEADER_BYTES + recordBytes + TAG_BYTES * Math.ceil(recordBytes / chunk);
}

/**
 * Exact length of the stream this module writes for a file of `size` bytes with `meta` (what the upload sends and
 * the server stores). It depends on the size only through the padding bucket.
 * @example fileStreamLength(0, {}) // 4125: every file up to ~4 KiB gives the same length
 */
export function fileStreamLength(size: number, meta: FileMeta = {}, chunk = DEFAULT_CHUNK_BYTES): number {
  const metaBytes = encodeMeta(meta).length;
  return streamBytes(paddedRecordBytes(unpaddedRecordBytes(size, metaBytes, chunk)), chunk);
}

/** Name and type bytes a server's size limit allows for (a longer name still works, below the limit). */
export const META_ALLOWANCE_BYTES = 4096;

/**
 * The longest stream this module writes for a file of at most `size` bytes whose name and type take at most
 * META_ALLOWANCE_BYTES: a server refuses uploads beyond it (a file over its limit cannot hide in the padding of a
 * smaller one by much).
 * @example fileStreamMaxLength(1024 ** 3) // 1 GiB plus padding and chunk tags
 */
export function fileStreamMaxLength(size: number, chunk = DEFAULT_CHUNK_BYTES): number {
  return streamBytes(paddedRecordBytes(unpaddedRecordBytes(size, META_ALLOWANCE_BYTES, chunk)), chunk);
}

/**
 * Encrypts a file as a stream. Write the file's bytes to `writable` (any piece sizes) and close it; read the
 * ciphertext from `readable`. `meta.name` and `meta.type` are sealed inside, never visible beside it. A piece written
 * is copied before its write resolves (the writer may then reuse its array), and each chunk read is a fresh array that
 * is the reader's alone (it may release it: see releaseBuffer).
 * @example
 * const enc = createFileEncryptStream(linkKey, { name: file.name, type: file.type });
 * const upload = file.stream().pipeThrough(enc);
 */
export function createFileEncryptStream(
  linkKey: string,
  meta: FileMeta,
  opts: FileStreamOptions & { chunkSize?: number } = {},
): FileEncryptStream {
  const chunk = opts.chunkSize ?? DEFAULT_CHUNK_BYTES;
  if (!Number.isInteger(chunk) || chunk < MIN_CHUNK_BYTES || chunk > MAX_CHUNK_BYTES) throw new RangeError("chunk size out of range");
  const metaBytes = encodeMeta(meta);
  const keyBytes = linkKeyBytes(linkKey);
  if (keyBytes === null) throw new TypeError("not a link key (expected 22 base64url characters)");
  const header = new Uint8Array(FILE_STREAM_HEADER_BYTES);
  header[0] = FILE_STREAM_FORMAT;
  header[1] = FILE_STREAM_VERSION;
  new DataView(header.buffer).setUint32(2, chunk);
  header.set(crypto.getRandomValues(new Uint8Array(PREFIX_BYTES)), 6);

  let key: CryptoKey;
  let hasher: IHasher;
  let counter = 0;
  let size = 0;
  let recordBytes = 0;
  // Two buffers, reused for the whole stream: the data of the record being gathered, and the plaintext of the chunk
  // being filled. WebCrypto copies what it encrypts when called, so the chunk buffer is free again at once: a chunk
  // costs no allocation but the ciphertext it becomes.
  const pending = new Uint8Array(chunk);
  let pendingBytes = 0;
  const plain = new Uint8Array(chunk);
  let plainBytes = 0;
  let resolveDone!: (summary: FileStreamSummary) => void;
  let rejectDone!: (error: unknown) => void;
  const done = new Promise<FileStreamSummary>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  done.catch(() => undefined);

  const seal = async (bytes: Uint8Array<ArrayBuffer>, last: boolean): Promise<Uint8Array> => {
    if (counter >= MAX_CHUNKS) throw new RangeError("file too large for one stream");
    const sealed = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv: nonce(header, counter, last), additionalData: header, tagLength: 128 },
      key,
      bytes,
    );
    counter++;
    return new Uint8Array(sealed);
  };
  // Appends record bytes to the chunk being filled. A full chunk goes out as soon as one more byte exists after it:
  // only then is it known not to be the last.
  const put = async (bytes: Uint8Array, controller: TransformStreamDefaultController<Uint8Array>) => {
    recordBytes += bytes.length;
    for (let at = 0; at < bytes.length; ) {
      if (plainBytes === chunk) {
        controller.enqueue(await seal(plain, false));
        plainBytes = 0;
      }
      const take = Math.min(bytes.length - at, chunk - plainBytes);
      plain.set(bytes.subarray(at, at + take), plainBytes);
      plainBytes += take;
      at += take;
    }
  };
  const putData = async (length: number, controller: TransformStreamDefaultController<Uint8Array>) => {
    await put(recordHeader(RECORD_DATA, length), controller);
    await put(pending.subarray(0, length), controller);
  };

  const transform = new TransformStream<Uint8Array, Uint8Array>({
    async start(controller) {
      try {
        [key, hasher] = await Promise.all([deriveLinkSubkey(keyBytes, opts.extra, HKDF_INFO), newSha256()]);
        keyBytes.fill(0);
        hasher.init();
        controller.enqueue(header.slice());
        const metaRecord = new Uint8Array(META_HEADER_BYTES + metaBytes.length);
        metaRecord[0] = RECORD_META;
        metaRecord[1] = metaBytes.length >>> 8;
        metaRecord[2] = metaBytes.length & 0xff;
        metaRecord.set(metaBytes, META_HEADER_BYTES);
        await put(metaRecord, controller);
      } catch (error) {
        rejectDone(error);
        throw error;
      }
    },
    async transform(piece, controller) {
      try {
        if (!(piece instanceof Uint8Array)) throw new TypeError("write Uint8Array pieces");
        hasher.update(piece);
        size += piece.length;
        // Data records of exactly one chunk's worth: their count, and so the padding, depends only on the size.
        // Every byte of `piece` is copied before this returns, so the writer may reuse its array afterwards.
        for (let at = 0; at < piece.length; ) {
          const take = Math.min(piece.length - at, chunk - pendingBytes);
          pending.set(piece.subarray(at, at + take), pendingBytes);
          pendingBytes += take;
          at += take;
          if (pendingBytes === chunk) {
            await putData(chunk, controller);
            pendingBytes = 0;
          }
        }
      } catch (error) {
        rejectDone(error);
        throw error;
      }
    },
    async flush(controller) {
      try {
        if (pendingBytes > 0) await putData(pendingBytes, controller);
        const unpadded = recordBytes + RECORD_HEADER_BYTES + END_RECORD_BYTES;
        const padding = paddedRecordBytes(unpadded) - unpadded;
        await put(recordHeader(RECORD_PAD, padding), controller);
        // Up to ~12% of the file: sealed as it is made, never held whole.
        const zeros = new Uint8Array(Math.min(padding, chunk));
        for (let left = padding; left > 0; left -= Math.min(left, chunk)) await put(zeros.subarray(0, Math.min(left, chunk)), controller);
        const sha = hasher.digest("binary");
        const end = new Uint8Array(END_RECORD_BYTES);
        end[0] = RECORD_END;
        new DataView(end.buffer).setBigUint64(1, BigInt(size));
        end.set(sha, 9);
        await put(end, controller);
        controller.enqueue(await seal(plain.subarray(0, plainBytes), true));
        const summary: FileStreamSummary = { ...meta, size, sha256: toHex(sha) };
        resolveDone(pickSummary(summary));
      } catch (error) {
        rejectDone(error);
        throw error;
      }
    },
  });
  return { writable: transform.writable, readable: transform.readable, done };
}

/**
 * Decrypts a file stream. Write the stream's bytes to `writable`; read the file's bytes from `readable`. Each chunk
 * is authenticated before any of its bytes come out, but only `done` says the file is whole: on a rejection, discard
 * what was written (a temp file, a partial download). A piece written is copied before its write resolves (the writer
 * may then reuse or release its array). What is read are views of fresh plaintext chunks, the reader's alone: the
 * views of one chunk come one after the other, so a chunk may be released once a view of another one is read.
 * @example
 * const dec = createFileDecryptStream(linkKey);
 * void response.body.pipeTo(dec.writable).catch(() => undefined);
 * const { name } = await dec.meta; await dec.readable.pipeTo(sink); const { sha256 } = await dec.done;
 */
export function createFileDecryptStream(linkKey: string, opts: FileStreamOptions = {}): FileDecryptStream {
  const keyBytes = linkKeyBytes(linkKey);
  const keyPromise = keyBytes === null ? null : deriveLinkSubkey(keyBytes, opts.extra, HKDF_INFO);
  keyPromise?.catch(() => undefined);
  let key: CryptoKey;
  let hasher: IHasher;
  let header: Uint8Array<ArrayBuffer> | null = null;
  let chunk = 0;
  let counter = 0;
  // The header, then each sealed chunk, gather in buffers reused for the whole stream (WebCrypto copies what it
  // decrypts when called): nothing is allocated per chunk but its plaintext.
  const headerBytes = new Uint8Array(FILE_STREAM_HEADER_BYTES);
  let headerFill = 0;
  let sealed = new Uint8Array(0);
  let sealedFill = 0;
  const records = new RecordParser();

  let resolveMeta!: (meta: FileMeta) => void;
  let rejectMeta!: (error: unknown) => void;
  const meta = new Promise<FileMeta>((resolve, reject) => {
    resolveMeta = resolve;
    rejectMeta = reject;
  });
  let resolveDone!: (summary: FileStreamSummary) => void;
  let rejectDone!: (error: unknown) => void;
  const done = new Promise<FileStreamSummary>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  meta.catch(() => undefined);
  done.catch(() => undefined);
  const fail = (error: unknown): never => {
    const failure = error instanceof FileStreamError ? error : new FileStreamError("authentication");
    rejectMeta(failure);
    rejectDone(failure);
    throw failure;
  };

  const open = async (bytes: Uint8Array<ArrayBuffer>, last: boolean): Promise<Uint8Array | null> => {
    try {
      return new Uint8Array(
        await crypto.subtle.decrypt({ name: "AES-GCM", iv: nonce(header!, counter, last), additionalData: header!, tagLength: 128 }, key, bytes),
      );
    } catch {
      return null;
    }
  };
  const emit = (plainChunk: Uint8Array, controller: TransformStreamDefaultController<Uint8Array>, last: boolean) => {
    records.feed(plainChunk, {
      meta: resolveMeta,
      data: (bytes) => {
        hasher.update(bytes);
        controller.enqueue(bytes);
      },
    });
    if (last) records.finish();
    counter++;
  };

  const transformer: Transformer<Uint8Array, Uint8Array> = {
    async start() {
      try {
        if (keyPromise === null) throw new FileStreamError("authentication");
        [key, hasher] = await Promise.all([keyPromise, newSha256()]);
        keyBytes?.fill(0);
        hasher.init();
      } catch (error) {
        fail(error);
      }
    },
    async transform(piece, controller) {
      try {
        // Every byte of `piece` is copied before this returns: the writer may reuse (or release) its array afterwards.
        let at = 0;
        if (header === null) {
          const take = Math.min(piece.length, FILE_STREAM_HEADER_BYTES - headerFill);
          headerBytes.set(piece.subarray(0, take), headerFill);
          headerFill += take;
          at = take;
          if (headerFill < FILE_STREAM_HEADER_BYTES) return;
          header = headerBytes;
          chunk = new DataView(header.buffer).getUint32(2);
          if (header[0] !== FILE_STREAM_FORMAT || header[1] !== FILE_STREAM_VERSION || chunk < MIN_CHUNK_BYTES || chunk > MAX_CHUNK_BYTES) {
            throw new FileStreamError("header");
          }
          sealed = new Uint8Array(chunk + TAG_BYTES);
        }
        while (at < piece.length) {
          // A full chunk is opened as "not last" only once a byte after it has arrived.
          if (sealedFill === sealed.length) {
            if (records.ended) throw new FileStreamError("trailing-data");
            if (counter >= MAX_CHUNKS) throw new FileStreamError("format");
            const opened = await open(sealed, false);
            if (opened === null) {
              // A final chunk followed by more bytes opens as "last": say so rather than "authentication".
              throw new FileStreamError((await open(sealed, true)) !== null ? "trailing-data" : "authentication");
            }
            sealedFill = 0;
            emit(opened, controller, false);
          }
          const take = Math.min(piece.length - at, sealed.length - sealedFill);
          sealed.set(piece.subarray(at, at + take), sealedFill);
          sealedFill += take;
          at += take;
        }
      } catch (error) {
        fail(error);
      }
    },
    async flush(controller) {
      try {
        if (header === null) throw new FileStreamError(headerFill === 0 ? "truncated" : "header");
        if (sealedFill === 0) throw new FileStreamError("truncated");
        if (records.ended) throw new FileStreamError("trailing-data");
        const last = sealed.subarray(0, sealedFill);
        const opened = await open(last, true);
        if (opened === null) {
          // A whole chunk that opens as "not last": the stream was cut right after it.
          throw new FileStreamError(sealedFill === sealed.length && (await open(last, false)) !== null ? "truncated" : "authentication");
        }
        emit(opened, controller, true);
        const end = records.end!;
        const sha = hasher.digest("binary");
        if (end.size !== records.dataBytes || toHex(sha) !== end.sha256) throw new FileStreamError("mismatch");
        resolveDone(pickSummary({ ...records.meta, size: end.size, sha256: end.sha256 }));
      } catch (error) {
        fail(error);
      }
    },
  };
  // One chunk may wait on the readable side: without it, nothing is decrypted (and `meta` never settles) until the
  // caller reads, and a caller that awaits `meta` first would wait forever.
  const transform = new TransformStream<Uint8Array, Uint8Array>(transformer, undefined, { highWaterMark: 1 });
  // A source that fails (a dropped connection) aborts the writable side: the file is then cut off, and says so.
  const inner = transform.writable.getWriter();
  const writable = new WritableStream<Uint8Array>({
    write: (piece) => inner.write(piece),
    close: () => inner.close(),
    async abort(reason: unknown) {
      const failure = reason instanceof FileStreamError ? reason : new FileStreamError("truncated");
      rejectMeta(failure);
      rejectDone(failure);
      await inner.abort(failure).catch(() => undefined);
    },
  });
  return { writable, readable: transform.readable, meta, done };
}

/**
 * Encrypts a whole file held in memory: the stream of `createFileEncryptStream`, collected. For small files and tests.
 * @example const stream = await encryptFileBytes(bytes, linkKey, { name: "a.txt" });
 */
export async function encryptFileBytes(
  bytes: Uint8Array,
  linkKey: string,
  meta: FileMeta = {},
  opts: FileStreamOptions & { chunkSize?: number } = {},
): Promise<Uint8Array> {
  const enc = createFileEncryptStream(linkKey, meta, opts);
  const [out] = await Promise.all([collect(enc.readable), writeAll(enc.writable, bytes)]);
  await enc.done;
  return out;
}

/**
 * Decrypts a whole file stream held in memory; rejects with a FileStreamError for anything but an intact stream.
 * @example const { bytes, summary } = await decryptFileBytes(stream, linkKey);
 */
export async function decryptFileBytes(
  stream: Uint8Array,
  linkKey: string,
  opts: FileStreamOptions = {},
): Promise<{ bytes: Uint8Array; summary: FileStreamSummary }> {
  const dec = createFileDecryptStream(linkKey, opts);
  const [bytes] = await Promise.all([collect(dec.readable), writeAll(dec.writable, stream).catch(() => undefined)]);
  return { bytes, summary: await dec.done };
}

/** True when `bytes` starts like a file stream of this version (a cheap check; it proves nothing). */
export function isFileStreamHeader(bytes: Uint8Array): boolean {
  if (bytes.length < 2) return false;
  return bytes[0] === FILE_STREAM_FORMAT && bytes[1] === FILE_STREAM_VERSION;
}

async function writeAll(writable: WritableStream<Uint8Array>, bytes: Uint8Array): Promise<void> {
  const writer = writable.getWriter();
  // Pieces of odd sizes, so the chunking never depends on how the caller's bytes happen to be cut.
  for (let at = 0; at < bytes.length; at += 100_003) await writer.write(bytes.subarray(at, at + 100_003));
  await writer.close();
}

async function collect(readable: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  const reader = readable.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    total += value.length;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** An incremental SHA-256 (WebCrypto has none). hash-wasm is loaded on first use, so pages fetch it only for files. */
async function newSha256(): Promise<IHasher> {
  const { createSHA256 } = await import("./wasm-hashes.js");
  return createSHA256();
}

function linkKeyBytes(linkKey: string): Uint8Array | null {
  return isLinkKey(linkKey) ? fromBase64Url(linkKey) : null;
}

/** prefix(7) || u32be(counter) || last flag: 12 bytes, never repeated under one key. */
function nonce(header: Uint8Array, counter: number, last: boolean): Uint8Array<ArrayBuffer> {
  const iv = new Uint8Array(12);
  iv.set(header.subarray(6, 6 + PREFIX_BYTES));
  new DataView(iv.buffer).setUint32(PREFIX_BYTES, counter);
  iv[11] = last ? 1 : 0;
  return iv;
}

function recordHeader(type: number, length: number): Uint8Array {
  const out = new Uint8Array(RECORD_HEADER_BYTES);
  out[0] = type;
  new DataView(out.buffer).setUint32(1, length);
  return out;
}

function encodeMeta(meta: FileMeta): Uint8Array {
  const picked: FileMeta = {};
  if (meta.name !== undefined) picked.name = meta.name;
  if (meta.type !== undefined) picked.type = meta.type;
  const bytes = new TextEncoder().encode(JSON.stringify(picked));
  if (bytes.length > MAX_META_BYTES) throw new RangeError("file name and type are too long");
  return bytes;
}

function pickSummary(summary: FileStreamSummary): FileStreamSummary {
  const out: FileStreamSummary = { size: summary.size, sha256: summary.sha256 };
  if (summary.name !== undefined) out.name = summary.name;
  if (summary.type !== undefined) out.type = summary.type;
  return out;
}

function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

/** A FIFO of byte pieces (the record parser's headers): push pieces, take exactly n bytes (copied into one array). */
class ByteQueue {
  #pieces: Uint8Array[] = [];
  #head = 0;
  length = 0;

  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.#pieces.push(bytes);
    this.length += bytes.length;
  }

  take(n: number): Uint8Array<ArrayBuffer> {
    const out = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const piece = this.#pieces[0]!;
      const available = piece.length - this.#head;
      const used = Math.min(available, n - at);
      out.set(piece.subarray(this.#head, this.#head + used), at);
      at += used;
      this.#head += used;
      if (this.#head === piece.length) {
        this.#pieces.shift();
        this.#head = 0;
      }
    }
    this.length -= n;
    return out;
  }
}

/**
 * Parses the authenticated record plaintext as it arrives, chunk by chunk: meta first, then data and padding records,
 * then exactly one end record at the very end. Holds at most one record header (or the meta record) at a time.
 */
class RecordParser {
  meta: FileMeta = {};
  dataBytes = 0;
  ended = false;
  end: { size: number; sha256: string } | null = null;
  #header = new ByteQueue();
  #state: "type" | "meta-length" | "meta" | "length" | "data" | "pad" | "end" = "type";
  #type = 0;
  #left = 0;
  #seenMeta = false;

  feed(bytes: Uint8Array, on: { meta: (meta: FileMeta) => void; data: (bytes: Uint8Array) => void }): void {
    let at = 0;
    while (at < bytes.length) {
      if (this.ended) throw new FileStreamError("format");
      switch (this.#state) {
        case "type": {
          const type = bytes[at++]!;
          if (!this.#seenMeta && type !== RECORD_META) throw new FileStreamError("format");
          if (this.#seenMeta && type === RECORD_META) throw new FileStreamError("format");
          this.#type = type;
          if (type === RECORD_META) this.#need("meta-length", 2);
          else if (type === RECORD_DATA || type === RECORD_PAD) this.#need("length", 4);
          else if (type === RECORD_END) this.#need("end", END_RECORD_BYTES - 1);
          else throw new FileStreamError("format");
          break;
        }
        case "data": {
          const take = Math.min(this.#left, bytes.length - at);
          on.data(bytes.subarray(at, at + take));
          this.dataBytes += take;
          at += take;
          this.#left -= take;
          if (this.#left === 0) this.#state = "type";
          break;
        }
        case "pad": {
          const take = Math.min(this.#left, bytes.length - at);
          // One canonical form: padding is zeros.
          for (let i = at; i < at + take; i++) if (bytes[i] !== 0) throw new FileStreamError("format");
          at += take;
          this.#left -= take;
          if (this.#left === 0) this.#state = "type";
          break;
        }
        default: {
          const take = Math.min(this.#left - this.#header.length, bytes.length - at);
          this.#header.push(bytes.slice(at, at + take));
          at += take;
          if (this.#header.length === this.#left) this.#complete(on.meta);
        }
      }
    }
  }

  /** The final chunk has been fed: the stream must end exactly at the end of an end record. */
  finish(): void {
    if (!this.ended) throw new FileStreamError("format");
  }

  #need(state: "meta-length" | "meta" | "length" | "end", bytes: number): void {
    this.#state = state;
    this.#left = bytes;
  }

  #complete(onMeta: (meta: FileMeta) => void): void {
    const bytes = this.#header.take(this.#header.length);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    switch (this.#state) {
      case "meta-length": {
        const length = view.getUint16(0);
        if (length === 0) throw new FileStreamError("format");
        this.#need("meta", length);
        return;
      }
      case "meta": {
        this.meta = parseMeta(bytes);
        this.#seenMeta = true;
        this.#state = "type";
        onMeta(this.meta);
        return;
      }
      case "length": {
        this.#left = view.getUint32(0);
        this.#state = this.#type === RECORD_DATA ? "data" : "pad";
        if (this.#left === 0) this.#state = "type";
        return;
      }
      case "end": {
        const size = view.getBigUint64(0);
        if (size > BigInt(Number.MAX_SAFE_INTEGER)) throw new FileStreamError("format");
        this.end = { size: Number(size), sha256: toHex(bytes.subarray(8)) };
        this.ended = true;
        return;
      }
      default:
        throw new FileStreamError("format");
    }
  }
}

function parseMeta(bytes: Uint8Array): FileMeta {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes));
  } catch {
    throw new FileStreamError("format");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new FileStreamError("format");
  const { name, type } = value as Record<string, unknown>;
  // Unknown fields are ignored, so a later writer may add one.
  if ((name !== undefined && typeof name !== "string") || (type !== undefined && typeof type !== "string")) throw new FileStreamError("format");
  const meta: FileMeta = {};
  if (name !== undefined) meta.name = name;
  if (type !== undefined) meta.type = type;
  return meta;
}
