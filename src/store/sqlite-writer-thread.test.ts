import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { describeLinkStoreContract, makeLink, T0 } from "./contract.js";
import { openSqliteStore, type SqliteLinkStore } from "./sqlite.js";
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

  it("refuses an in-memory database, which a second thread could not share", async () => {
    await expect(openThreadedSqliteStore({ file: ":memory:" })).rejects.toThrow(/file/);
  });
});
