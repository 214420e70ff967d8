import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type Database from "better-sqlite3";
import type { LinkMeta } from "../core/link.js";
import type { GroupCommitStats } from "./group-commit.js";
import type {
  AppendChunkResult,
  BeginPartResult,
  ChallengeResult,
  LinkEvent,
  NewLink,
  NewUpload,
  PartAttempt,
  PartWriteResult,
  PurgeResult,
  ReleasedContent,
  UploadState,
} from "./link-store.js";
import type { PasskeyStore } from "./passkey-store.js";
import { openSqliteStore, rewrapInBatches, type SqliteLinkStore, type SqliteStoreOptions, type StaleKey, type WrappedKeyUpdate } from "./sqlite.js";
import {
  SHARED_MIN_BYTES,
  SHARED_SLOT_BYTES,
  SHARED_SLOTS,
  toError,
  transferable,
  type FromWriter,
  type SharedBytes,
  type ToWriter,
  type WriterData,
  type WriterMethod,
} from "./sqlite-writer-protocol.js";

interface Pending {
  resolve: (value: never) => void;
  reject: (error: Error) => void;
  /** Shared slots holding this call's large arguments, free again once its answer is here. */
  slots: number[] | null;
}

/** Starts the writer thread: the built .js next to this file, or, when the sources run under tsx or vitest, the .ts. */
function startWriter(data: WriterData): Worker {
  const self = import.meta.url;
  if (!self.endsWith(".ts")) return new Worker(new URL("./sqlite-writer-worker.js", self), { workerData: data });
  const entry = new URL("./sqlite-writer-worker.ts", self).href;
  // tsx's ESM loader API, found through its package.json (an eval'd worker cannot resolve a bare specifier itself).
  const manifest = createRequire(self).resolve("tsx/package.json");
  const api = pathToFileURL(join(dirname(manifest), "dist/esm/api/index.mjs")).href;
  const code = `import(${JSON.stringify(api)}).then(({ tsImport }) => tsImport(${JSON.stringify(entry)}, ${JSON.stringify(self)}))`;
  return new Worker(code, { eval: true, workerData: data });
}

/**
 * The SQLite store with its writes on a worker thread (see openThreadedSqliteStore). Reads run here, synchronously,
 * on this thread's own connection; every write is posted to the writer thread, which runs it in its group commit.
 */
class ThreadedSqliteStore implements SqliteLinkStore {
  readonly db: Database.Database;
  readonly #reader: SqliteLinkStore;
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  /** Large arguments (file chunks) are copied into these slots, where the writer reads them without a copy of its own. */
  readonly #shared: Uint8Array;
  #freeSlots: number[] = Array.from({ length: SHARED_SLOTS }, (_, i) => i);
  #outgoing: Array<[number, WriterMethod, unknown[]]> = [];
  /** Buffers copied for the outgoing message (see transferable): moved to the writer, not copied again. */
  #outgoingTransfer: ArrayBuffer[] = [];
  #seq = 0;
  #scheduled = false;
  #stats: GroupCommitStats = { commits: 0, ops: 0, failedBatches: 0, largestBatch: 0 };
  #failure: Error | null = null;
  #closing: Promise<void> | null = null;
  #onClosed: (() => void) | null = null;

