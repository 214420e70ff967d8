import { describe, expect, it } from "vitest";
import { StatementBatcher } from "./postgres-batch.js";

const tick = () => new Promise((r) => setImmediate(r));

describe("StatementBatcher", () => {
  it("sends the calls of one event-loop turn as one statement, in order", async () => {
    const sent: number[][] = [];
    const batcher = new StatementBatcher<number, number>(async (items) => (sent.push(items), items.map((i) => i * 2)), { maxInFlight: 2, maxBatch: 100 });
    expect(await Promise.all([1, 2, 3].map((i) => batcher.push(i)))).toEqual([2, 4, 6]);
    expect(sent).toEqual([[1, 2, 3]]);
    expect(batcher.stats()).toMatchObject({ batches: 1, items: 3, largestBatch: 3 });
  });

  it("lets calls wait while maxInFlight statements run, then sends them together", async () => {
    const sent: number[][] = [];
    const gates: Array<() => void> = [];
    const batcher = new StatementBatcher<number, number>(
      (items) => new Promise((resolve) => (sent.push(items), gates.push(() => resolve(items)))),
      { maxInFlight: 1, maxBatch: 2 },
    );
    const first = batcher.push(1);
    await tick();
    const rest = [2, 3, 4, 5].map((i) => batcher.push(i));
    await tick();
    expect(sent).toEqual([[1]]);
    gates.shift()!();
    await first;
    await tick();
    expect(sent).toEqual([[1], [2, 3]]);
    while (gates.length) {
      gates.shift()!();
      await tick();
      await tick();
    }
    expect(await Promise.all(rest)).toEqual([2, 3, 4, 5]);
    expect(sent).toEqual([[1], [2, 3], [4, 5]]);
  });

  it("re-sends after a deadlock, and rejects every call of a statement that fails otherwise", async () => {
    let calls = 0;
    const batcher = new StatementBatcher<number, number>(async (items) => {
      calls++;
      if (calls === 1) throw Object.assign(new Error("deadlock detected"), { code: "40P01" });
      if (items.includes(13)) throw Object.assign(new Error("boom"), { code: "XX000" });
      return items;
    }, { maxInFlight: 1, maxBatch: 10 });
    expect(await batcher.push(1)).toBe(1);
    expect(batcher.stats().retries).toBe(1);
    const results = await Promise.allSettled([batcher.push(12), batcher.push(13)]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
  });

  it("answers what is queued when closed, and refuses new calls", async () => {
    const batcher = new StatementBatcher<number, number>(async (items) => items, { maxInFlight: 1, maxBatch: 10 });
    const queued = batcher.push(7);
    await batcher.close();
    expect(await queued).toBe(7);
    await expect(batcher.push(8)).rejects.toThrow(/closed/);
  });
});
