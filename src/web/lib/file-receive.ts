// Receiving a file link's content on the recipient's page: decrypted as a stream and written either straight into
// a file the person chose (File System Access API, where the browser has it) or into a Blob that is offered for
// download once the whole file checked out. Either way the page holds only a few pieces of the file at a time.
//
// Why no service worker for the download fallback: the page's Trusted Types policy ('none') refuses a string URL in
// navigator.serviceWorker.register(), so one would need a named policy, i.e. a weaker CSP; the worker would outlive
// the page and sit in front of every request of its scope on later visits; and a streamed download is written to
// the person's Downloads folder before the last chunk proves the file whole. The Blob is checked before it is
// offered, never needs more than a few MiB of the page's memory (Chromium keeps large Blobs in its blob store and
// moves them to a temporary file in the browser profile beyond its memory quota), and is dropped with the page.
import type { OpenedFile } from "../../client/index.js";
import type { FileStreamSummary } from "../../crypto/file-stream.js";

/** A file the person chose to save into, opened for writing before anything was spent. */
export interface SaveTarget {
  handle: FileSystemFileHandle;
  writable: FileSystemWritableFileStream;
}

interface SaveFilePickerWindow {
  showSaveFilePicker?: (options?: { suggestedName?: string }) => Promise<FileSystemFileHandle>;
}

/** Whether this browser can save straight into a file the person picks (Chromium-based browsers, on https). */
export function canPickSaveLocation(): boolean {
  return typeof (window as unknown as SaveFilePickerWindow).showSaveFilePicker === "function";
}

/**
 * Asks where to save the file and opens it for writing. Must run inside the click (the picker needs a user gesture).
 * "cancelled": the person closed the picker (open nothing); null: the API failed otherwise (use the Blob fallback).
 * Writing goes to a temporary file next to the chosen one, which replaces it only on `close()`.
 */
export async function pickSaveLocation(suggestedName: string): Promise<SaveTarget | "cancelled" | null> {
  const picker = (window as unknown as SaveFilePickerWindow).showSaveFilePicker;
  if (picker === undefined) return null;
  let handle: FileSystemFileHandle;
  try {
    handle = await picker.call(window, { suggestedName });
  } catch (err) {
    return err instanceof DOMException && err.name === "AbortError" ? "cancelled" : null;
  }
  try {
    return { handle, writable: await handle.createWritable() };
  } catch {
    await removeHandle(handle);
    return null;
  }
}

/**
 * Throws away a save target: the temporary file is discarded, and the chosen file (which some browsers create empty
 * at the pick) is deleted where the browser allows it. Returns true when nothing is left behind.
 */
export async function discardTarget(target: SaveTarget): Promise<boolean> {
  await target.writable.abort().catch(() => undefined);
  return removeHandle(target.handle);
}

async function removeHandle(handle: FileSystemFileHandle): Promise<boolean> {
  // FileSystemHandle.remove() is Chromium's (not in every version, nor in the standard yet).
  const remove = (handle as unknown as { remove?: () => Promise<void> }).remove;
  if (typeof remove !== "function") return false;
  try {
    await remove.call(handle);
    return true;
  } catch {
    return false;
  }
}

/** What became of a received file. */
export type ReceivedFile =
  | { ok: true; summary: FileStreamSummary; blob: Blob | null; savedAs: string | null }
  /** The stream was cut off or altered: nothing may be used. `leftBehind` names a file the browser could not delete. */
  | { ok: false; leftBehind: string | null };

/** Pieces are gathered into a Blob every this many bytes, so the page itself holds at most this much of the file. */
const BLOB_FLUSH_BYTES = 4 * 1024 * 1024;

/**
 * A sink that collects bytes into a Blob. Each flush makes a new Blob of the previous one plus the pending pieces:
 * browsers reference the earlier Blob's data rather than copy it, and keep it outside the page's heap.
 */
class BlobSink {
  blob = new Blob([]);
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;

  readonly writable = new WritableStream<Uint8Array>({
    write: (piece) => {
      this.#pending.push(piece);
      this.#pendingBytes += piece.length;
      if (this.#pendingBytes >= BLOB_FLUSH_BYTES) this.#flush();
    },
    close: () => this.#flush(),
  });

  #flush(): void {
    this.blob = new Blob([this.blob, ...(this.#pending as BlobPart[])], { type: "application/octet-stream" });
    this.#pending = [];
    this.#pendingBytes = 0;
  }
}

/**
 * Decrypts an opened file link into `target` (or a Blob without one), calling `onBytes` with the count so far.
 * Only a file whose last chunk authenticated and whose size and SHA-256 matched is kept: on any failure the target
 * is discarded (or the Blob dropped) and the result says so.
 */
export async function receiveFile(opened: OpenedFile, target: SaveTarget | null, onBytes: (bytes: number) => void): Promise<ReceivedFile> {
  let bytes = 0;
  const counter = new TransformStream<Uint8Array, Uint8Array>({
    transform(piece, controller) {
      bytes += piece.length;
      onBytes(bytes);
      controller.enqueue(piece);
    },
  });
  const blobSink = target === null ? new BlobSink() : null;
  const sink = target !== null ? target.writable : blobSink!.writable;
  let summary: FileStreamSummary | null = null;
  try {
    // The writable is closed (and the chosen file replaced) only after `done` proved the file whole.
    await opened.stream.pipeThrough(counter).pipeTo(sink, { preventClose: target !== null, preventAbort: true });
    summary = await opened.done;
  } catch {
    summary = null;
  }
  if (summary === null || summary.size !== bytes) {
    if (target === null) return { ok: false, leftBehind: null };
    return { ok: false, leftBehind: (await discardTarget(target)) ? null : target.handle.name };
  }
  if (target !== null) {
    try {
      await target.writable.close();
    } catch {
      return { ok: false, leftBehind: (await discardTarget(target)) ? null : target.handle.name };
    }
    return { ok: true, summary, blob: null, savedAs: target.handle.name };
  }
  return { ok: true, summary, blob: blobSink!.blob, savedAs: null };
}

/**
 * A whole file already in memory (a small file link made by an older client, sealed as one envelope): written to the
 * target or wrapped in a Blob, with its SHA-256 computed here. The envelope authenticated as a whole, so it is intact.
 */
export async function receiveBytes(bytes: Uint8Array, name: string | undefined, target: SaveTarget | null): Promise<ReceivedFile> {
  const copy = new Uint8Array(bytes);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", copy));
  const summary: FileStreamSummary = { size: copy.length, sha256: [...digest].map((b) => b.toString(16).padStart(2, "0")).join("") };
  if (name !== undefined) summary.name = name;
  if (target === null) return { ok: true, summary, blob: new Blob([copy], { type: "application/octet-stream" }), savedAs: null };
  try {
    await target.writable.write(copy);
    await target.writable.close();
  } catch {
    return { ok: false, leftBehind: (await discardTarget(target)) ? null : target.handle.name };
  }
  return { ok: true, summary, blob: null, savedAs: target.handle.name };
}
