import { createHash } from "node:crypto";
import type { ContentKind, LinkMeta, LinkState } from "../core/link.js";
import type { LinkEvent, PartWriteResult, UploadState } from "./link-store.js";

/** Views any Uint8Array as a Buffer without copying it, for the database drivers' binary parameters. */
export function blob(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * The hash chain of a link's event log, shared by every adapter: SHA-256(previous chain or 32 zero bytes || seq ||
 * kind || at). Each entry vouches for every one before it.
 */
export function eventChain(previous: Buffer | null, seq: number, event: LinkEvent): Buffer {
  return createHash("sha256")
    .update(previous ?? Buffer.alloc(32))
    .update(`${seq}\n${event.kind}\n${event.at}`)
    .digest();
}

/** A `links` row as both adapters select it for `getLinkMeta`. */
export interface MetaRow {
  state: LinkState;
  created_at: number;
  expires_at: number;
  ended_at: number | null;
  manage_hash: Buffer;
  kind: ContentKind;
  policy: string;
}

/** The store-independent view of a `links` row. */
export function toLinkMeta(row: MetaRow): LinkMeta {
  return {
    state: row.state,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    endedAt: row.ended_at,
    manageHash: row.manage_hash,
    kind: row.kind,
    policy: row.policy,
  };
}

/** Above every chunk sequence number (chunk numbers are 32-bit integers in both schemas). */
export const ALL_CHUNKS = 2_147_483_647;

/** Chunks removed per write: each is short, so other writers (consumes) never wait long behind a big file. */
export const CHUNK_DELETE_BATCH = 16;

/** A `files` row of an unfinished upload, as both adapters select it. */
export interface UploadRow {
  fileId: Buffer;
  keyVersion: number;
  wrappedKey: Buffer;
  nextPart: number;
  nextSeq: number;
  storedBytes: number;
  partLease: number | null;
  /** The number of the latest attempt at a part (see PartAttempt). */
  partAttempt: number;
  expiresAt: number;
}

/** The UploadState of an upload row at `now` (busy while a part holds its lease). */
export function uploadState(row: UploadRow, now: number): UploadState {
  return {
    fileId: row.fileId,
    keyVersion: row.keyVersion,
    wrappedKey: row.wrappedKey,
    nextPart: row.nextPart,
    nextSeq: row.nextSeq,
    storedBytes: row.storedBytes,
    busy: row.partLease !== null && row.partLease > now,
    expiresAt: row.expiresAt,
  };
}

/** What a part write reads of its upload's row (both adapters), to tell whether its attempt still holds the part. */
export interface PartHolderRow {
  attempt: number;
  /** A part is in progress (its lease is set, expired or not): false once it ended, was aborted, or the upload closed. */
  held: number | boolean;
  nextSeq: number;
  expiresAt: number;
}

/**
 * Whether `attempt` may still write its part, from the upload's row (undefined when the file is gone or is a link
 * now): "unavailable" for no upload, or one closed by a cancel (expires_at 0); "superseded" when a later attempt
 * took the part or the part is no longer in progress.
 */
export function partStanding(row: PartHolderRow | undefined, attempt: number): PartWriteResult {
  if (row === undefined || row.expiresAt === 0) return "unavailable";
  return Number(row.attempt) === attempt && Boolean(row.held) ? "ok" : "superseded";
}
