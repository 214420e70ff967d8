// The worker thread of openThreadedSqliteStore (sqlite-writer-thread.ts): it owns the writing connection and runs
// every write through the same SqliteStore and group commit as the single-threaded store, so the COMMIT and its fsync
// block this thread, never the one serving HTTP. A result is posted only after the batch holding it has committed.
import { parentPort, workerData } from "node:worker_threads";
import { openSqliteStore, type SqliteLinkStore } from "./sqlite.js";
import { WRITER_METHODS, errorInfo, fromShared, transferable, type FromWriter, type ToWriter, type WriterData, type WriterMethod } from "./sqlite-writer-protocol.js";

const port = parentPort!;
const { file, maxBatch, shared } = workerData as WriterData;
const store: SqliteLinkStore = await openSqliteStore({ file, maxBatch });
const allowed = new Set<string>(WRITER_METHODS);

let outbox: Extract<FromWriter, { results: unknown }>["results"] = [];
/** Buffers copied for the next results message (see transferable): moved to the caller's thread, not copied again. */
let outboxTransfer: ArrayBuffer[] = [];
let posting = false;
/** Calls not yet settled: the close waits for them, so no answer is lost behind the "closed" message. */
const inFlight = new Set<Promise<void>>();

/**
 * Posts every result settled so far in one message (with the committer's counters, and the store's write failure
 * once there is one: a write it refused is among these results, and the caller's thread must stop reporting ready).
 */
function flushOutbox(): void {
  posting = false;
  if (outbox.length === 0) return;
  const results = outbox;
  const transfer = outboxTransfer;
  outbox = [];
  outboxTransfer = [];
  const failure = store.writeFailure;
  const message: FromWriter = failure === null ? { results, stats: store.stats() } : { results, stats: store.stats(), failure: errorInfo(failure) };
  port.postMessage(message, transfer);
}

function settle(entry: (typeof outbox)[number]): void {
  outbox.push(entry);
  if (posting) return;
  posting = true;
  // A batch settles all its promises at once; their reactions (and those of async store methods, a few hops deep)
  // are microtasks, and a nextTick queued from one runs only once the microtask queue is empty: one message per batch.
  process.nextTick(flushOutbox);
}

port.on("message", (message: ToWriter) => {
  if ("close" in message) {
    // Commits everything queued, waits until every call has settled (a store method answers a few promise hops after
    // its batch commits, and a multi-step one such as deleteFile may still try to write, and be refused), posts the
    // last results, then says so; the main thread terminates this thread and fails whatever is still unanswered.
    void store
      .close()
      .then(() => Promise.allSettled(inFlight))
      .then(() => {
        flushOutbox();
        port.postMessage({ closed: true } satisfies FromWriter);
      });
    return;
  }
  for (const [seq, method, args] of message.calls) {
    if (!allowed.has(method)) {
      settle([seq, false, { name: "Error", message: `not a write: ${String(method)}` }]);
      continue;
    }
    const call = store[method as WriterMethod] as (...a: unknown[]) => Promise<unknown>;
    let result: Promise<unknown>;
    try {
      result = call.apply(store, fromShared(args, shared) as unknown[]);
    } catch (error) {
      result = Promise.reject(error);
    }
    const settled = result.then(
      (value) => settle([seq, true, transferable(value, outboxTransfer)]),
      (error: unknown) => settle([seq, false, errorInfo(error)]),
    );
    inFlight.add(settled);
    void settled.finally(() => inFlight.delete(settled));
  }
});

port.postMessage({ ready: true } satisfies FromWriter);
