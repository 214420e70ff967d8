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
  "purgeExpired",
  "updateWrappedKeys",
  "issueEnrolment",
  "completeEnrolment",
  "updatePasskeyCounter",
  "removeHandle",
] as const;
export type WriterMethod = (typeof WRITER_METHODS)[number];

/** What the writer thread is started with. */
export interface WriterData {
  file: string;
  maxBatch: number;
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
  | { results: Array<[seq: number, ok: true, value: unknown] | [seq: number, ok: false, error: ErrorInfo]>; stats: GroupCommitStats }
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
 * an 8 KiB pool. Walks arrays and plain objects (call arguments: a NewLink, re-wrapped keys) a few levels deep.
 */
export function transferable(value: unknown, depth = 0): unknown {
  if (ArrayBuffer.isView(value)) {
    return value.byteOffset === 0 && value.byteLength === value.buffer.byteLength
      ? value
      : new Uint8Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
  }
  if (depth > 3 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((item) => transferable(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = transferable(item, depth + 1);
  return out;
}
