import { createHash } from "node:crypto";
import type { LinkEvent } from "./link-store.js";

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
