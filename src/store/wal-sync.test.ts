import { closeSync, fstatSync, mkdtempSync, openSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WalSyncer, type SyncFile } from "./wal-sync.js";

/** A sync function the test finishes by hand: each call waits in `calls` until `finish` is called for it. */
function manualSync(): { sync: SyncFile; calls: Array<{ fd: number; finish: (error?: Error) => void }> } {
  const calls: Array<{ fd: number; finish: (error?: Error) => void }> = [];
  return { calls, sync: (fd, done) => calls.push({ fd, finish: (error) => done(error ?? null) }) };
}

describe("WalSyncer", () => {
  let dir: string;
  let wal: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "oncelink-walsync-"));
    wal = join(dir, "db-wal");
    writeFileSync(wal, "frames");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("settles a commit only after an fsync that started after it, one fsync at a time", async () => {
    const { sync, calls } = manualSync();
    const syncer = new WalSyncer(wal, sync);
    const settled: string[] = [];
    syncer.whenDurable(() => settled.push("a"));
    expect(calls).toHaveLength(1);
    // Committed while the first fsync runs: that fsync may have missed it.
    syncer.whenDurable(() => settled.push("b"));
    syncer.whenDurable(() => settled.push("c"));
    expect(calls).toHaveLength(1);
    calls[0]!.finish();
    expect(settled).toEqual(["a"]);
    // The next fsync starts at once and covers both later commits.
    expect(calls).toHaveLength(2);
    calls[1]!.finish();
    expect(settled).toEqual(["a", "b", "c"]);
    expect(syncer.syncs).toBe(2);
    await syncer.close();
  });

  it("closes its file once, however often it is closed", async () => {
    const { sync, calls } = manualSync();
    const syncer = new WalSyncer(wal, sync);
    syncer.whenDurable(() => undefined);
    const first = syncer.close();
    const second = syncer.close();
    calls[0]!.finish();
    await Promise.all([first, second]);
    // The descriptor number is free again: the next file opened here most likely gets it. A second close of the
    // syncer must leave that file alone.
    const other = openSync(join(dir, "other"), "w");
    try {
      await syncer.close();
      expect(() => fstatSync(other)).not.toThrow();
    } finally {
      closeSync(other);
    }
  });

  it("reports a failed fsync to its commits and refuses everything after it, for good", async () => {
    const { sync, calls } = manualSync();
    const syncer = new WalSyncer(wal, sync);
    const outcomes: Array<Error | null> = [];
    syncer.whenDurable((error) => outcomes.push(error));
    calls[0]!.finish(Object.assign(new Error("EIO"), { code: "EIO" }));
    expect(outcomes[0]).toBeInstanceOf(Error);
    expect(syncer.failure).toBe(outcomes[0]);
    // A later fsync that "succeeds" proves nothing after a lost write: no more acknowledgements.
    const later = await new Promise<Error | null>((resolve) => syncer.whenDurable(resolve));
    expect(later).toBe(syncer.failure);
    expect(calls).toHaveLength(1);
    await syncer.close();
  });

  it("syncs the file now at the path when the one it opened was replaced", async () => {
    const { sync, calls } = manualSync();
    const syncer = new WalSyncer(wal, sync);
    syncer.whenDurable(() => undefined);
    const first = calls[0]!;
    expect(fstatSync(first.fd).ino).toBe(statSync(wal).ino);
    // Replace the file: the old inode has no name any more.
    writeFileSync(join(dir, "new-wal"), "new frames");
    renameSync(join(dir, "new-wal"), wal);
    first.finish();
    syncer.whenDurable(() => undefined);
    const second = calls[1]!;
    expect(fstatSync(second.fd).ino).toBe(statSync(wal).ino);
    second.finish();
    await syncer.close();
  });

  it("really fdatasyncs with the default, and close() waits for the running fsync and syncs what still waits", async () => {
    const syncer = new WalSyncer(wal);
    const results = await Promise.all([
      new Promise<Error | null>((resolve) => syncer.whenDurable(resolve)),
      new Promise<Error | null>((resolve) => syncer.whenDurable(resolve)),
    ]);
    expect(results).toEqual([null, null]);
    const late = new Promise<Error | null>((resolve) => syncer.whenDurable(resolve));
    syncer.whenDurable(() => undefined);
    await syncer.close();
    expect(await late).toBeNull();
    expect(syncer.syncs).toBeGreaterThanOrEqual(2);
  });

  it("close() closes the file only after the last fsync settled, also the one a finishing fsync starts", async () => {
    const { sync, calls } = manualSync();
    const syncer = new WalSyncer(wal, sync);
    const outcomes: Array<Error | null> = [];
    syncer.whenDurable((error) => outcomes.push(error));
    // Committed while the first fsync runs: it waits for the next one, which the first one's callback starts.
    syncer.whenDurable((error) => outcomes.push(error));
    let closed = false;
    const closing = syncer.close().then(() => {
      closed = true;
    });
    calls[0]!.finish();
    expect(calls).toHaveLength(2);
    const fd = calls[1]!.fd;
    // Let close() run as far as it will on its own: it must still be waiting, with the file open under the fsync.
    for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(closed).toBe(false);
    expect(() => fstatSync(fd)).not.toThrow();
    calls[1]!.finish();
    await closing;
    expect(outcomes).toEqual([null, null]);
    expect(syncer.syncs).toBe(2);
    expect(syncer.failure).toBeNull();
    // Nothing is acknowledged after the file is closed.
    const late = await new Promise<Error | null>((resolve) => syncer.whenDurable(resolve));
    expect(late).toBeInstanceOf(Error);
  });

  it("fails to start without a WAL file rather than syncing nothing", () => {
    expect(() => new WalSyncer(join(dir, "missing-wal"))).toThrow(/ENOENT/);
  });
});
