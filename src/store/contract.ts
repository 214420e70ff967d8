import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { effectiveState } from "../core/link.js";
import type { LinkStore, NewLink, NewSession } from "./link-store.js";

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

/** A random session for `link`, valid for two minutes after `T0`. */
export function makeSession(link: Pick<NewLink, "idHash">, overrides: Partial<NewSession> = {}): NewSession {
  return { tokenHash: randomHash(), linkIdHash: link.idHash, expiresAt: T0 + 120_000, binding: null, ...overrides };
}

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

    /** Mints a session at `now` with a fresh challenge and insists it worked. */
    async function mint(link: NewLink, now = T0, overrides: Partial<NewSession> = {}): Promise<NewSession> {
      const session = makeSession(link, overrides);
      expect(await store.createSession(session, randomHash(), now + 300_000, now)).toBe("ok");
      return session;
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
      const session = await mint(link);
      const result = await store.consume(session.tokenHash, link.idHash, T0 + 1);
      expect(result.ok && hex(result.content.sealed)).toBe(hex(link.sealed));
    });

    it("releases the content exactly once, then every session gets 'unavailable'", async () => {
      const link = makeLink({ kind: "text", keyVersion: 7 });
      await store.createLink(link);
      const first = await mint(link, T0, { binding: '{"kty":"EC","x":"device"}' });
      const second = await mint(link);
      const live = await store.findSession(first.tokenHash, T0 + 1);
      expect(live && { ...live, linkIdHash: hex(live.linkIdHash) }).toEqual({
        linkIdHash: hex(link.idHash),
        expiresAt: first.expiresAt,
        binding: '{"kty":"EC","x":"device"}',
      });

      const result = await store.consume(first.tokenHash, link.idHash, T0 + 10);
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      expect(result.content.kind).toBe("text");
      expect(result.content.keyVersion).toBe(7);
      expect(hex(result.content.sealed)).toBe(hex(link.sealed));
      expect(hex(result.content.wrappedKey)).toBe(hex(link.wrappedKey));

      const meta = await store.getLinkMeta(link.idHash);
      expect(meta?.state).toBe("consumed");
      expect(meta?.endedAt).toBe(T0 + 10);
      expect(await store.consume(second.tokenHash, link.idHash, T0 + 11)).toEqual({ ok: false, reason: "unavailable" });
      // The losing session was spent by its attempt: it cannot be tried again.
      expect(await store.consume(second.tokenHash, link.idHash, T0 + 12)).toEqual({ ok: false, reason: "session" });
      expect(await store.findSession(first.tokenHash, T0 + 13)).toBeNull();
      expect(await store.findSession(second.tokenHash, T0 + 13)).toBeNull();
    });

    it("does not let a session for link A consume link B, and changes nothing when it tries", async () => {
      const a = makeLink();
      const b = makeLink();
      await store.createLink(a);
      await store.createLink(b);
      const session = await mint(a);
      expect(await store.consume(session.tokenHash, b.idHash, T0 + 1)).toEqual({ ok: false, reason: "session" });
      expect(await store.getLinkMeta(a.idHash)).toMatchObject({ state: "fresh", endedAt: null });
      expect(await store.getLinkMeta(b.idHash)).toMatchObject({ state: "fresh", endedAt: null });
      // The session itself is untouched and still opens the link it was issued for.
      expect(await store.findSession(session.tokenHash, T0 + 2)).not.toBeNull();
      expect((await store.consume(session.tokenHash, a.idHash, T0 + 3)).ok).toBe(true);
    });

    it("rejects an expired session and leaves the link fresh", async () => {
      const link = makeLink();
      await store.createLink(link);
      const session = await mint(link, T0, { expiresAt: T0 + 1000 });
      expect(await store.findSession(session.tokenHash, T0 + 999)).not.toBeNull();
      expect(await store.findSession(session.tokenHash, T0 + 1000)).toBeNull();
      expect(await store.consume(session.tokenHash, link.idHash, T0 + 1000)).toEqual({ ok: false, reason: "session" });
      expect(await store.getLinkMeta(link.idHash)).toMatchObject({ state: "fresh", endedAt: null });
      const fresh = await mint(link, T0 + 1001);
      expect((await store.consume(fresh.tokenHash, link.idHash, T0 + 1002)).ok).toBe(true);
    });

    it("does not accept a used session again", async () => {
      const link = makeLink();
      await store.createLink(link);
      const session = await mint(link);
      expect((await store.consume(session.tokenHash, link.idHash, T0 + 1)).ok).toBe(true);
      expect(await store.consume(session.tokenHash, link.idHash, T0 + 2)).toEqual({ ok: false, reason: "session" });
      expect(await store.consume(randomHash(), link.idHash, T0 + 2)).toEqual({ ok: false, reason: "session" });
    });

    it("answers 'unavailable' to a consume after the link's expiry, even before any purge", async () => {
      const link = makeLink({ expiresAt: T0 + 10_000 });
      await store.createLink(link);
      const session = await mint(link, T0, { expiresAt: T0 + 20_000 });
      expect(await store.consume(session.tokenHash, link.idHash, T0 + 10_000)).toEqual({ ok: false, reason: "unavailable" });
      expect(await stateOf(link, T0 + 10_000)).toBe("expired");
    });

    it("refuses sessions for consumed, expired, revoked and unknown links without burning the challenge", async () => {
      const consumed = makeLink();
      const expired = makeLink({ expiresAt: T0 + 1000 });
      const revoked = makeLink();
      const fresh = makeLink({ expiresAt: T0 + 3_600_000 });
      for (const link of [consumed, expired, revoked, fresh]) await store.createLink(link);
      const s = await mint(consumed);
      expect((await store.consume(s.tokenHash, consumed.idHash, T0 + 1)).ok).toBe(true);
      expect(await store.revoke(revoked.idHash, T0 + 1)).toBe(true);

      const now = T0 + 2000;
      const challenge = randomHash();
      for (const link of [consumed, expired, revoked, makeLink()]) {
        const session = makeSession(link, { expiresAt: now + 120_000 });
        expect(await store.createSession(session, challenge, now + 300_000, now)).toBe("unavailable");
        expect(await store.findSession(session.tokenHash, now)).toBeNull();
      }
      expect(await stateOf(expired, now)).toBe("expired");
      // The same challenge still works on a fresh link: none of the refusals spent it.
      const ok = makeSession(fresh, { expiresAt: now + 120_000 });
      expect(await store.createSession(ok, challenge, now + 300_000, now)).toBe("ok");
      expect(await store.findSession(ok.tokenHash, now)).not.toBeNull();
    });

    it("accepts a challenge once ('challenge-used' after), and only one of many concurrent redemptions", async () => {
      const a = makeLink();
      const b = makeLink();
      await store.createLink(a);
      await store.createLink(b);
      const challenge = randomHash();
      expect(await store.createSession(makeSession(a), challenge, T0 + 300_000, T0)).toBe("ok");
      const replay = makeSession(b);
      expect(await store.createSession(replay, challenge, T0 + 300_000, T0 + 1)).toBe("challenge-used");
      expect(await store.findSession(replay.tokenHash, T0 + 2)).toBeNull();

      const raced = randomHash();
      const sessions = Array.from({ length: 50 }, () => makeSession(a));
      const results = await Promise.all(sessions.map((s) => store.createSession(s, raced, T0 + 300_000, T0 + 3)));
      expect(results.filter((r) => r === "ok")).toHaveLength(1);
      expect(results.filter((r) => r === "challenge-used")).toHaveLength(49);
      const live = await Promise.all(sessions.map((s) => store.findSession(s.tokenHash, T0 + 4)));
      expect(live.filter((x) => x !== null)).toHaveLength(1);
    });

    it("revokes a fresh link once, destroying what a session could have released", async () => {
      const link = makeLink();
      await store.createLink(link);
      const session = await mint(link);
      expect(await store.revoke(link.idHash, T0 + 5)).toBe(true);
      expect(await store.getLinkMeta(link.idHash)).toMatchObject({ state: "revoked", endedAt: T0 + 5 });
      expect(await store.consume(session.tokenHash, link.idHash, T0 + 6)).toEqual({ ok: false, reason: "unavailable" });
      expect(await store.revoke(link.idHash, T0 + 7)).toBe(false);
      expect(await store.revoke(randomHash(), T0 + 7)).toBe(false);

      const late = makeLink({ expiresAt: T0 + 1000 });
      await store.createLink(late);
      expect(await store.revoke(late.idHash, T0 + 1000)).toBe(false);
      expect(await stateOf(late, T0 + 1000)).toBe("expired");

      const consumed = makeLink();
      await store.createLink(consumed);
      const s = await mint(consumed);
      expect((await store.consume(s.tokenHash, consumed.idHash, T0 + 1)).ok).toBe(true);
      expect(await store.revoke(consumed.idHash, T0 + 2)).toBe(false);
      expect((await store.getLinkMeta(consumed.idHash))?.state).toBe("consumed");
    });

    it("purges: expires past-due fresh links and deletes dead sessions, nothing else", async () => {
      const due = makeLink({ expiresAt: T0 + 1000 });
      const alive = makeLink({ expiresAt: T0 + 100_000 });
      await store.createLink(due);
      await store.createLink(alive);
      const dying = await mint(alive, T0, { expiresAt: T0 + 500 });
      const living = await mint(alive, T0, { expiresAt: T0 + 50_000 });
      const onDue = await mint(due, T0, { expiresAt: T0 + 60_000 });

      const now = T0 + 2000;
      expect(await store.purgeExpired(now)).toEqual({ expired: 1, sessions: 1 });
      expect(await store.getLinkMeta(due.idHash)).toMatchObject({ state: "expired", endedAt: due.expiresAt });
      expect(await store.getLinkMeta(alive.idHash)).toMatchObject({ state: "fresh", endedAt: null });
      expect(await store.findSession(dying.tokenHash, T0 + 400)).toBeNull();
      expect(await store.consume(onDue.tokenHash, due.idHash, now)).toEqual({ ok: false, reason: "unavailable" });
      expect(await store.purgeExpired(now)).toEqual({ expired: 0, sessions: 0 });
      expect((await store.consume(living.tokenHash, alive.idHash, now + 1)).ok).toBe(true);
    });

    it("lets exactly one of 300 concurrent consumes of one link win", async () => {
      const link = makeLink();
      await store.createLink(link);
      const sessions = await Promise.all(Array.from({ length: 300 }, () => mint(link)));
      const results = await Promise.all(sessions.map((s) => store.consume(s.tokenHash, link.idHash, T0 + 1)));
      const winners = results.filter((r) => r.ok);
      expect(winners).toHaveLength(1);
      expect(results.filter((r) => !r.ok && r.reason === "unavailable")).toHaveLength(299);
      expect(winners[0]!.ok && hex(winners[0]!.content.sealed)).toBe(hex(link.sealed));
      expect((await store.getLinkMeta(link.idHash))?.state).toBe("consumed");
      const live = await Promise.all(sessions.map((s) => store.findSession(s.tokenHash, T0 + 2)));
      expect(live.every((x) => x === null)).toBe(true);
    });

    it("re-wraps the data keys of fresh links under an old master key, and only those", async () => {
      const old = Array.from({ length: 3 }, () => makeLink({ keyVersion: 1 }));
      const current = makeLink({ keyVersion: 2 });
      const consumed = makeLink({ keyVersion: 1 });
      for (const l of [...old, current, consumed]) await store.createLink(l);
      const s = await mint(consumed);
      expect((await store.consume(s.tokenHash, consumed.idHash, T0 + 1)).ok).toBe(true);
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
      const session = await mint(old[0]!);
      const out = await store.consume(session.tokenHash, old[0]!.idHash, T0 + 1);
      expect(out.ok && out.content.keyVersion).toBe(2);
      expect(out.ok && hex(out.content.wrappedKey)).toBe(hex(Buffer.concat([Buffer.from("v2:"), Buffer.from(old[0]!.wrappedKey)])));
    });

    it("consumes 200 different links concurrently, each releasing its own content", async () => {
      const links = Array.from({ length: 200 }, () => makeLink());
      await Promise.all(links.map((l) => store.createLink(l)));
      const sessions = await Promise.all(links.map((l) => mint(l)));
      const results = await Promise.all(sessions.map((s, i) => store.consume(s.tokenHash, links[i]!.idHash, T0 + 1)));
      results.forEach((r, i) => {
        expect(r.ok).toBe(true);
        if (r.ok) expect(hex(r.content.sealed)).toBe(hex(links[i]!.sealed));
      });
      const metas = await Promise.all(links.map((l) => store.getLinkMeta(l.idHash)));
      expect(metas.every((m) => m?.state === "consumed")).toBe(true);
    });
  });
}
