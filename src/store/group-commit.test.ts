import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BatchAbortedError, GroupCommitter } from "./group-commit.js";
import { WalSyncer } from "./wal-sync.js";

describe("GroupCommitter", () => {
  let dir: string;
  let db: Database.Database;
  const rows = (): number[] => (db.prepare("SELECT x FROM t ORDER BY x").all() as Array<{ x: number }>).map((r) => r.x);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "oncelink-gc-"));
    db = new Database(join(dir, "gc.db"));
    db.pragma("journal_mode = WAL");
    db.pragma("foreign_keys = ON");
    db.exec(`CREATE TABLE p (id INTEGER PRIMARY KEY);
             CREATE TABLE t (x INTEGER PRIMARY KEY, p INTEGER REFERENCES p (id) DEFERRABLE INITIALLY DEFERRED)`);
  });
  afterEach(() => {
    if (db.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("rolls back only the op that threw, including its earlier statements, in one commit", async () => {
    const gc = new GroupCommitter(db);
    const insert = db.prepare("INSERT INTO t (x) VALUES (?)");
    const results = await Promise.allSettled([
      gc.enqueue(() => insert.run(1).changes),
      gc.enqueue(() => {
        insert.run(2);
        throw new Error("op failed halfway");
      }),
      gc.enqueue(() => insert.run(3).changes),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(results[1]).toMatchObject({ reason: { message: "op failed halfway" } });
    expect(rows()).toEqual([1, 3]);
    expect(gc.stats()).toMatchObject({ commits: 1, ops: 3, failedBatches: 0 });
  });

  it("rejects every op of a batch whose COMMIT fails, and none of it persists", async () => {
    const gc = new GroupCommitter(db);
    const results = await Promise.allSettled([
      gc.enqueue(() => db.prepare("INSERT INTO t (x) VALUES (1)").run()),
      // A deferred foreign key is only checked at COMMIT: this makes the COMMIT itself fail.
      gc.enqueue(() => db.prepare("INSERT INTO t (x, p) VALUES (2, 99)").run()),
    ]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect(rows()).toEqual([]);
    expect(db.inTransaction).toBe(false);
    expect(gc.stats()).toMatchObject({ commits: 0, failedBatches: 1 });
    await gc.enqueue(() => db.prepare("INSERT INTO t (x) VALUES (3)").run());
    expect(rows()).toEqual([3]);
  });

  it("rejects the whole batch, and runs nothing in autocommit, when SQLite aborts the transaction mid-batch", async () => {
    const gc = new GroupCommitter(db);
    const results = await Promise.allSettled([
      gc.enqueue(() => db.prepare("INSERT INTO t (x) VALUES (1)").run()),
      // Stands in for an error after which SQLite rolls back the whole transaction by itself (SQLITE_FULL, IOERR).
      gc.enqueue(() => db.exec("ROLLBACK")),
      gc.enqueue(() => db.prepare("INSERT INTO t (x) VALUES (3)").run()),
    ]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected", "rejected"]);
    expect(results[2]).toMatchObject({ reason: expect.any(BatchAbortedError) });
    expect(rows()).toEqual([]);
  });

  it("rejects every op when the write lock cannot be taken, then recovers", async () => {
    const other = new Database(join(dir, "gc.db"));
    db.pragma("busy_timeout = 20");
    other.exec("BEGIN IMMEDIATE");
    const gc = new GroupCommitter(db);
    const results = await Promise.allSettled([1, 2].map((x) => gc.enqueue(() => db.prepare("INSERT INTO t (x) VALUES (?)").run(x))));
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect(results[0]).toMatchObject({ reason: { code: "SQLITE_BUSY" } });
    other.exec("COMMIT");
    other.close();
    await gc.enqueue(() => db.prepare("INSERT INTO t (x) VALUES (5)").run());
    expect(rows()).toEqual([5]);
  });

  it("settles an op only after its batch committed, and batches everything queued in one turn", async () => {
    const gc = new GroupCommitter(db);
    let settledInsideTransaction = false;
    const pending = Array.from({ length: 50 }, (_, i) =>
      gc.enqueue(() => db.prepare("INSERT INTO t (x) VALUES (?)").run(i)).then(() => {
        if (db.inTransaction) settledInsideTransaction = true;
      }),
    );
    await Promise.all(pending);
    expect(settledInsideTransaction).toBe(false);
    expect(gc.stats()).toMatchObject({ commits: 1, ops: 50, largestBatch: 50 });
  });

  describe("with a WAL syncer", () => {
    /** A syncer whose fsyncs the test finishes by hand. */
    function manualSyncer(): { syncer: WalSyncer; finish: (error?: Error) => void; started: () => number } {
      const calls: Array<(error: Error | null) => void> = [];
      const syncer = new WalSyncer(join(dir, "gc.db-wal"), (_fd, done) => calls.push(done));
      return { syncer, started: () => calls.length, finish: (error) => calls.shift()!(error ?? null) };
    }

    it("settles the ops of a committed batch only once the fsync after the COMMIT has finished", async () => {
      const { syncer, finish, started } = manualSyncer();
      const gc = new GroupCommitter(db, 512, syncer);
      let settled = 0;
      const ops = [1, 2, 3].map((x) => gc.enqueue(() => db.prepare("INSERT INTO t (x) VALUES (?)").run(x)).then(() => (settled += 1)));
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      // Committed but not yet known to be on disk: nobody has been told.
      expect(rows()).toEqual([1, 2, 3]);
      expect(started()).toBe(1);
      expect(settled).toBe(0);
      finish();
      await Promise.all(ops);
      expect(settled).toBe(3);
      await syncer.close();
    });

    it("holds writes queued while an fsync runs and commits them together when it ends", async () => {
      const { syncer, finish, started } = manualSyncer();
      const gc = new GroupCommitter(db, 512, syncer);
      const insert = (x: number): Promise<unknown> => gc.enqueue(() => db.prepare("INSERT INTO t (x) VALUES (?)").run(x));
      const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
      const first = insert(1);
      await turn();
      expect(gc.stats().commits).toBe(1);
      // Three more turns, each with a write, while the first fsync runs: none of them commits yet.
      const later = [insert(2)];
      await turn();
      later.push(insert(3));
      await turn();
      later.push(insert(4));
      await turn();
      expect(gc.stats().commits).toBe(1);
      expect(rows()).toEqual([1]);
      finish();
      await first;
      // The fsync ended: the three writes went into one COMMIT, and the next fsync covers it.
      expect(gc.stats()).toMatchObject({ commits: 2, largestBatch: 3 });
      expect(rows()).toEqual([1, 2, 3, 4]);
      expect(started()).toBe(1);
      finish();
      await Promise.all(later);
      await syncer.close();
    });

    it("rejects every op of a batch whose fsync failed, then refuses to run any later write", async () => {
      const { syncer, finish } = manualSyncer();
      const gc = new GroupCommitter(db, 512, syncer);
      const first = Promise.allSettled([gc.enqueue(() => db.prepare("INSERT INTO t (x) VALUES (1)").run())]);
      await new Promise((resolve) => setImmediate(resolve));
      finish(new Error("EIO"));
      expect((await first)[0]).toMatchObject({ status: "rejected", reason: { message: expect.stringMatching(/syncing the write-ahead log failed/) } });
      // A consume run now would burn a link for an answer that is never acknowledged: the op must not even run.
      let ran = false;
      await expect(gc.enqueue(() => (ran = true))).rejects.toThrow(/syncing the write-ahead log failed/);
      expect(ran).toBe(false);
      await syncer.close();
    });
  });
});
