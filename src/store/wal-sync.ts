import { closeSync, fdatasync, fdatasyncSync, fstatSync, openSync } from "node:fs";

/** Syncs a file's data to stable storage and calls back (node:fs `fdatasync`, run on libuv's thread pool). */
export type SyncFile = (fd: number, done: (error: Error | null) => void) => void;

/**
 * Makes SQLite commits durable without blocking the event loop.
 *
 * The store's connections run with `synchronous=NORMAL`: a COMMIT writes its frames into the WAL file (the page
 * cache) and returns, without the fsync that `synchronous=FULL` would do on this thread. The group commit then calls
 * `whenDurable`, and settles the batch only once an fdatasync of the WAL file that STARTED after that call has
 * finished: from then on the commit survives a power loss, exactly as under FULL (SQLite's recovery replays every WAL
 * frame up to the last complete commit; it syncs the WAL header itself whenever it starts the file over).
 *
 * One fdatasync runs at a time. Commits made while it runs wait for the next one, which then covers all of them: the
 * more load, the more commits each fsync covers, and the request thread never waits for the disk.
 *
 * A failed fdatasync is final: Linux may drop the unwritten pages and report success on a later call, so after one
 * failure every later write is refused (see `failure`) instead of being acknowledged on an unknown state.
 */
export class WalSyncer {
  readonly #path: string;
  readonly #sync: SyncFile;
  #fd: number;
  #inFlight: Promise<void> | null = null;
  #waiting: Array<(error: Error | null) => void> = [];
  #idle: Array<() => void> = [];
  #failure: Error | null = null;
  #closed = false;
  #closing: Promise<void> | null = null;
  #syncs = 0;

  /** `walPath`: the database's `-wal` file, which must exist (the database is in WAL mode and has been used). */
  constructor(walPath: string, sync: SyncFile = fdatasync) {
    this.#path = walPath;
    this.#sync = sync;
    this.#fd = openSync(walPath, "r");
  }

  /** The error of the fdatasync that failed, after which nothing more is acknowledged; null while all is well. */
  get failure(): Error | null {
    return this.#failure;
  }

  /** How many fdatasync calls have completed (for tests and metrics). */
  get syncs(): number {
    return this.#syncs;
  }

  /** Whether an fdatasync is running. */
  get busy(): boolean {
    return this.#inFlight !== null;
  }

  /**
   * Calls `next` once the running fdatasync has finished and its commits are settled (at once when none runs). A
   * writer whose next batch could not be acknowledged before the fdatasync after the running one anyway commits it
   * then: one COMMIT per fsync, as large as the load makes it, for the same latency.
   */
  whenIdle(next: () => void): void {
    if (this.#inFlight === null) next();
    else this.#idle.push(next);
  }

  /** Calls `done` once everything committed before this call is on stable storage, or with the error if it is not. */
  whenDurable(done: (error: Error | null) => void): void {
    if (this.#closed) {
      queueMicrotask(() => done(new Error("sqlite: the write-ahead log syncer is closed")));
      return;
    }
    const failure = this.#failure;
    if (failure !== null) {
      queueMicrotask(() => done(failure));
      return;
    }
    this.#waiting.push(done);
    if (this.#inFlight === null) this.#start();
  }

  /**
   * Waits until no fdatasync runs, syncs whatever still waits (on this thread), and closes the file. The callback of
   * a running fdatasync starts the next one at once for the commits that waited on it, so waiting for one is not
   * enough: closing the file under a running fdatasync would fail it (EBADF), or, were the descriptor number reused
   * meanwhile, sync some other file and acknowledge commits that are not durable. Closing twice is closing once: a
   * second closeSync could close whatever file reused the descriptor number.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    while (this.#inFlight !== null) await this.#inFlight;
    const round = this.#waiting.length > 0 ? this.#takeRound() : null;
    if (round !== null) {
      let error: Error | null = this.#failure;
      if (error === null) {
        try {
          fdatasyncSync(this.#fd);
          this.#syncs += 1;
        } catch (cause) {
          error = this.#fail(cause);
        }
      }
      for (const done of round) done(error);
    }
    this.#closed = true;
    closeSync(this.#fd);
  }

  #start(): void {
    const round = this.#takeRound();
    if (round === null) return;
    this.#inFlight = new Promise<void>((resolve) => {
      this.#sync(this.#fd, (cause) => {
        const error = cause === null ? null : this.#fail(cause);
        if (error === null) this.#syncs += 1;
        this.#inFlight = null;
        for (const done of round) done(error);
        resolve();
        const idle = this.#idle;
        this.#idle = [];
        for (const next of idle) next();
        if (this.#waiting.length > 0 && this.#inFlight === null) this.#start();
      });
    });
  }

  /**
   * The callbacks of the next fdatasync; first makes sure the open file is still the database's WAL. Null when it
   * cannot be, after calling them back with the error.
   */
  #takeRound(): Array<(error: Error | null) => void> | null {
    const round = this.#waiting;
    this.#waiting = [];
    try {
      // SQLite removes the WAL only when the last connection closes, and ours stay open; should the file still have
      // been replaced (nothing links to ours any more), sync the one SQLite now writes to.
      if (fstatSync(this.#fd).nlink === 0) {
        const fd = openSync(this.#path, "r");
        closeSync(this.#fd);
        this.#fd = fd;
      }
    } catch (cause) {
      const error = this.#fail(cause);
      for (const done of round) done(error);
      return null;
    }
    return round;
  }

  #fail(cause: unknown): Error {
    this.#failure ??= new Error("sqlite: syncing the write-ahead log failed; no write is acknowledged any more", { cause });
    return this.#failure;
  }
}
