// The messages between openThreadedSqliteStore and its writer thread (sqlite-writer-worker.ts).
import type { GroupCommitStats } from "./group-commit.js";

/** The store methods the writer thread runs: every write. Reads stay on the calling thread's own connection. */
export const WRITER_METHODS = [
  "createLink",
  "redeemChallenge",
  "consume",
  "recordEvent",
  "failAttempt",
  "revoke",
  "expire",
  "purgeExpired",
  "updateWrappedKeys",
  "createUpload",
  "beginPart",
  "appendChunk",
  "endPart",
  "abortPart",
  "cancelUploadFromPart",
  "finishUpload",
  "dropChunks",
  "leaseFile",
  "deleteFile",
  "cancelUpload",
  "issueEnrolment",
  "completeEnrolment",
  "updatePasskeyCounter",
  "removeHandle",
] as const;
export type WriterMethod = (typeof WRITER_METHODS)[number];

/** Byte views at least this long cross to the writer through a shared slot when one is free (file chunks). */
export const SHARED_MIN_BYTES = 64 * 1024;
/** Room of one shared slot: a sealed 1 MiB chunk (and a 1 MiB secret's sealed envelope) fits. */
export const SHARED_SLOT_BYTES = 1024 * 1024 + 64 * 1024;
/** Shared slots: one per file part being stored at the same moment; more wait for nothing, they are copied instead. */
export const SHARED_SLOTS = 4;

/** What stands in a message for bytes written into slot `sharedSlot` of the shared buffer. */
export interface SharedBytes {
  sharedSlot: number;
  byteLength: number;
}

/** What the writer thread is started with. */
export interface WriterData {
  file: string;
  maxBatch: number;
  /** SHARED_SLOTS slots of SHARED_SLOT_BYTES: large arguments are copied here instead of into the message. */
  shared: SharedArrayBuffer;
}

/** An error as it crosses the thread boundary (structured clone keeps neither the class nor `code`). */
export interface ErrorInfo {
  name: string;
  message: string;
  code?: string;
}

export type ToWriter = { calls: Array<[seq: number, method: WriterMethod, args: unknown[]]> } | { close: true };

export type FromWriter =
  | { ready: true }
  | {
      results: Array<[seq: number, ok: true, value: unknown] | [seq: number, ok: false, error: ErrorInfo]>;
      stats: GroupCommitStats;
      /** Set once the writer's store refuses every write (its WAL sync failed): the caller's side fails too. */
      failure?: ErrorInfo;
    }
  | { closed: true };

export function errorInfo(error: unknown): ErrorInfo {
  if (!(error instanceof Error)) return { name: "Error", message: String(error) };
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? { name: error.name, message: error.message, code } : { name: error.name, message: error.message };
}

export function toError(info: ErrorInfo): Error {
  const error = new Error(info.message);
  error.name = info.name;
  if (info.code !== undefined) Object.assign(error, { code: info.code });
  return error;
}

/**
 * The value with every byte view copied to a buffer of its own size where it is a window on a larger one: structured
 * clone copies a view's whole underlying buffer, and Node hands out small Buffers (hashes, sealed bytes) as slices of
 * an 8 KiB pool, or a stored chunk as a 1 MiB window on a larger buffer. Walks arrays and plain objects (call
 * arguments: a NewLink, re-wrapped keys) a few levels deep. The copies made here are this message's own: when
 * `transfer` is given they are added to it, so postMessage moves them instead of copying them a second time. When
 * `share` is given, it may place a large view in shared memory instead (see SharedBytes). Either way each byte
 * crosses the thread boundary with exactly one copy, and the caller's buffers are never detached.
 */
export function transferable(
  value: unknown,
  transfer?: ArrayBuffer[],
  share?: (view: ArrayBufferView) => SharedBytes | null,
  depth = 0,
): unknown {
  if (ArrayBuffer.isView(value)) {
    const placed = share?.(value) ?? null;
    if (placed !== null) return placed;
    if (value.byteOffset === 0 && value.byteLength === value.buffer.byteLength) return value;
    const own = new Uint8Array(value.byteLength);
    own.set(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
    transfer?.push(own.buffer);
    return own;
  }
  if (depth > 3 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((item) => transferable(item, transfer, share, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = transferable(item, transfer, share, depth + 1);
  return out;
}

const isShared = (value: object): value is SharedBytes =>
  typeof (value as SharedBytes).sharedSlot === "number" && typeof (value as SharedBytes).byteLength === "number" && Object.keys(value).length === 2;

/**
 * On the writer thread: the arguments with every SharedBytes replaced by a Buffer over its slot (no copy; the slot is
 * not reused before this call's answer reaches the caller's thread).
 */
export function fromShared(value: unknown, shared: SharedArrayBuffer, depth = 0): unknown {
  if (depth > 4 || value === null || typeof value !== "object" || ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value)) return value.map((item) => fromShared(item, shared, depth + 1));
  if (isShared(value)) {
    if (value.sharedSlot < 0 || value.sharedSlot >= SHARED_SLOTS || value.byteLength > SHARED_SLOT_BYTES) throw new Error("bad shared slot");
    return Buffer.from(shared, value.sharedSlot * SHARED_SLOT_BYTES, value.byteLength);
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = fromShared(item, shared, depth + 1);
  return out;
}
