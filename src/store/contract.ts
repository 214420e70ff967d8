import { createHash, randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { effectiveState } from "../core/link.js";
import {
  FILE_STREAM_LEASE_MS,
  MAX_EVENTS_PER_LINK,
  type LinkStore,
  type NewLink,
  type NewUpload,
  type PartAttempt,
  type ReleasedContent,
  type UploadState,
} from "./link-store.js";

/** A fixed clock origin: every test passes time in explicitly, as the store's callers do. */
export const T0 = 1_750_000_000_000;

/** Fresh random bytes as a plain Uint8Array (not a Buffer), so adapters are tested with what the interface allows. */
export function randomHash(size = 32): Uint8Array {
  return new Uint8Array(randomBytes(size));
}

/**
 * A random fresh link created at `T0` that expires in an hour, with distinctive random content and key.
 * @example const link = makeLink({ expiresAt: T0 + 1000 });
 */
export function makeLink(overrides: Partial<NewLink> = {}): NewLink {
  return {
    idHash: randomHash(),
    manageHash: randomHash(),
    kind: "ciphertext",
    keyVersion: 1,
    wrappedKey: randomHash(60),
    sealed: randomHash(100),
    policy: JSON.stringify({ nonce: Buffer.from(randomBytes(6)).toString("hex") }),
    createdAt: T0,
    expiresAt: T0 + 3_600_000,
    ...overrides,
  };
}

/** A random upload started at `T0` that may run for an hour. */
export function makeUpload(overrides: Partial<NewUpload> = {}): NewUpload {
  return {
    fileId: randomHash(16),
    uploadHash: randomHash(),
    keyVersion: 1,
    wrappedKey: randomHash(60),
    createdAt: T0,
    expiresAt: T0 + 3_600_000,
    ...overrides,
  };
}
const sha256Bytes = (bytes: Uint8Array): Uint8Array => new Uint8Array(createHash("sha256").update(bytes).digest());

const hex = (bytes: Uint8Array | null | undefined): string | null => (bytes ? Buffer.from(bytes).toString("hex") : null);

/**
 * The behaviour every LinkStore adapter must show, as a vitest `describe` block. `open` is called before each test and
 * must return a store over an EMPTY database (purge counts are asserted exactly); the store is closed after each
 * test, then `cleanup` runs.
 * @example describeLinkStoreContract("sqlite", () => openSqliteStore({ file: tempFile() }), removeTempFiles);
 */
export function describeLinkStoreContract(name: string, open: () => Promise<LinkStore>, cleanup?: () => Promise<void>): void {
  describe(`LinkStore contract: ${name}`, () => {
    let store: LinkStore;

    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
      await cleanup?.();
    });

    /** Consumes `link` at `now` and insists it released exactly that link's content. */
    async function consumeOk(link: NewLink, now = T0 + 1): Promise<ReleasedContent> {
      const content = await store.consume(link.idHash, now);
      expect(content).not.toBeNull();
      expect(hex(content!.sealed)).toBe(hex(link.sealed));
      return content!;
    }

    async function stateOf(link: NewLink, now = T0): Promise<string | null> {
      const meta = await store.getLinkMeta(link.idHash);
      return meta ? effectiveState(meta, now) : null;
    }

    it("round-trips a created link's metadata and knows nothing of other ids", async () => {
      const link = makeLink({ kind: "text", policy: '{"passphrase":true}' });
      await store.createLink(link);
      const meta = await store.getLinkMeta(link.idHash);
      expect(meta).not.toBeNull();
      expect({ ...meta!, manageHash: hex(meta!.manageHash) }).toEqual({
        state: "fresh",
        createdAt: link.createdAt,
        expiresAt: link.expiresAt,
        endedAt: null,
        manageHash: hex(link.manageHash),
        kind: "text",
        policy: '{"passphrase":true}',
      });
      expect(await store.getLinkMeta(randomHash())).toBeNull();
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it("refuses a second link with the same id and keeps the first intact", async () => {
      const link = makeLink();
      await store.createLink(link);
      await expect(store.createLink(makeLink({ idHash: link.idHash }))).rejects.toThrow();
      await consumeOk(link);
    });

    it("releases the content exactly once, then every consume gets null", async () => {
      const link = makeLink({ kind: "text", keyVersion: 7 });
      await store.createLink(link);
      expect(await store.redeemChallenge(randomHash(), T0 + 300_000, link.idHash, T0)).toBe("ok");
      // Redeeming a challenge changes nothing about the link.
      expect(await store.getLinkMeta(link.idHash)).toMatchObject({ state: "fresh", endedAt: null });

      const content = await consumeOk(link, T0 + 10);
      expect(content.kind).toBe("text");
      expect(content.keyVersion).toBe(7);
      expect(hex(content.wrappedKey)).toBe(hex(link.wrappedKey));

      expect(await store.getLinkMeta(link.idHash)).toMatchObject({ state: "consumed", endedAt: T0 + 10 });
      expect(await store.consume(link.idHash, T0 + 11)).toBeNull();
      expect(await store.consume(link.idHash, T0 + 12)).toBeNull();
      expect(await store.getLinkMeta(link.idHash)).toMatchObject({ state: "consumed", endedAt: T0 + 10 });
      expect(await store.consume(randomHash(), T0 + 12)).toBeNull();
    });

    it("answers null to a consume after the link's expiry, even before any purge", async () => {
      const link = makeLink({ expiresAt: T0 + 10_000 });
      const justInTime = makeLink({ expiresAt: T0 + 10_000 });
      await store.createLink(link);
      await store.createLink(justInTime);
      expect(await store.consume(link.idHash, T0 + 10_000)).toBeNull();
      expect(await stateOf(link, T0 + 10_000)).toBe("expired");
      await consumeOk(justInTime, T0 + 9_999);
    });

    it("refuses challenges for consumed, expired, revoked and unknown links without burning them", async () => {
      const consumed = makeLink();
      const expired = makeLink({ expiresAt: T0 + 1000 });
      const revoked = makeLink();
      const fresh = makeLink({ expiresAt: T0 + 3_600_000 });
      for (const link of [consumed, expired, revoked, fresh]) await store.createLink(link);
      await consumeOk(consumed);
      expect(await store.revoke(revoked.idHash, T0 + 1)).toBe(true);

      const now = T0 + 2000;
      const challenge = randomHash();
      for (const link of [consumed, expired, revoked, makeLink()]) {
        expect(await store.redeemChallenge(challenge, now + 300_000, link.idHash, now)).toBe("unavailable");
      }
      expect(await stateOf(expired, now)).toBe("expired");
      // The same challenge still works on a fresh link: none of the refusals spent it.
      expect(await store.redeemChallenge(challenge, now + 300_000, fresh.idHash, now)).toBe("ok");
      expect(await store.redeemChallenge(challenge, now + 300_000, fresh.idHash, now + 1)).toBe("challenge-used");
    });

    it("accepts a challenge once ('challenge-used' after), and only one of many concurrent redemptions", async () => {
      const a = makeLink();
      const b = makeLink();
      await store.createLink(a);
      await store.createLink(b);
      const challenge = randomHash();
      expect(await store.redeemChallenge(challenge, T0 + 1000, a.idHash, T0)).toBe("ok");
      expect(await store.redeemChallenge(challenge, T0 + 300_000, a.idHash, T0 + 1)).toBe("challenge-used");
      // Used is used, whatever link it is presented for, and the refusal changes nothing (not even the expiry).
      expect(await store.redeemChallenge(challenge, T0 + 300_000, b.idHash, T0 + 999)).toBe("challenge-used");
      // Once expired it is dead weight, purged or not: the HTTP layer already rejects stale challenges.
      expect(await store.redeemChallenge(challenge, T0 + 300_000, b.idHash, T0 + 1000)).toBe("ok");
      expect(await store.redeemChallenge(challenge, T0 + 300_000, a.idHash, T0 + 1001)).toBe("challenge-used");

      const raced = randomHash();
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => store.redeemChallenge(raced, T0 + 300_000, (i % 2 ? a : b).idHash, T0 + 3)),
      );
      expect(results.filter((r) => r === "ok")).toHaveLength(1);
      expect(results.filter((r) => r === "challenge-used")).toHaveLength(49);
      // None of it touched the links.
      await consumeOk(a);
      await consumeOk(b);
    });

    it("revokes a fresh link once, destroying what a consume could have released", async () => {
      const link = makeLink();
      await store.createLink(link);
      expect(await store.redeemChallenge(randomHash(), T0 + 300_000, link.idHash, T0)).toBe("ok");
      expect(await store.revoke(link.idHash, T0 + 5)).toBe(true);
      expect(await store.getLinkMeta(link.idHash)).toMatchObject({ state: "revoked", endedAt: T0 + 5 });
      expect(await store.consume(link.idHash, T0 + 6)).toBeNull();
      expect(await store.revoke(link.idHash, T0 + 7)).toBe(false);
      expect(await store.revoke(randomHash(), T0 + 7)).toBe(false);

      const late = makeLink({ expiresAt: T0 + 1000 });
      await store.createLink(late);
      expect(await store.revoke(late.idHash, T0 + 1000)).toBe(false);
      expect(await stateOf(late, T0 + 1000)).toBe("expired");

      const consumed = makeLink();
      await store.createLink(consumed);
      await consumeOk(consumed);
      expect(await store.revoke(consumed.idHash, T0 + 2)).toBe(false);
      expect((await store.getLinkMeta(consumed.idHash))?.state).toBe("consumed");
    });

    it("expires a link past its expiry at once, destroying its content, and leaves every other link alone", async () => {
      const due = makeLink({ expiresAt: T0 + 1000 });
      const alive = makeLink({ expiresAt: T0 + 5000 });
      const consumed = makeLink({ expiresAt: T0 + 1000 });
      for (const link of [due, alive, consumed]) await store.createLink(link);
      await consumeOk(consumed, T0 + 10);
      for (const link of [due, alive, consumed]) await store.expire(link.idHash, T0 + 1000);
      await store.expire(randomHash(), T0 + 1000);
      expect(await store.getLinkMeta(due.idHash)).toMatchObject({ state: "expired", endedAt: due.expiresAt });
      expect(await store.getLinkMeta(alive.idHash)).toMatchObject({ state: "fresh", endedAt: null });
      expect(await store.getLinkMeta(consumed.idHash)).toMatchObject({ state: "consumed", endedAt: T0 + 10 });
      // Whatever the clock says afterwards, an expired link opens no more.
      expect(await store.consume(due.idHash, T0 + 500)).toBeNull();
      expect(await store.redeemChallenge(randomHash(), T0 + 300_000, due.idHash, T0 + 500)).toBe("unavailable");
      await consumeOk(alive, T0 + 1000);
    });

    it("counts wrong passphrases atomically and expires the link, destroying its content, at the limit", async () => {
      const link = makeLink();
      await store.createLink(link);
      expect(await store.failAttempt(link.idHash, T0 + 1, 3)).toBe(2);
      expect(await stateOf(link)).toBe("fresh");
      // Concurrent wrong tries: each is counted once, and exactly one of them reaches the limit.
      const results = await Promise.all([store.failAttempt(link.idHash, T0 + 2, 3), store.failAttempt(link.idHash, T0 + 2, 3)]);
      expect(results.sort()).toEqual([0, 1]);
      expect(await store.getLinkMeta(link.idHash)).toMatchObject({ state: "expired", endedAt: T0 + 2 });
      expect(await store.consume(link.idHash, T0 + 3)).toBeNull();
      expect(await store.failAttempt(link.idHash, T0 + 3, 3)).toBeNull();
      expect(await store.failAttempt(randomHash(), T0 + 3, 3)).toBeNull();

      const other = makeLink();
      await store.createLink(other);
      expect(await store.failAttempt(other.idHash, T0 + 1, 5)).toBe(4);
      await consumeOk(other, T0 + 2);
      expect(await store.failAttempt(other.idHash, T0 + 3, 5)).toBeNull();
    });

    it("purges: expires past-due fresh links and forgets expired challenges, nothing else", async () => {
      const due = makeLink({ expiresAt: T0 + 1000 });
      const alive = makeLink({ expiresAt: T0 + 100_000 });
      await store.createLink(due);
      await store.createLink(alive);
      const dying = randomHash();
      const living = randomHash();
      expect(await store.redeemChallenge(dying, T0 + 500, alive.idHash, T0)).toBe("ok");
      expect(await store.redeemChallenge(living, T0 + 50_000, alive.idHash, T0)).toBe("ok");
      expect(await store.redeemChallenge(randomHash(), T0 + 60_000, due.idHash, T0)).toBe("ok");

      const now = T0 + 2000;
      expect(await store.purgeExpired(now)).toEqual({ expired: 1, challenges: 1, files: 0 });
      expect(await store.getLinkMeta(due.idHash)).toMatchObject({ state: "expired", endedAt: due.expiresAt });
      expect(await store.getLinkMeta(alive.idHash)).toMatchObject({ state: "fresh", endedAt: null });
      expect(await store.consume(due.idHash, now)).toBeNull();
      expect(await store.purgeExpired(now)).toEqual({ expired: 0, challenges: 0, files: 0 });
      // The forgotten challenge can be redeemed again; the unexpired ones are still remembered.
      expect(await store.redeemChallenge(living, now + 300_000, alive.idHash, now)).toBe("challenge-used");
      expect(await store.redeemChallenge(dying, now + 300_000, alive.idHash, now)).toBe("ok");
      await consumeOk(alive, now + 1);
    });

    it("lets exactly one of 300 concurrent consumes of one link win", async () => {
      const link = makeLink();
      await store.createLink(link);
      const results = await Promise.all(Array.from({ length: 300 }, () => store.consume(link.idHash, T0 + 1)));
      const winners = results.filter((r) => r !== null);
      expect(winners).toHaveLength(1);
      expect(hex(winners[0]!.sealed)).toBe(hex(link.sealed));
      expect(hex(winners[0]!.wrappedKey)).toBe(hex(link.wrappedKey));
      expect((await store.getLinkMeta(link.idHash))?.state).toBe("consumed");
    });

    it("ends each link one way only when a consume races its revoke, its expiry, its purge or its last wrong passphrase", async () => {
      // The consume runs just before the expiry (a request that started in time); everything else just after it.
      const expiresAt = T0 + 1000;
      let purge: Promise<unknown> | null = null;
      const enders: Array<[string, (link: NewLink) => Promise<unknown>]> = [
        ["revoke", (link) => store.revoke(link.idHash, T0 + 999)],
        ["expire", (link) => store.expire(link.idHash, expiresAt)],
        // One purge run against all the consumes, as the job runs.
        ["purge", () => (purge ??= store.purgeExpired(expiresAt))],
        ["last wrong passphrase", (link) => store.failAttempt(link.idHash, T0 + 999, 1)],
      ];
      const ended: Record<string, string> = { revoke: "revoked", expire: "expired", purge: "expired", "last wrong passphrase": "expired" };
      for (const [name, end] of enders) {
        const links = Array.from({ length: 40 }, () => makeLink({ expiresAt }));
        for (const link of links) await store.createLink(link);
        // All at once, each pair queued in both orders: the consumes and the endings meet in the same batches.
        const released = await Promise.all(
          links.map(async (link, i) => {
            if (i % 2 === 0) return (await Promise.all([store.consume(link.idHash, T0 + 999), end(link)]))[0];
            return (await Promise.all([end(link), store.consume(link.idHash, T0 + 999)]))[1];
          }),
        );
        for (const [i, link] of links.entries()) {
          const state = (await store.getLinkMeta(link.idHash))?.state;
          // The content went out exactly when the link ended consumed; otherwise nothing is left to release.
          if (released[i] === null) expect(state, name).toBe(ended[name]);
          else {
            expect(state, name).toBe("consumed");
            expect(hex(released[i]!.sealed), name).toBe(hex(link.sealed));
          }
          expect(await store.consume(link.idHash, T0 + 999), name).toBeNull();
        }
      }
    });

    it("re-wraps the data keys of fresh links under an old master key, and only those", async () => {
      const old = Array.from({ length: 3 }, () => makeLink({ keyVersion: 1 }));
      const current = makeLink({ keyVersion: 2 });
      const consumed = makeLink({ keyVersion: 1 });
      for (const l of [...old, current, consumed]) await store.createLink(l);
      await consumeOk(consumed);
      const seen: string[] = [];
      const rewrapped = await store.rewrapKeys(2, (idHash, keyVersion, wrappedKey) => {
        expect(keyVersion).toBe(1);
        seen.push(hex(idHash)!);
        return { keyVersion: 2, wrappedKey: Buffer.concat([Buffer.from("v2:"), Buffer.from(wrappedKey)]) };
      });
      expect(rewrapped).toBeGreaterThanOrEqual(3);
      for (const l of old) expect(seen).toContain(hex(l.idHash));
      expect(seen).not.toContain(hex(current.idHash));
      expect(seen).not.toContain(hex(consumed.idHash));
      expect(await store.rewrapKeys(2, () => { throw new Error("nothing left to re-wrap"); })).toBe(0);
      const out = await consumeOk(old[0]!);
      expect(out.keyVersion).toBe(2);
      expect(hex(out.wrappedKey)).toBe(hex(Buffer.concat([Buffer.from("v2:"), Buffer.from(old[0]!.wrappedKey)])));
    });

    it("keeps a bounded, ordered event log per link and ignores events for unknown links", async () => {
      const link = makeLink();
      await store.createLink(link);
      await Promise.all(["chat-preview", "mail-scanner", "prefetch"].map((kind, i) => store.recordEvent(link.idHash, { kind, at: T0 + i })));
      expect((await store.listEvents(link.idHash)).map((e) => e.kind).sort()).toEqual(["chat-preview", "mail-scanner", "prefetch"]);
      const unknown = randomHash();
      await store.recordEvent(unknown, { kind: "prefetch", at: T0 });
      expect(await store.listEvents(unknown)).toEqual([]);
      for (let i = 0; i < MAX_EVENTS_PER_LINK + 20; i++) await store.recordEvent(link.idHash, { kind: "prefetch", at: T0 + 10 + i });
      const events = await store.listEvents(link.idHash);
      expect(events).toHaveLength(MAX_EVENTS_PER_LINK);
      // Events never change a link's state.
      expect((await store.getLinkMeta(link.idHash))?.state).toBe("fresh");
    });

    describe("files", () => {
      const NO_QUOTA = Number.MAX_SAFE_INTEGER;

      /** Begins a part and insists it began; returns this attempt's hold on it and the upload's state. */
      async function begin(up: NewUpload, part: number, now: number, leaseUntil: number): Promise<{ attempt: PartAttempt; upload: UploadState }> {
        const begun = await store.beginPart(up.uploadHash, part, now, leaseUntil);
        if (!begun.ok) throw new Error(`part ${part} did not begin: ${begun.reason}`);
        expect(hex(begun.attempt.fileId)).toBe(hex(up.fileId));
        return begun;
      }

      /** Uploads `parts` (arrays of chunks) through the part protocol; returns the chunks in order. */
      async function upload(up: NewUpload, parts: Uint8Array[][], now = T0 + 1): Promise<Uint8Array[]> {
        await store.createUpload(up);
        let seq = 0;
        let bytes = 0;
        for (const [part, chunks] of parts.entries()) {
          const { attempt } = await begin(up, part, now, now + 60_000);
          for (const chunk of chunks) {
            expect(await store.appendChunk(attempt, seq++, chunk, NO_QUOTA)).toBe("ok");
            bytes += chunk.length;
          }
          expect(await store.endPart(attempt, part, seq, bytes)).toBe("ok");
        }
        return parts.flat();
      }

      async function readAll(fileId: Uint8Array, count: number): Promise<Array<string | null>> {
        const out: Array<string | null> = [];
        for (let seq = 0; seq < count; seq++) out.push(hex(await store.readChunk(fileId, seq)));
        return out;
      }

      it("uploads parts in order, hands the file to a fresh link, and releases it once with its chunks", async () => {
        const up = makeUpload();
        const chunks = await upload(up, [[randomHash(1000), randomHash(1000)], [randomHash(500)]]);
        expect(await store.getUpload(up.uploadHash, T0 + 2)).toMatchObject({ nextPart: 2, nextSeq: 3, storedBytes: 2500, busy: false });
        expect(await store.storageBytes()).toBe(2500);

        const link = makeLink({ kind: "file" });
        expect(await store.finishUpload(up.uploadHash, up.fileId, 2, link, T0 + 2)).toBe(false); // wrong chunk count
        expect(await store.finishUpload(up.uploadHash, up.fileId, 3, link, T0 + 2)).toBe(true);
        expect(await store.finishUpload(up.uploadHash, up.fileId, 3, makeLink(), T0 + 2)).toBe(false);
        expect(await store.getUpload(up.uploadHash, T0 + 2)).toBeNull();
        expect(await store.beginPart(up.uploadHash, 2, T0 + 2, T0 + 60_000)).toEqual({ ok: false, reason: "unavailable" });
        expect(await store.appendChunk({ fileId: up.fileId, attempt: 2 }, 3, randomHash(10), NO_QUOTA)).toBe("unavailable");
        expect((await store.getLinkMeta(link.idHash))?.kind).toBe("file");

        const released = await consumeOk(link, T0 + 3);
        expect(hex(released.fileId)).toBe(hex(up.fileId));
        expect(await store.consume(link.idHash, T0 + 4)).toBeNull();
        // The data key is gone from the link; the chunks stay until the download deletes them.
        expect(await readAll(up.fileId, 3)).toEqual(chunks.map(hex));
        await store.leaseFile(up.fileId, T0 + 10 * FILE_STREAM_LEASE_MS);
        await store.dropChunks(up.fileId, 2);
        expect(await readAll(up.fileId, 3)).toEqual([null, null, hex(chunks[2])]);
        expect(await store.storageBytes()).toBe(500);
        await store.deleteFile(up.fileId);
        expect(await readAll(up.fileId, 3)).toEqual([null, null, null]);
        expect(await store.storageBytes()).toBe(0);
      });

      it("cancels an upload only while it is one: a finished upload's link keeps its file, a cancelled one cannot finish", async () => {
        // Finished first, cancelled after (a cancel or the sweep that raced the finish): the new link's file stays whole.
        const done = makeUpload();
        const chunks = await upload(done, [[randomHash(300), randomHash(200)]]);
        const link = makeLink({ kind: "file" });
        expect(await store.finishUpload(done.uploadHash, done.fileId, 2, link, T0 + 2)).toBe(true);
        expect(await store.cancelUpload(done.fileId)).toBe(false);
        expect(await readAll(done.fileId, 2)).toEqual(chunks.map(hex));
        expect(await store.storageBytes()).toBe(500);
        expect(hex((await consumeOk(link, T0 + 3)).fileId)).toBe(hex(done.fileId));

        // Cancelled first: everything of it goes, bytes included, and a finish after it fails.
        const cancelled = makeUpload();
        await upload(cancelled, [[randomHash(100)]]);
        expect(await store.storageBytes()).toBe(600);
        expect(await store.cancelUpload(cancelled.fileId)).toBe(true);
        expect(await store.readChunk(cancelled.fileId, 0)).toBeNull();
        expect(await store.storageBytes()).toBe(500);
        expect(await store.getUpload(cancelled.uploadHash, T0 + 2)).toBeNull();
        const late = makeLink({ kind: "file" });
        expect(await store.finishUpload(cancelled.uploadHash, cancelled.fileId, 1, late, T0 + 2)).toBe(false);
        expect(await store.getLinkMeta(late.idHash)).toBeNull();
        expect(await store.cancelUpload(cancelled.fileId)).toBe(false);

        // The file of the consumed link is still removed by the path meant for it (a download, or the sweep).
        await store.deleteFile(done.fileId);
        expect(await readAll(done.fileId, 2)).toEqual([null, null]);
        expect(await store.storageBytes()).toBe(0);
      });

      it("takes parts in order; an unfinished part is undone, and a part sent again takes over from the one before", async () => {
        const up = makeUpload();
        await store.createUpload(up);
        expect(await store.beginPart(up.uploadHash, 1, T0, T0 + 1000)).toEqual({ ok: false, reason: "out-of-order", nextPart: 0 });
        const first = await begin(up, 0, T0, T0 + 1000);
        expect(first.upload).toMatchObject({ nextPart: 0, nextSeq: 0, storedBytes: 0, busy: true });
        expect(await store.appendChunk(first.attempt, 0, randomHash(100), NO_QUOTA)).toBe("ok");
        expect(await store.appendChunk(first.attempt, 1, randomHash(100), NO_QUOTA)).toBe("ok");
        expect(await store.abortPart(first.attempt)).toBe("ok");
        expect(await store.storageBytes()).toBe(0);
        expect(await store.readChunk(up.fileId, 0)).toBeNull();
        // Undone, the attempt holds nothing any more: a second undo or a late chunk of it changes nothing.
        expect(await store.abortPart(first.attempt)).toBe("superseded");
        expect(await store.appendChunk(first.attempt, 0, randomHash(100), NO_QUOTA)).toBe("superseded");
        expect(await store.readChunk(up.fileId, 0)).toBeNull();

        // A writer that dies mid-part (its lease still running): the part sent again starts clean, at once.
        const crashed = await begin(up, 0, T0 + 2, T0 + 1000);
        expect(await store.appendChunk(crashed.attempt, 0, randomHash(100), NO_QUOTA)).toBe("ok");
        expect((await store.getUpload(up.uploadHash, T0 + 3))?.busy).toBe(true);
        // A busy upload cannot be finished, until the lease of the part runs out.
        expect(await store.finishUpload(up.uploadHash, up.fileId, 0, makeLink({ kind: "file" }), T0 + 999)).toBe(false);
        const retry = await begin(up, 0, T0 + 3, T0 + 5000);
        expect(retry.attempt.attempt).toBeGreaterThan(crashed.attempt.attempt);
        expect(retry.upload).toMatchObject({ nextSeq: 0, storedBytes: 0 });
        expect(await store.readChunk(up.fileId, 0)).toBeNull();
        expect(await store.storageBytes()).toBe(0);
        expect(await store.endPart(retry.attempt, 0, 0, 0)).toBe("ok");
        // Stored in full, a part cannot be begun again: the answer says which part comes next.
        expect(await store.beginPart(up.uploadHash, 0, T0 + 4, T0 + 5000)).toEqual({ ok: false, reason: "out-of-order", nextPart: 1 });
      });

      it("fences a superseded attempt: it cannot append, end, undo or cancel, and the new attempt's file stays whole", async () => {
        const up = makeUpload();
        await store.createUpload(up);
        const zero = randomHash(700);
        const part0 = await begin(up, 0, T0 + 1, T0 + 1000);
        expect(await store.appendChunk(part0.attempt, 0, zero, NO_QUOTA)).toBe("ok");
        expect(await store.endPart(part0.attempt, 0, 1, 700)).toBe("ok");

        // Part 1: its writer stores a chunk, then stalls past its lease; the client sends part 1 again.
        const stale = await begin(up, 1, T0 + 2, T0 + 1000);
        expect(await store.appendChunk(stale.attempt, 1, randomHash(400), NO_QUOTA)).toBe("ok");
        const fresh = await begin(up, 1, T0 + 2000, T0 + 60_000);
        expect(fresh.attempt.attempt).not.toBe(stale.attempt.attempt);
        expect(fresh.upload).toMatchObject({ nextPart: 1, nextSeq: 1, storedBytes: 700 });
        expect(await store.readChunk(up.fileId, 1)).toBeNull();
        expect(await store.storageBytes()).toBe(700);
        const one = [randomHash(1000), randomHash(300)];
        expect(await store.appendChunk(fresh.attempt, 1, one[0]!, NO_QUOTA)).toBe("ok");

        // The stale writer wakes up: each of its writes is refused and changes nothing. (Before fencing, its chunk 2
        // went in beside the new attempt's, its end set the part's length, its undo deleted the new chunks.)
        expect(await store.appendChunk(stale.attempt, 2, randomHash(999), NO_QUOTA)).toBe("superseded");
        expect(await store.appendChunk(stale.attempt, 1, randomHash(999), NO_QUOTA)).toBe("superseded");
        expect(await store.endPart(stale.attempt, 1, 3, 700 + 400 + 999)).toBe("superseded");
        expect(await store.abortPart(stale.attempt)).toBe("superseded");
        expect(await store.cancelUploadFromPart(stale.attempt)).toBe("superseded");
        expect(await store.getUpload(up.uploadHash, T0 + 2001)).toMatchObject({ nextPart: 1, nextSeq: 1, storedBytes: 700, busy: true });
        expect(await readAll(up.fileId, 3)).toEqual([hex(zero), hex(one[0]), null]);
        expect(await store.storageBytes()).toBe(1700);

        expect(await store.appendChunk(fresh.attempt, 2, one[1]!, NO_QUOTA)).toBe("ok");
        expect(await store.endPart(fresh.attempt, 1, 3, 2000)).toBe("ok");
        // Ended, the part is nobody's: not even its own attempt writes to it again.
        expect(await store.appendChunk(fresh.attempt, 3, randomHash(10), NO_QUOTA)).toBe("superseded");
        expect(await store.endPart(stale.attempt, 1, 3, 2000)).toBe("superseded");
        expect(await store.getUpload(up.uploadHash, T0 + 2002)).toMatchObject({ nextPart: 2, nextSeq: 3, storedBytes: 2000, busy: false });

        // The file that comes out is exactly the new attempt's.
        const link = makeLink({ kind: "file" });
        expect(await store.finishUpload(up.uploadHash, up.fileId, 3, link, T0 + 2003)).toBe(true);
        expect(await store.appendChunk(stale.attempt, 3, randomHash(10), NO_QUOTA)).toBe("unavailable");
        expect(await store.cancelUploadFromPart(fresh.attempt)).toBe("unavailable");
        expect(hex((await consumeOk(link, T0 + 2004)).fileId)).toBe(hex(up.fileId));
        expect(await readAll(up.fileId, 4)).toEqual([hex(zero), hex(one[0]), hex(one[1]), null]);
        expect(await store.storageBytes()).toBe(2000);
      });

      it("gives a part to the last of many concurrent attempts: only its chunks go in", async () => {
        const up = makeUpload();
        await store.createUpload(up);
        const attempts = await Promise.all(Array.from({ length: 12 }, () => begin(up, 0, T0 + 1, T0 + 60_000)));
        const numbers = attempts.map((a) => a.attempt.attempt);
        expect(new Set(numbers).size).toBe(12);
        const last = Math.max(...numbers);
        const results = await Promise.all(attempts.map((a) => store.appendChunk(a.attempt, 0, randomHash(100), NO_QUOTA)));
        expect(results.filter((r) => r === "ok")).toHaveLength(1);
        expect(results[numbers.indexOf(last)]).toBe("ok");
        expect(results.filter((r) => r === "superseded")).toHaveLength(11);
        const ends = await Promise.all(attempts.map((a) => store.endPart(a.attempt, 0, 1, 100)));
        expect(ends.filter((r) => r === "ok")).toHaveLength(1);
        expect(await store.storageBytes()).toBe(100);
        expect(await store.getUpload(up.uploadHash, T0 + 2)).toMatchObject({ nextPart: 1, nextSeq: 1, storedBytes: 100, busy: false });
      });

      it("lets only the attempt holding a part end the upload when the part is refused", async () => {
        const up = makeUpload();
        await store.createUpload(up);
        const stale = await begin(up, 0, T0 + 1, T0 + 60_000);
        const fresh = await begin(up, 0, T0 + 2, T0 + 60_000);
        expect(await store.appendChunk(fresh.attempt, 0, randomHash(100), NO_QUOTA)).toBe("ok");
        expect(await store.cancelUploadFromPart(stale.attempt)).toBe("superseded");
        expect(await store.storageBytes()).toBe(100);
        expect(await store.cancelUploadFromPart(fresh.attempt)).toBe("ok");
        expect(await store.storageBytes()).toBe(0);
        expect(await store.getUpload(up.uploadHash, T0 + 3)).toBeNull();
        expect(await store.appendChunk(fresh.attempt, 1, randomHash(100), NO_QUOTA)).toBe("unavailable");
        expect(await store.beginPart(up.uploadHash, 0, T0 + 3, T0 + 60_000)).toEqual({ ok: false, reason: "unavailable" });
      });

      it("counts every chunk against the storage quota, exactly, under concurrency", async () => {
        const up = makeUpload();
        await store.createUpload(up);
        const { attempt } = await begin(up, 0, T0, T0 + 60_000);
        const results = await Promise.all(Array.from({ length: 20 }, (_, seq) => store.appendChunk(attempt, seq, randomHash(1000), 7500)));
        expect(results.filter((r) => r === "ok")).toHaveLength(7);
        expect(results.filter((r) => r === "quota")).toHaveLength(13);
        expect(await store.storageBytes()).toBe(7000);
        await store.deleteFile(up.fileId);
        expect(await store.storageBytes()).toBe(0);
        expect(await store.getUpload(up.uploadHash, T0)).toBeNull();
      });

      it("sweeps expired uploads and the files of ended links, but not fresh ones or a download's", async () => {
        const stale = makeUpload({ expiresAt: T0 + 1000 });
        await upload(stale, [[randomHash(100)]]);
        const [fresh, consumed, revoked, streaming] = [makeUpload(), makeUpload(), makeUpload(), makeUpload()];
        const links = [makeLink({ kind: "file" }), makeLink({ kind: "file" }), makeLink({ kind: "file" }), makeLink({ kind: "file" })];
        for (const [i, up] of [fresh, consumed, revoked, streaming].entries()) {
          await upload(up, [[randomHash(100), randomHash(100)]]);
          expect(await store.finishUpload(up.uploadHash, up.fileId, 2, links[i]!, T0 + 2)).toBe(true);
        }
        await consumeOk(links[1]!, T0 + 3);
        expect(await store.revoke(links[2]!.idHash, T0 + 3)).toBe(true);
        await consumeOk(links[3]!, T0 + 3);
        await store.leaseFile(streaming.fileId, T0 + 10 * FILE_STREAM_LEASE_MS);

        // Right after the consume, the download still has time to take its lease.
        expect((await store.purgeExpired(T0 + 2000)).files).toBe(1);
        expect(await store.readChunk(stale.fileId, 0)).toBeNull();
        expect(await store.readChunk(consumed.fileId, 0)).not.toBeNull();

        const later = T0 + 3 + FILE_STREAM_LEASE_MS + 1;
        expect((await store.purgeExpired(later)).files).toBe(2);
        expect(await store.readChunk(consumed.fileId, 1)).toBeNull();
        expect(await store.readChunk(revoked.fileId, 0)).toBeNull();
        expect(await store.readChunk(streaming.fileId, 0)).not.toBeNull();
        expect(await store.readChunk(fresh.fileId, 0)).not.toBeNull();
        expect(await store.storageBytes()).toBe(400);

        // The lease runs out (the download's process died): swept. The fresh link expires: swept with it.
        expect((await store.purgeExpired(T0 + 10 * FILE_STREAM_LEASE_MS)).files).toBe(1);
        const afterExpiry = links[0]!.expiresAt + FILE_STREAM_LEASE_MS + 1;
        expect(await store.purgeExpired(afterExpiry)).toEqual({ expired: 1, challenges: 0, files: 1 });
        expect(await store.storageBytes()).toBe(0);
      });
    });

    it("enrols one passkey per handle with a one-time token, refuses takeovers, and finds it by handle and by credential", async () => {
      const enrolment = (handle: string, expiresAt = T0 + 60_000) => ({ handle, enrolHash: randomHash(), manageHash: randomHash(), expiresAt });
      const passkey = (counter = 0) => ({ credentialId: randomHash(16), publicKey: randomHash(77), counter, discoverable: true, transports: ["internal", "hybrid"] });
      const first = enrolment("alice@example.org");
      expect(await store.issueEnrolment(first, T0)).toBe("ok");
      // A live enrolment link holds the handle: nobody else can issue another one for it meanwhile.
      expect(await store.issueEnrolment(enrolment("alice@example.org"), T0 + 1)).toBe("taken");
      expect(await store.pendingEnrolment(first.enrolHash, T0 + 1)).toEqual({ handle: "alice@example.org", expiresAt: first.expiresAt });
      expect(await store.pendingEnrolment(randomHash(), T0 + 1)).toBeNull();
      expect(await store.getPasskey("alice@example.org")).toBeNull();
      expect(await store.getHandle("alice@example.org")).toMatchObject({ enrolledAt: null, pendingUntil: first.expiresAt, createdAt: T0 });

      // Many concurrent completions of one token: exactly one enrols.
      const key = passkey(3);
      const raced = await Promise.all(Array.from({ length: 10 }, (_, i) => store.completeEnrolment(first.enrolHash, i === 0 ? key : passkey(), T0 + 2)));
      expect(raced.filter((h) => h === "alice@example.org")).toHaveLength(1);
      expect(raced.filter((h) => h === null)).toHaveLength(9);
      const stored = await store.getPasskey("alice@example.org");
      expect(stored).not.toBeNull();
      expect(stored!.handle).toBe("alice@example.org");
      expect(stored!.discoverable).toBe(true);
      expect(stored!.transports).toEqual(["internal", "hybrid"]);
      const credentialIdHash = sha256Bytes(stored!.credentialId);
      expect(hex((await store.findPasskey(credentialIdHash))?.publicKey)).toBe(hex(stored!.publicKey));
      expect(await store.findPasskey(randomHash())).toBeNull();
      expect(await store.pendingEnrolment(first.enrolHash, T0 + 3)).toBeNull();
      expect(await store.getHandle("alice@example.org")).toMatchObject({ enrolledAt: T0 + 2, pendingUntil: null });
      expect(hex((await store.getHandle("alice@example.org"))?.manageHash)).toBe(hex(first.manageHash));

      // An enrolled handle cannot be issued again, only replaced on purpose; the old passkey works until then.
      expect(await store.issueEnrolment(enrolment("alice@example.org"), T0 + 3)).toBe("taken");
      const replacement = enrolment("alice@example.org", T0 + 100_000);
      expect(await store.issueEnrolment(replacement, T0 + 4, true)).toBe("ok");
      expect(await store.getPasskey("alice@example.org")).not.toBeNull();
      // The same credential cannot be enrolled under two handles.
      const bob = enrolment("bob");
      expect(await store.issueEnrolment(bob, T0 + 4)).toBe("ok");
      expect(await store.completeEnrolment(bob.enrolHash, { ...passkey(), credentialId: stored!.credentialId }, T0 + 5)).toBeNull();
      const fresh = passkey();
      expect(await store.completeEnrolment(replacement.enrolHash, fresh, T0 + 6)).toBe("alice@example.org");
      expect(hex((await store.getPasskey("alice@example.org"))?.credentialId)).toBe(hex(fresh.credentialId));
      expect(await store.findPasskey(credentialIdHash)).toBeNull();

      // Counters only go up.
      const freshHash = sha256Bytes(fresh.credentialId);
      await store.updatePasskeyCounter(freshHash, 7);
      await store.updatePasskeyCounter(freshHash, 5);
      expect((await store.getPasskey("alice@example.org"))?.counter).toBe(7);

      // An expired enrolment link spends nothing and frees the handle (and the purge forgets it).
      const late = enrolment("carol", T0 + 1000);
      expect(await store.issueEnrolment(late, T0)).toBe("ok");
      expect(await store.completeEnrolment(late.enrolHash, passkey(), T0 + 1000)).toBeNull();
      expect(await store.pendingEnrolment(late.enrolHash, T0 + 1000)).toBeNull();
      const again = enrolment("carol", T0 + 90_000);
      expect(await store.issueEnrolment(again, T0 + 1001)).toBe("ok");
      expect(await store.pendingEnrolment(again.enrolHash, T0 + 1002)).toMatchObject({ handle: "carol" });
      expect(await store.purgeExpired(T0 + 200_000)).toEqual({ expired: 0, challenges: 0, files: 0 });
      expect(await store.getHandle("carol")).toBeNull();
      expect(await store.getHandle("bob")).toBeNull();
      expect(await store.getPasskey("alice@example.org")).not.toBeNull();

      expect(await store.removeHandle("alice@example.org")).toBe(true);
      expect(await store.removeHandle("alice@example.org")).toBe(false);
      expect(await store.getPasskey("alice@example.org")).toBeNull();
      expect(await store.findPasskey(freshHash)).toBeNull();
    });

    it("consumes 200 different links concurrently, each releasing its own content", async () => {
      const links = Array.from({ length: 200 }, () => makeLink());
      await Promise.all(links.map((l) => store.createLink(l)));
      const results = await Promise.all(links.map((l) => store.consume(l.idHash, T0 + 1)));
      results.forEach((r, i) => {
        expect(r).not.toBeNull();
        expect(hex(r?.sealed)).toBe(hex(links[i]!.sealed));
        expect(hex(r?.wrappedKey)).toBe(hex(links[i]!.wrappedKey));
      });
      const metas = await Promise.all(links.map((l) => store.getLinkMeta(l.idHash)));
      expect(metas.every((m) => m?.state === "consumed")).toBe(true);
    });
  });
}
