// The worker thread of openThreadedSqliteStore (sqlite-writer-thread.ts): it owns the writing connection and runs
// every write through the same SqliteStore and group commit as the single-threaded store, so the COMMIT and its fsync
// block this thread, never the one serving HTTP. A result is posted only after the batch holding it has committed.
import { parentPort, workerData } from "node:worker_threads";
import { openSqliteStore, type SqliteLinkStore } from "./sqlite.js";
import { WRITER_METHODS, errorInfo, transferable, type FromWriter, type ToWriter, type WriterData, type WriterMethod } from "./sqlite-writer-protocol.js";

const port = parentPort!;
const { file, maxBatch } = workerData as WriterData;
const store: SqliteLinkStore = await openSqliteStore({ file, maxBatch });
const allowed = new Set<string>(WRITER_METHODS);

let outbox: Extract<FromWriter, { results: unknown }>["results"] = [];
let posting = false;

/** Posts every result settled so far in one message (with the committer's counters). */
function flushOutbox(): void {
  posting = false;
  if (outbox.length === 0) return;
  const results = outbox;
  outbox = [];
  port.postMessage({ results, stats: store.stats() } satisfies FromWriter);
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
    // Commits everything queued, posts the last results, then says so; the main thread terminates this thread.
    void store.close().then(() => {
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
    call.apply(store, args).then(
      (value) => settle([seq, true, transferable(value)]),
      (error: unknown) => settle([seq, false, errorInfo(error)]),
    );
  }
});

port.postMessage({ ready: true } satisfies FromWriter);
