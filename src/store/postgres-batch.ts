/** Counters of a batcher, for tests and metrics. */
export interface BatchStats {
  /** Statements sent (each one round trip and, in autocommit, one commit). */
  batches: number;
  /** Calls answered by those statements. */
  items: number;
  largestBatch: number;
  /** Statements re-sent after PostgreSQL aborted them for a deadlock or a serialization failure. */
  retries: number;
}

interface Pending<In, Out> {
  item: In;
  resolve: (value: Out) => void;
  reject: (error: unknown) => void;
}

/** SQLSTATEs after which a statement that changed nothing may simply be sent again. */
const RETRYABLE = new Set(["40P01", "40001"]);

/**
 * Coalesces concurrent calls into one statement, the PostgreSQL counterpart of the SQLite GroupCommitter: calls made
 * in the same turn of the event loop go out together, and while `maxInFlight` statements are running the next calls
 * wait and join one larger statement. One round trip and one commit then serve many requests: measured on the
 * consume, ~3x the throughput of one autocommitted statement per call on a 2-core machine. Each call's promise
 * settles only after its statement has returned (committed, in autocommit), so a resolved write is durable.
 */
export class StatementBatcher<In, Out> {
  readonly #run: (items: In[]) => Promise<Out[]>;
  readonly #maxInFlight: number;
  readonly #maxBatch: number;
  #queue: Array<Pending<In, Out>> = [];
  #inFlight = 0;
  #scheduled = false;
  #closed = false;
  #idle: Array<() => void> = [];
  readonly #stats: BatchStats = { batches: 0, items: 0, largestBatch: 0, retries: 0 };

  /**
   * @param run sends one statement for `items` and returns one output per item, in order. It must be safe to send
   *   again after a deadlock or serialization failure (PostgreSQL rolled it back whole).
   */
  constructor(run: (items: In[]) => Promise<Out[]>, opts: { maxInFlight: number; maxBatch: number }) {
    this.#run = run;
    this.#maxInFlight = opts.maxInFlight;
    this.#maxBatch = opts.maxBatch;
  }

  /** Queues one call; resolves with its output once the statement carrying it has returned. */
  push(item: In): Promise<Out> {
    if (this.#closed) return Promise.reject(new Error("the store is closed"));
    return new Promise<Out>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        // After the current poll phase: every request parsed in this turn of the event loop joins the batch.
        setImmediate(() => {
          this.#scheduled = false;
          this.#flush();
        });
      }
    });
  }

  /** Counters since the store was opened (a copy). */
  stats(): BatchStats {
    return { ...this.#stats };
  }

  /** Refuses new calls and waits until every queued one has been answered. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#flush();
    while (this.#inFlight > 0 || this.#queue.length > 0) await new Promise<void>((resolve) => this.#idle.push(resolve));
  }

  #flush(): void {
    while (this.#queue.length > 0 && this.#inFlight < this.#maxInFlight) {
      const batch = this.#queue.splice(0, this.#maxBatch);
      this.#inFlight++;
      void this.#send(batch).finally(() => {
        this.#inFlight--;
        this.#flush();
        if (this.#inFlight === 0 && this.#queue.length === 0) for (const wake of this.#idle.splice(0)) wake();
      });
    }
  }

  async #send(batch: Array<Pending<In, Out>>): Promise<void> {
    const items = batch.map((p) => p.item);
    for (let attempt = 0; ; attempt++) {
      try {
        const outputs = await this.#run(items);
        if (outputs.length !== batch.length) throw new Error("postgres batch: one output per item expected");
        this.#stats.batches++;
        this.#stats.items += batch.length;
        this.#stats.largestBatch = Math.max(this.#stats.largestBatch, batch.length);
        batch.forEach((p, i) => p.resolve(outputs[i]!));
        return;
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (typeof code === "string" && RETRYABLE.has(code) && attempt < 5) {
          this.#stats.retries++;
          continue;
        }
        for (const p of batch) p.reject(error);
        return;
      }
    }
  }
}