  constructor(reader: SqliteLinkStore, worker: Worker, shared: SharedArrayBuffer) {
    this.#reader = reader;
    this.#shared = new Uint8Array(shared);
    this.db = reader.db;
    this.#worker = worker;
    worker.on("message", (message: FromWriter) => {
      if ("results" in message) {
        this.#stats = message.stats;
        for (const [seq, ok, value] of message.results) {
          const pending = this.#pending.get(seq);
          if (pending === undefined) continue;
          this.#pending.delete(seq);
          if (pending.slots !== null) this.#freeSlots.push(...pending.slots);
          if (ok) pending.resolve(value as never);
          else pending.reject(toError(value));
        }
        // The writer's WAL sync failed: it refuses every write from now on, so this side does too, and ping() (the
        // readiness check) reports it instead of only this thread's own connection, which never writes.
        if (message.failure !== undefined) this.#fail(toError(message.failure));
      } else if ("closed" in message) {
        this.#onClosed?.();
      }
    });
    worker.on("error", (error) => this.#fail(error));
    worker.on("exit", (code) => {
      this.#fail(new Error(`the SQLite writer thread exited (code ${code})`));
      this.#onClosed?.();
    });
  }

  /** Every write in flight fails with `error`, and so does every later one: nothing is known to be committed. */
  #fail(error: Error): void {
    this.#failure ??= error;
    for (const pending of this.#pending.values()) pending.reject(this.#failure);
    this.#pending.clear();
  }

  #call<T>(method: WriterMethod, args: unknown[]): Promise<T> {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    if (this.#closing !== null) return Promise.reject(new Error("the store is closed"));
    return new Promise<T>((resolve, reject) => {
      const seq = ++this.#seq;
      const pending: Pending = { resolve: resolve as (value: never) => void, reject, slots: null };
      this.#pending.set(seq, pending);
      const share = (view: ArrayBufferView): SharedBytes | null => {
        if (view.byteLength < SHARED_MIN_BYTES || view.byteLength > SHARED_SLOT_BYTES) return null;
        const slot = this.#freeSlots.pop();
        if (slot === undefined) return null;
        this.#shared.set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength), slot * SHARED_SLOT_BYTES);
        (pending.slots ??= []).push(slot);
        return { sharedSlot: slot, byteLength: view.byteLength };
      };
      this.#outgoing.push([seq, method, transferable(args, this.#outgoingTransfer, share) as unknown[]]);
      if (this.#scheduled) return;
      this.#scheduled = true;
      // One message per turn of the event loop: every request parsed in this turn travels together and, on the
      // writer thread, shares one transaction and one fsync.
      setImmediate(this.#post);
    });
  }

  readonly #post = (): void => {
    this.#scheduled = false;
    if (this.#failure !== null) {
      // Their promises were rejected when the failure was recorded: nothing of them is kept.
      this.#outgoing = [];
      this.#outgoingTransfer = [];
      return;
    }
    if (this.#outgoing.length === 0) return;
    const calls = this.#outgoing;
    const transfer = this.#outgoingTransfer;
    this.#outgoing = [];
    this.#outgoingTransfer = [];
    this.#worker.postMessage({ calls } satisfies ToWriter, transfer);
  };

  stats(): GroupCommitStats {
    return { ...this.#stats };
  }

  createLink(link: NewLink): Promise<void> {
    return this.#call("createLink", [link]);
  }

  getLinkMeta(idHash: Uint8Array): Promise<LinkMeta | null> {
    return this.#reader.getLinkMeta(idHash);
  }

  redeemChallenge(challengeHash: Uint8Array, challengeExpiresAt: number, linkIdHash: Uint8Array, now: number): Promise<ChallengeResult> {
    return this.#call("redeemChallenge", [challengeHash, challengeExpiresAt, linkIdHash, now]);
  }

  consume(linkIdHash: Uint8Array, now: number): Promise<ReleasedContent | null> {
    return this.#call("consume", [linkIdHash, now]);
  }

  recordEvent(idHash: Uint8Array, event: LinkEvent): Promise<void> {
    return this.#call("recordEvent", [idHash, event]);
  }

  listEvents(idHash: Uint8Array): Promise<LinkEvent[]> {
    return this.#reader.listEvents(idHash);
  }

  failAttempt(idHash: Uint8Array, now: number, max: number): Promise<number | null> {
    return this.#call("failAttempt", [idHash, now, max]);
  }

  revoke(idHash: Uint8Array, now: number): Promise<boolean> {
    return this.#call("revoke", [idHash, now]);
  }

  expire(idHash: Uint8Array, now: number): Promise<void> {
    return this.#call("expire", [idHash, now]);
  }

  purgeExpired(now: number): Promise<PurgeResult> {
    return this.#call("purgeExpired", [now]);
  }

  rewrapKeys(
    currentVersion: number,
    rewrap: (idHash: Uint8Array, keyVersion: number, wrappedKey: Uint8Array) => { keyVersion: number; wrappedKey: Uint8Array },
  ): Promise<number> {
    return rewrapInBatches(this, currentVersion, rewrap);
  }

  staleKeys(currentVersion: number, limit: number): StaleKey[] {
    return this.#reader.staleKeys(currentVersion, limit);
  }

  updateWrappedKeys(updates: WrappedKeyUpdate[]): Promise<number> {
    return this.#call("updateWrappedKeys", [updates]);
  }

  createUpload(upload: NewUpload): Promise<void> {
    return this.#call("createUpload", [upload]);
  }

  getUpload(uploadHash: Uint8Array, now: number): Promise<UploadState | null> {
    return this.#reader.getUpload(uploadHash, now);
  }

  beginPart(uploadHash: Uint8Array, part: number, now: number, leaseUntil: number): Promise<BeginPartResult> {
    return this.#call("beginPart", [uploadHash, part, now, leaseUntil]);
  }

  /**
   * The sealed chunk (up to 1 MiB) crosses to the writer with one copy, into a shared slot when one is free (then the
   * writer allocates nothing for it), else into the message; the caller's buffer is never detached.
   */
  appendChunk(attempt: PartAttempt, seq: number, sealed: Uint8Array, quotaBytes: number): Promise<AppendChunkResult> {
    return this.#call("appendChunk", [attempt, seq, sealed, quotaBytes]);
  }

  endPart(attempt: PartAttempt, part: number, nextSeq: number, storedBytes: number): Promise<PartWriteResult> {
    return this.#call("endPart", [attempt, part, nextSeq, storedBytes]);
  }

  abortPart(attempt: PartAttempt): Promise<PartWriteResult> {
    return this.#call("abortPart", [attempt]);
  }

  cancelUploadFromPart(attempt: PartAttempt): Promise<PartWriteResult> {
    return this.#call("cancelUploadFromPart", [attempt]);
  }

  finishUpload(uploadHash: Uint8Array, fileId: Uint8Array, chunkCount: number, link: NewLink, now: number): Promise<boolean> {
    return this.#call("finishUpload", [uploadHash, fileId, chunkCount, link, now]);
  }

  /** A read, on this thread's connection: a chunk never crosses the thread boundary on its way out. */
  readChunk(fileId: Uint8Array, seq: number): Promise<Uint8Array | null> {
    return this.#reader.readChunk(fileId, seq);
  }

  dropChunks(fileId: Uint8Array, belowSeq: number): Promise<void> {
    return this.#call("dropChunks", [fileId, belowSeq]);
  }

  leaseFile(fileId: Uint8Array, until: number): Promise<void> {
    return this.#call("leaseFile", [fileId, until]);
  }

  deleteFile(fileId: Uint8Array): Promise<void> {
    return this.#call("deleteFile", [fileId]);
  }

  cancelUpload(fileId: Uint8Array): Promise<boolean> {
    return this.#call("cancelUpload", [fileId]);
  }

  storageBytes(): Promise<number> {
    return this.#reader.storageBytes();
  }

  // Passkeys: the writes go to the writer thread like every other write; the lookups read here.
  issueEnrolment: PasskeyStore["issueEnrolment"] = (...args) => this.#call("issueEnrolment", args);
  completeEnrolment: PasskeyStore["completeEnrolment"] = (...args) => this.#call("completeEnrolment", args);
  updatePasskeyCounter: PasskeyStore["updatePasskeyCounter"] = (...args) => this.#call("updatePasskeyCounter", args);
  removeHandle: PasskeyStore["removeHandle"] = (...args) => this.#call("removeHandle", args);
  pendingEnrolment: PasskeyStore["pendingEnrolment"] = (...args) => this.#reader.pendingEnrolment(...args);
  getPasskey: PasskeyStore["getPasskey"] = (...args) => this.#reader.getPasskey(...args);
  findPasskey: PasskeyStore["findPasskey"] = (...args) => this.#reader.findPasskey(...args);
  getHandle: PasskeyStore["getHandle"] = (...args) => this.#reader.getHandle(...args);

  get writeFailure(): Error | null {
    return this.#failure;
  }

  async ping(): Promise<void> {
    if (this.#failure !== null) throw this.#failure;
    await this.#reader.ping();
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      if (this.#failure === null) {
        // Writes queued before close are posted first; the writer commits them all, answers them, then says closed.
        const closed = new Promise<void>((resolve) => (this.#onClosed = resolve));
        this.#post();
        this.#worker.postMessage({ close: true } satisfies ToWriter);
        await closed;
      }
      this.#failure ??= new Error("the store is closed");
      await this.#worker.terminate();
      await this.#reader.close();
    })();
    return this.#closing;
  }
}

/**
 * Opens the embedded SQLite store (as openSqliteStore: WAL, group commit, a WAL fsync before each acknowledgement) with its writes on a
 * worker thread: the COMMIT and its fsync then block that thread instead of the one serving requests, which goes on
 * parsing and answering while a batch is made durable. A write still resolves only after its batch has committed.
 * Reads (link metadata, events) run on the caller's thread, on a second connection to the same file; WAL lets them
 * read while the writer writes, and they see every write that has resolved.
 * @example const store = await openThreadedSqliteStore({ file: join(dataDir, "oncelink.db") });
 */
export async function openThreadedSqliteStore(opts: SqliteStoreOptions): Promise<SqliteLinkStore> {
  if (opts.file === ":memory:" || opts.file === "") throw new Error("sqlite: a threaded store needs a database file");
  // Creates, configures and migrates the file before the writer opens it.
  const reader = await openSqliteStore({ file: opts.file });
  const shared = new SharedArrayBuffer(SHARED_SLOTS * SHARED_SLOT_BYTES);
  const worker = startWriter({ file: opts.file, maxBatch: opts.maxBatch ?? 512, shared });
  try {
    await new Promise<void>((resolve, reject) => {
      const onExit = (code: number) => reject(new Error(`the SQLite writer thread exited (code ${code}) before it was ready`));
      worker.once("error", reject);
      worker.once("exit", onExit);
      worker.once("message", (message: FromWriter) => {
        worker.off("error", reject);
        worker.off("exit", onExit);
        if ("ready" in message) resolve();
        else reject(new Error("the SQLite writer thread sent something before it was ready"));
      });
    });
  } catch (error) {
    await worker.terminate();
    await reader.close();
    throw error;
  }
  return new ThreadedSqliteStore(reader, worker, shared);
}
