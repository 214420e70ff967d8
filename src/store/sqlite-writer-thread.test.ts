import { mkdtempSync, rmSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { describeLinkStoreContract, makeLink, makeUpload, T0 } from "./contract.js";
import { openSqliteStore, type SqliteLinkStore } from "./sqlite.js";
import { fromShared, SHARED_MIN_BYTES, SHARED_SLOT_BYTES, SHARED_SLOTS, transferable } from "./sqlite-writer-protocol.js";
import { openThreadedSqliteStore } from "./sqlite-writer-thread.js";

const dirs: string[] = [];
const stores: SqliteLinkStore[] = [];

function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), "oncelink-thread-"));
  dirs.push(dir);
  return join(dir, "oncelink.db");
}

async function removeTemp(): Promise<void> {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

async function openTemp(file = tempFile()): Promise<SqliteLinkStore> {
  const store = await openThreadedSqliteStore({ file });
  stores.push(store);
  return store;
}

describeLinkStoreContract("sqlite, writes on a worker thread", () => openThreadedSqliteStore({ file: tempFile() }), removeTemp);

describe("sqlite store with a writer thread", () => {
  afterEach(removeTemp);

  it("group-commits on the writer thread: 500 concurrent consumes cost a handful of commits", async () => {
    const store = await openTemp();
    const links = Array.from({ length: 500 }, () => makeLink());
    await Promise.all(links.map((l) => store.createLink(l)));
    const before = store.stats();
    const results = await Promise.all(links.map((l) => store.consume(l.idHash, T0 + 1)));
    const after = store.stats();
    expect(results.every((r, i) => r !== null && Buffer.from(r.sealed).equals(links[i]!.sealed))).toBe(true);
    expect(after.ops - before.ops).toBe(500);
    expect(after.commits - before.commits).toBeLessThanOrEqual(5);
    // What a resolved consume reports is already visible to this thread's own connection.
    expect((await store.getLinkMeta(links[0]!.idHash))?.state).toBe("consumed");
  });

  it("rejects only the failing write of a batch, with the driver's message and code", async () => {
    const store = await openTemp();
    const link = makeLink();
    await store.createLink(link);
    const other = makeLink();
    const [duplicate, fine] = await Promise.allSettled([store.createLink(link), store.createLink(other)]);
    expect(duplicate.status).toBe("rejected");
    expect((duplicate as PromiseRejectedResult).reason).toMatchObject({ code: "SQLITE_CONSTRAINT_PRIMARYKEY", message: expect.stringMatching(/UNIQUE/) });
    expect(fine.status).toBe("fulfilled");
    expect((await store.getLinkMeta(other.idHash))?.state).toBe("fresh");
  });

  it("commits the writes still queued when closed, and refuses later ones", async () => {
    const file = tempFile();
    const store = await openThreadedSqliteStore({ file });
    const links = Array.from({ length: 50 }, () => makeLink());
    const created = Promise.all(links.map((l) => store.createLink(l)));
    await store.close();
    await created;
    await expect(store.createLink(makeLink())).rejects.toThrow(/closed/);
    await expect(store.ping()).rejects.toThrow(/closed/);
    const reopened = await openSqliteStore({ file });
    try {
      for (const l of links) expect((await reopened.getLinkMeta(l.idHash))?.state).toBe("fresh");
    } finally {
      await reopened.close();
    }
  });

  it("answers every write queued before a close, however the close message races the batch", async () => {
    // A close posted in the same turn as the writes reaches the writer before their batch has run; the answers come
    // a few promise hops after the commit, and must not be overtaken by the "closed" message.
    for (let round = 0; round < 5; round++) {
      const store = await openThreadedSqliteStore({ file: tempFile() });
      const results = Promise.allSettled(Array.from({ length: 50 }, () => store.createLink(makeLink())));
      await store.close();
      expect((await results).filter((r) => r.status === "rejected"), `round ${round}`).toEqual([]);
    }
  });

  it("re-wraps stale data keys through the writer thread, leaving consumed links alone", async () => {
    const store = await openTemp();
    const links = Array.from({ length: 3 }, () => makeLink({ keyVersion: 1 }));
    for (const l of links) await store.createLink(l);
    await store.consume(links[0]!.idHash, T0 + 1);
    const count = await store.rewrapKeys(2, (_id, _version, wrapped) => ({ keyVersion: 2, wrappedKey: Buffer.from(wrapped).reverse() }));
    expect(count).toBe(2);
    const row = store.db.prepare("SELECT key_version, wrapped_key FROM links WHERE id_hash = ?").get(Buffer.from(links[1]!.idHash)) as {
      key_version: number;
      wrapped_key: Buffer;
    };
    expect(row.key_version).toBe(2);
    expect(row.wrapped_key.equals(Buffer.from(links[1]!.wrappedKey).reverse())).toBe(true);
    expect(await store.rewrapKeys(2, () => ({ keyVersion: 2, wrappedKey: Buffer.alloc(60) }))).toBe(0);
  });

  it("moves 1 MiB chunks to the writer: through the shared slots, or copied when all are busy; windows arrive exact", async () => {
    const store = await openTemp();
    const up = makeUpload();
    await store.createUpload(up);
    const begun = await store.beginPart(up.uploadHash, 0, T0 + 1, T0 + 60_000);
    if (!begun.ok) throw new Error("the part did not begin");
    // Chunks cut from larger buffers (windows) and standalone ones, more at once than there are slots, in two rounds
    // (the slots are reused), each checked byte for byte.
    const copies: Buffer[] = [];
    for (let round = 0; round < 2; round++) {
      const big = randomBytes(3 * 1024 * 1024 + 64);
      const chunks = [
        ...[0, 1, 2].map((i) => big.subarray(32 + i * 1024 * 1024, 32 + (i + 1) * 1024 * 1024)),
        ...Array.from({ length: 7 }, () => randomBytes(1024 * 1024 + 28)),
      ];
      const before = chunks.map((c) => Buffer.from(c));
      const first = copies.length;
      copies.push(...before);
      const results = await Promise.all(chunks.map((c, i) => store.appendChunk(begun.attempt, first + i, c, Number.MAX_SAFE_INTEGER)));
      expect(results.every((r) => r === "ok")).toBe(true);
      // Nothing detached or changed on this side.
      chunks.forEach((c, i) => expect(c.equals(before[i]!)).toBe(true));
    }
    const total = copies.reduce((n, c) => n + c.length, 0);
    expect(await store.endPart(begun.attempt, 0, copies.length, total)).toBe("ok");
    expect(await store.storageBytes()).toBe(total);
    // Read back on this thread's own connection.
    for (const [seq, c] of copies.entries()) expect(Buffer.from((await store.readChunk(up.fileId, seq))!).equals(c)).toBe(true);
    await store.deleteFile(up.fileId);
    expect(await store.readChunk(up.fileId, 0)).toBeNull();
    expect(await store.storageBytes()).toBe(0);
  });

  it("copies a byte view once for the message: a window gets a buffer of its own to move, a whole buffer is left to the clone", () => {
    const pool = new Uint8Array(8192);
    const window = pool.subarray(100, 132);
    const whole = new Uint8Array(64);
    const transfer: ArrayBuffer[] = [];
    const [copied, same] = transferable([window, whole], transfer) as [Uint8Array, Uint8Array];
    expect(copied.buffer.byteLength).toBe(32);
    expect(copied.buffer).not.toBe(pool.buffer);
    expect(same).toBe(whole);
    expect(transfer).toEqual([copied.buffer]);
    // A large view may go to shared memory instead, and comes out on the other side as a view of it.
    const shared = new SharedArrayBuffer(SHARED_SLOTS * SHARED_SLOT_BYTES);
    const big = randomBytes(200_000);
    const placed = transferable({ sealed: big, small: whole }, [], (view) => {
      if (view.byteLength < SHARED_MIN_BYTES) return null;
      new Uint8Array(shared).set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength), 2 * SHARED_SLOT_BYTES);
      return { sharedSlot: 2, byteLength: view.byteLength };
    }) as { sealed: unknown; small: unknown };
    expect(placed.sealed).toEqual({ sharedSlot: 2, byteLength: 200_000 });
    expect(placed.small).toBe(whole);
    const back = fromShared([placed], shared) as [{ sealed: Buffer; small: Uint8Array }];
    expect(back[0].sealed.buffer).toBe(shared);
    expect(back[0].sealed.equals(big)).toBe(true);
    expect(() => fromShared({ sharedSlot: SHARED_SLOTS, byteLength: 1 }, shared)).toThrow();
  });

  it("stops reporting ready once the writer thread's WAL sync failed, and refuses every later write", async () => {
    const file = tempFile();
    const store = await openTemp(file);
    await store.createLink(makeLink());
    await store.ping();
    // A real failure, no injection: the WAL the writer's syncer holds loses its name, so its next round finds no
    // file to sync at the path (see WalSyncer) and the sync fails for good. This thread's connection never syncs.
    unlinkSync(`${file}-wal`);
    await expect(store.createLink(makeLink())).rejects.toThrow(/write-ahead log/);
    expect(store.writeFailure).toBeInstanceOf(Error);
    await expect(store.ping()).rejects.toThrow(/write-ahead log/);
    await expect(store.createLink(makeLink())).rejects.toThrow(/write-ahead log/);
  });

  it("refuses an in-memory database, which a second thread could not share", async () => {
    await expect(openThreadedSqliteStore({ file: ":memory:" })).rejects.toThrow(/file/);
  });
});
