import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Challenge } from "altcha-lib";
import { fromBase64Url, toBase64Url } from "../src/core/base64url.js";
import { decryptEnvelope, encryptText, generateLinkKey } from "../src/crypto/client-layer.js";
import { sha256 } from "../src/crypto/hash.js";
import { buildTestApp, createTextLink, mintSession, solvePow, type TestApp } from "./helpers/app.js";
import { recordSecrets } from "./helpers/secrets.js";

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(async () => {
  await t?.close();
});

const status = async (id: string, manageToken: string) =>
  (await t.app.inject({ url: `/api/v1/links/${id}/status`, headers: { authorization: `Bearer ${manageToken}` } })).json() as {
    state: string;
    expires_at: string;
    consumed_at: string | null;
    ended_at: string | null;
  };

const consume = (id: string, token: string) =>
  t.app.inject({ method: "POST", url: `/api/v1/links/${id}/consume`, headers: { authorization: `Session ${token}` } });

// Read straight from the store's table (SQLite or PostgreSQL, whichever this run uses), not through its interface.
const row = (id: string) => t.storedRow(sha256(id));

const UNKNOWN_ID = "AAAAAAAAAAAAAAAAAAAAAA";

describe("one-time lifecycle through HTTP", () => {
  it("creates a server-encrypted link and opens it exactly once", async () => {
    const secret = `s3cret-${toBase64Url(crypto.getRandomValues(new Uint8Array(12)))}`;
    const link = await createTextLink(t.app, secret);
    expect(link.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(link.url).toBe(`http://127.0.0.1:8080/l/${link.id}`);
    expect(link.manageUrl).toMatch(new RegExp(`/m/${link.id}#[A-Za-z0-9_-]{22}$`));

    const info = await t.app.inject({ url: `/api/v1/links/${link.id}` });
    expect(info.statusCode).toBe(200);
    expect(info.json()).toMatchObject({ state: "fresh", encryption: "server", requires: { pow: true } });

    const token = await mintSession(t.app, link.id);
    const first = await consume(link.id, token);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ content: secret });

    const second = await consume(link.id, await mintSession(t.app, link.id).catch(() => token));
    expect(second.statusCode).toBeGreaterThanOrEqual(400);
    expect((await status(link.id, link.manageToken)).state).toBe("consumed");
    const stored = await row(link.id);
    expect(stored).toEqual({ state: "consumed", sealed: null, wrapped_key: null });
  });

  it("carries a client-encrypted envelope it cannot read and hands it back once", async () => {
    const key = generateLinkKey();
    const envelope = await encryptText("client side secret ✓", key);
    recordSecrets(key, "client side secret ✓");
    const res = await t.app.inject({ method: "POST", url: "/api/v1/links", payload: { ciphertext: toBase64Url(envelope) } });
    expect(res.statusCode).toBe(201);
    const { id } = res.json() as { id: string };
    recordSecrets(id);
    expect((await t.app.inject({ url: `/api/v1/links/${id}` })).json()).toMatchObject({ encryption: "client" });
    const out = await consume(id, await mintSession(t.app, id));
    const body = out.json() as { ciphertext: string };
    const opened = await decryptEnvelope(fromBase64Url(body.ciphertext)!, key);
    expect(opened).toEqual({ kind: "text", text: "client side secret ✓" });
  });

  it("never changes state on 100 GET/HEAD/OPTIONS of the page and the info/challenge endpoints", async () => {
    const link = await createTextLink(t.app, "look but do not touch");
    const requests = [];
    for (let i = 0; i < 25; i++) {
      requests.push(t.app.inject({ method: "GET", url: `/l/${link.id}` }));
      requests.push(t.app.inject({ method: "HEAD", url: `/l/${link.id}` }));
      requests.push(t.app.inject({ method: "OPTIONS", url: `/l/${link.id}` }));
      requests.push(t.app.inject({ method: "GET", url: `/api/v1/links/${link.id}` }));
      requests.push(t.app.inject({ method: "GET", url: `/api/v1/links/${link.id}/challenge` }));
    }
    const responses = await Promise.all(requests);
    for (const r of responses) expect(r.statusCode).toBeLessThan(300);
    expect((await status(link.id, link.manageToken)).state).toBe("fresh");
    expect((await row(link.id))?.sealed).not.toBeNull();
  });

  it("rejects a replayed proof of work, a token for another link, and an expired token; links stay fresh", async () => {
    const a = await createTextLink(t.app, "link a content");
    const b = await createTextLink(t.app, "link b content");

    const ch = await t.app.inject({ url: `/api/v1/links/${a.id}/challenge` });
    const pow = await solvePow(ch.json() as Challenge);
    const s1 = await t.app.inject({ method: "POST", url: `/api/v1/links/${a.id}/session`, payload: { pow } });
    expect(s1.statusCode).toBe(201);
    recordSecrets((s1.json() as { session: string }).session);
    const replay = await t.app.inject({ method: "POST", url: `/api/v1/links/${a.id}/session`, payload: { pow } });
    expect(replay.statusCode).toBe(409);
    expect(replay.json()).toMatchObject({ error: "POW_REPLAYED" });

    // A challenge solved for A does not open a session on B.
    const ch2 = await t.app.inject({ url: `/api/v1/links/${a.id}/challenge` });
    const powA = await solvePow(ch2.json() as Challenge);
    const cross = await t.app.inject({ method: "POST", url: `/api/v1/links/${b.id}/session`, payload: { pow: powA } });
    expect(cross.json()).toMatchObject({ error: "POW_INVALID" });

    const tokenA = await mintSession(t.app, a.id);
    const wrongLink = await consume(b.id, tokenA);
    expect(wrongLink.statusCode).toBe(401);
    expect(wrongLink.json()).toMatchObject({ error: "SESSION_INVALID" });

    const tokenB = await mintSession(t.app, b.id);
    t.clock.now += (t.config.sessionTtlSeconds + 1) * 1000;
    const expired = await consume(b.id, tokenB);
    expect(expired.statusCode).toBe(401);
    t.clock.now = Date.now();

    for (const garbage of ["not-a-token", tokenA.slice(0, -2), tokenA + "AA", "A".repeat(5000)]) {
      expect((await consume(a.id, garbage)).statusCode).toBe(401);
    }
    // A forged token: right shape, wrong signature.
    const forged = Buffer.from(tokenA, "base64url");
    forged[forged.length - 1]! ^= 1;
    expect((await consume(a.id, forged.toString("base64url"))).statusCode).toBe(401);
    expect((await status(a.id, a.manageToken)).state).toBe("fresh");
    expect((await status(b.id, b.manageToken)).state).toBe("fresh");

    // The valid session for A still works once; replayed, it meets a consumed link.
    expect((await consume(a.id, tokenA)).statusCode).toBe(200);
    const replayed = await consume(a.id, tokenA);
    expect(replayed.statusCode).toBe(404);
    expect(replayed.json()).toMatchObject({ error: "UNAVAILABLE" });
    expect((await status(a.id, a.manageToken)).state).toBe("consumed");
  });

  it("answers unknown, consumed, expired and revoked ids with one identical 404", async () => {
    const consumed = await createTextLink(t.app, "will be consumed");
    await consume(consumed.id, await mintSession(t.app, consumed.id));
    const revoked = await createTextLink(t.app, "will be revoked");
    const del = await t.app.inject({ method: "DELETE", url: `/api/v1/links/${revoked.id}`, headers: { authorization: `Bearer ${revoked.manageToken}` } });
    expect(del.statusCode).toBe(204);
    const expiring = await createTextLink(t.app, "will expire", { ttl: 60 });
    t.clock.now += 61_000;
    const bodies = new Set<string>();
    for (const id of [UNKNOWN_ID, consumed.id, revoked.id, expiring.id, "short", "x".repeat(60), "x".repeat(65), "x".repeat(1000)]) {
      for (const path of [`/api/v1/links/${id}`, `/api/v1/links/${id}/challenge`]) {
        const res = await t.app.inject({ url: path });
        expect(res.statusCode).toBe(404);
        bodies.add(res.body);
      }
    }
    expect([...bodies]).toEqual([JSON.stringify({ error: "UNAVAILABLE", message: "This link is no longer available." })]);
    expect((await status(expiring.id, expiring.manageToken)).state).toBe("expired");
    expect((await status(revoked.id, revoked.manageToken)).state).toBe("revoked");
    // A wrong manage token looks exactly like an unknown link.
    const wrong = await t.app.inject({ url: `/api/v1/links/${consumed.id}/status`, headers: { authorization: `Bearer ${UNKNOWN_ID}` } });
    expect(wrong.statusCode).toBe(404);
    expect(wrong.body).toBe([...bodies][0]);
    t.clock.now = Date.now();
  });

  it("tells the sender when a link ended: consumed_at only when opened, ended_at whichever way it ended", async () => {
    const fresh = await createTextLink(t.app, "ended_at fresh");
    expect(await status(fresh.id, fresh.manageToken)).toMatchObject({ state: "fresh", consumed_at: null, ended_at: null });

    const revoked = await createTextLink(t.app, "ended_at revoked");
    const revokedAt = (t.clock.now += 5_000);
    const del = await t.app.inject({ method: "DELETE", url: `/api/v1/links/${revoked.id}`, headers: { authorization: `Bearer ${revoked.manageToken}` } });
    expect(del.statusCode).toBe(204);
    t.clock.now += 5_000;
    expect(await status(revoked.id, revoked.manageToken)).toMatchObject({
      state: "revoked",
      consumed_at: null,
      ended_at: new Date(revokedAt).toISOString(),
    });

    const opened = await createTextLink(t.app, "ended_at consumed");
    const token = await mintSession(t.app, opened.id);
    const openedAt = (t.clock.now += 1_000);
    expect((await consume(opened.id, token)).statusCode).toBe(200);
    const at = new Date(openedAt).toISOString();
    expect(await status(opened.id, opened.manageToken)).toMatchObject({ state: "consumed", consumed_at: at, ended_at: at });

    // Past its expiry but not yet swept by the purge job: it ended at its expiry.
    const expiring = await createTextLink(t.app, "ended_at expired", { ttl: 60 });
    t.clock.now += 90_000;
    const expired = await status(expiring.id, expiring.manageToken);
    expect(expired).toMatchObject({ state: "expired", consumed_at: null, ended_at: expired.expires_at });
    t.clock.now = Date.now();
  });

  it("keeps a link it has called expired expired, with its content destroyed, when the clock then steps back", async () => {
    // Seen past its expiry by the sender's status, by a recipient's page or by a late consume, before the purge job
    // ran: an NTP step back must not bring the link back to life for a session minted before the expiry.
    const start = t.clock.now;
    const seenBySender = await createTextLink(t.app, "expired to the sender", { ttl: 60 });
    const seenByRecipient = await createTextLink(t.app, "expired to a recipient", { ttl: 60 });
    const seenByConsume = await createTextLink(t.app, "expired to a late consume", { ttl: 60 });
    const late = await mintSession(t.app, seenByConsume.id);
    const sessions = await Promise.all([seenBySender, seenByRecipient, seenByConsume].map((link) => mintSession(t.app, link.id)));
    t.clock.now = start + 61_000;
    const told = await status(seenBySender.id, seenBySender.manageToken);
    expect(told).toMatchObject({ state: "expired", ended_at: told.expires_at });
    expect((await t.app.inject({ url: `/api/v1/links/${seenByRecipient.id}` })).statusCode).toBe(404);
    expect((await consume(seenByConsume.id, late)).statusCode).toBe(404);

    t.clock.now = start + 30_000;
    for (const [i, link] of [seenBySender, seenByRecipient, seenByConsume].entries()) {
      const res = await consume(link.id, sessions[i]!);
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ error: "UNAVAILABLE" });
      expect(await row(link.id)).toEqual({ state: "expired", sealed: null, wrapped_key: null });
      expect(await status(link.id, link.manageToken)).toMatchObject({ state: "expired", ended_at: told.expires_at });
      expect((await t.app.inject({ url: `/api/v1/links/${link.id}` })).statusCode).toBe(404);
    }
    t.clock.now = Date.now();
  });

  it("answers an id of any length exactly like an unknown one, on every link route and page", async () => {
    const json = { "content-type": "application/json" };
    const requests = (id: string) =>
      [
        { method: "GET", url: `/api/v1/links/${id}` },
        { method: "HEAD", url: `/api/v1/links/${id}` },
        { method: "GET", url: `/api/v1/links/${id}/challenge` },
        { method: "POST", url: `/api/v1/links/${id}/session`, payload: JSON.stringify({ pow: "AAAA" }), headers: json },
        { method: "POST", url: `/api/v1/links/${id}/passkey`, payload: JSON.stringify({ challenge: { parameters: {}, signature: "00" }, device_key: "AAAA" }), headers: json },
        { method: "POST", url: `/api/v1/links/${id}/consume`, headers: { authorization: `Session ${UNKNOWN_ID}` } },
        { method: "GET", url: `/api/v1/links/${id}/status`, headers: { authorization: `Bearer ${UNKNOWN_ID}` } },
        { method: "DELETE", url: `/api/v1/links/${id}`, headers: { authorization: `Bearer ${UNKNOWN_ID}` } },
        { method: "GET", url: `/l/${id}` },
        { method: "OPTIONS", url: `/l/${id}` },
        { method: "GET", url: `/m/${id}` },
      ] as const;
    const answer = async (r: ReturnType<typeof requests>[number]) => {
      const res = await t.app.inject(r);
      return { status: res.statusCode, body: res.body };
    };
    // A malformed id is turned away before anything else is checked: every API route answers the one 404. (A
    // well-shaped unknown one may first meet a check of the proof of work or session, which it fails the same way.)
    const unknown = await Promise.all(requests("short").map(answer));
    const gone = JSON.stringify({ error: "UNAVAILABLE", message: "This link is no longer available." });
    expect(unknown.slice(0, 8)).toEqual([404, 404, 404, 404, 404, 404, 404, 404].map((status, i) => ({ status, body: i === 1 ? "" : gone })));
    // The pages never look anything up: the same page for every id.
    expect(unknown.slice(8)).toEqual(await Promise.all(requests(UNKNOWN_ID).slice(8).map(answer)));
    expect(unknown[8]!.status).toBe(200);
    for (const id of [UNKNOWN_ID.slice(1), "x".repeat(64), "x".repeat(65), "A".repeat(100), "A".repeat(101), "x".repeat(1000), "A".repeat(8000)]) {
      const answers = await Promise.all(requests(id).map(answer));
      answers.forEach((a, i) => expect(a, `${requests(id)[i]!.method} ${requests(id)[i]!.url.slice(0, 40)}`).toEqual(unknown[i]));
    }
    // An id the router cannot even decode: the same 404, with the secret-path headers and without the path echoed.
    const undecodable = await t.app.inject({ url: `/api/v1/links/${UNKNOWN_ID}%zz` });
    expect({ status: undecodable.statusCode, body: undecodable.body }).toEqual({ status: 404, body: gone });
    expect(undecodable.headers["cache-control"]).toContain("no-store");
    expect(undecodable.headers["referrer-policy"]).toBe("no-referrer");
  });

  it("destroys stored bytes and the wrapped key on consume, revoke and expiry", async () => {
    const c = await createTextLink(t.app, "destroy on consume");
    const r = await createTextLink(t.app, "destroy on revoke");
    const e = await createTextLink(t.app, "destroy on expiry", { ttl: 60 });
    await consume(c.id, await mintSession(t.app, c.id));
    await t.app.inject({ method: "DELETE", url: `/api/v1/links/${r.id}`, headers: { authorization: `Bearer ${r.manageToken}` } });
    await t.store.purgeExpired(Date.now() + 61_000);
    for (const [link, state] of [[c, "consumed"], [r, "revoked"], [e, "expired"]] as const) {
      expect(await row(link.id)).toEqual({ state, sealed: null, wrapped_key: null });
    }
  });

  it("never writes the plaintext of a server-encrypted secret to the database file", async () => {
    const marker = `PLAINTEXT-MARKER-${toBase64Url(crypto.getRandomValues(new Uint8Array(16)))}`;
    const link = await createTextLink(t.app, marker);
    const files = await t.diskBytes();
    expect(files?.length).toBeGreaterThan(0);
    // Control: the scan does see what the store wrote (the link's id hash, the stored form of its id).
    expect(files!.some((bytes) => bytes.includes(sha256(link.id)))).toBe(true);
    for (const bytes of files!) {
      expect(bytes.includes(Buffer.from(marker))).toBe(false);
      expect(bytes.includes(Buffer.from(link.id))).toBe(false);
      expect(bytes.includes(Buffer.from(link.manageToken))).toBe(false);
    }
  });
});

describe("response headers", () => {
  it("sets a strict CSP and no-store/no-referrer/noindex on pages and API", async () => {
    const link = await createTextLink(t.app, "headers");
    const pages = ["/", `/l/${link.id}`, `/m/${link.id}`, "/nope"];
    const api = [`/api/v1/links/${link.id}`, `/api/v1/links/${UNKNOWN_ID}`, `/api/v1/links/${link.id}/challenge`, "/api/v1/nope"];
    for (const url of [...pages, ...api]) {
      const res = await t.app.inject({ url });
      const csp = String(res.headers["content-security-policy"]);
      if (pages.includes(url)) {
        expect(res.headers["content-type"]).toMatch(/^text\/html/);
        expect(csp).toContain("script-src 'self'");
        expect(csp).toContain("default-src 'none'");
        expect(res.headers["x-frame-options"]).toBe("DENY");
        expect(res.headers["cross-origin-opener-policy"]).toBe("same-origin");
      } else {
        // JSON is never rendered: it gets the lean set, and a CSP that allows nothing at all.
        expect(res.headers["content-type"]).toMatch(/^application\/json/);
        expect(csp).toContain("default-src 'none'");
        expect(csp).not.toContain("script-src");
      }
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("base-uri 'none'");
      expect(csp).not.toContain("unsafe-inline");
      // No JavaScript eval. 'wasm-unsafe-eval' (WebAssembly compilation only, for hash-wasm's Argon2id) is allowed on pages.
      expect(csp).not.toContain("'unsafe-eval'");
      if (pages.includes(url)) expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval';");
      expect(res.headers["x-content-type-options"]).toBe("nosniff");
      expect(res.headers["referrer-policy"]).toBe("no-referrer");
      expect(res.headers["cache-control"]).toBe("no-store");
      expect(res.headers["x-robots-tag"]).toBe("noindex, nofollow");
    }
  });

  it("answers a consume with exactly one JSON field, every character intact, and the full secret-path header set", async () => {
    // Quotes, backslashes, control characters, a script end tag, non-ASCII and an astral character: the consume's own
    // serializer must escape them as JSON does.
    const secret = `q"uote\\back\nline\ttab\u0001 </script> ✓ 😀 ${"x".repeat(2000)}`;
    const link = await createTextLink(t.app, secret);
    const res = await consume(link.id, await mintSession(t.app, link.id));
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(JSON.parse(res.body)).toEqual({ content: secret });
    expect(Object.keys(JSON.parse(res.body) as object)).toEqual(["content"]);
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(res.headers["referrer-policy"]).toBe("no-referrer");
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
    expect(res.headers["x-robots-tag"]).toBe("noindex, nofollow");
    expect(res.headers["cross-origin-resource-policy"]).toBe("same-origin");
    expect(String(res.headers["content-security-policy"])).toBe("default-src 'none'; frame-ancestors 'none'; base-uri 'none'");
  });

  it("sets the session cookie HttpOnly and SameSite=Strict, scoped to the link", async () => {
    const link = await createTextLink(t.app, "cookie");
    const ch = await t.app.inject({ url: `/api/v1/links/${link.id}/challenge` });
    const res = await t.app.inject({
      method: "POST",
      url: `/api/v1/links/${link.id}/session`,
      payload: { pow: await solvePow(ch.json() as Challenge) },
    });
    const cookie = String(res.headers["set-cookie"]);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toContain(`Path=/api/v1/links/${link.id}`);
    const token = cookie.split(";")[0]!.split("=")[1]!;
    recordSecrets(token);
    const out = await t.app.inject({ method: "POST", url: `/api/v1/links/${link.id}/consume`, cookies: { oncelink_session: token } });
    expect(out.json()).toEqual({ content: "cookie" });
  });
});

describe("bad input", () => {
  const post = (payload: string, contentType = "application/json") =>
    t.app.inject({ method: "POST", url: "/api/v1/links", payload, headers: { "content-type": contentType } });

  it.each([
    ["malformed JSON", "{not json", "BAD_REQUEST", 400],
    ["empty body", "", "BAD_REQUEST", 400],
    ["neither content nor ciphertext", "{}", "CONTENT_MISSING", 400],
    ["both", JSON.stringify({ content: "a", ciphertext: "AQID" }), "CONTENT_MISSING", 400],
    ["empty content", JSON.stringify({ content: "" }), "CONTENT_EMPTY", 400],
    ["ciphertext not base64url", JSON.stringify({ ciphertext: "a+b/" }), "VALIDATION_FAILED", 400],
    ["ciphertext not an envelope", JSON.stringify({ ciphertext: "AQID" }), "CIPHERTEXT_INVALID", 400],
    ["ttl too long", JSON.stringify({ content: "a", ttl: 10 ** 9 }), "TTL_INVALID", 400],
    ["ttl too short", JSON.stringify({ content: "a", ttl: 5 }), "TTL_INVALID", 400],
    ["ttl not a number", JSON.stringify({ content: "a", ttl: "1h" }), "VALIDATION_FAILED", 400],
    ["unknown field", JSON.stringify({ content: "a", colour: "red" }), "VALIDATION_FAILED", 400],
    ["content not a string", JSON.stringify({ content: 42 }), "VALIDATION_FAILED", 400],
    ["array body", "[]", "VALIDATION_FAILED", 400],
  ])("%s gets a 4xx with a code", async (_name, payload, code, statusCode) => {
    const res = await post(payload);
    expect(res.statusCode).toBe(statusCode);
    expect(res.json()).toMatchObject({ error: code });
  });

  it("answers a body over the limit with 413", async () => {
    const big = JSON.stringify({ content: "x".repeat(t.config.maxSecretBytes * 2) });
    const res = await post(big);
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ error: "PAYLOAD_TOO_LARGE" });
    const justOver = await post(JSON.stringify({ content: "x".repeat(t.config.maxSecretBytes + 1) }));
    expect(justOver.statusCode).toBe(413);
  });

  it("answers a non-JSON content type with 415", async () => {
    const res = await post("content=a", "application/x-www-form-urlencoded");
    expect(res.statusCode).toBe(415);
    expect(res.json()).toMatchObject({ error: "UNSUPPORTED_MEDIA_TYPE" });
  });

  it("never answers 5xx to random garbage on any route", async () => {
    const link = await createTextLink(t.app, "fuzz target");
    const routes = [
      ["POST", "/api/v1/links"],
      ["POST", `/api/v1/links/${link.id}/session`],
      ["POST", `/api/v1/links/${link.id}/consume`],
      ["DELETE", `/api/v1/links/${link.id}`],
      ["GET", `/api/v1/links/${link.id}/status`],
    ] as const;
    const samples = ["null", "true", "1", '"x"', "{}", '{"pow":1}', '{"pow":"!!!"}', '{"pow":{"challenge":1,"solution":2}}',
      '{"pow":{"challenge":{"parameters":{},"signature":"x"},"solution":{"counter":-1,"derivedKey":"zz"}}}',
      '{"pow":"' + Buffer.from('{"challenge":{"parameters":null}}').toString("base64") + '"}',
      "\u0000\u0001", "{".repeat(500), '{"content":"a","content":"b"}'];
    for (const [method, url] of routes) {
      for (const payload of samples) {
        for (const authorization of [undefined, "Bearer x", "Session " + "A".repeat(22), "Bearer " + link.id]) {
          const res = await t.app.inject({ method, url, payload, headers: { "content-type": "application/json", ...(authorization ? { authorization } : {}) } });
          expect(res.statusCode, `${method} ${url} ${payload}`).toBeLessThan(500);
          expect(res.statusCode).toBeGreaterThanOrEqual(200);
        }
      }
    }
    expect((await status(link.id, link.manageToken)).state).toBe("fresh");
  });
});

describe("a proof of work nested past any real one", () => {
  /** JSON text of `{"a":{"a":...1...}}`, `depth` levels deep. */
  const nested = (depth: number) => '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
  const session = (id: string, payload: string) =>
    t.app.inject({ method: "POST", url: `/api/v1/links/${id}/session`, payload, headers: { "content-type": "application/json" } });

  it("gets a 4xx with a code on the session step, never a 500, and the link stays fresh", async () => {
    const link = await createTextLink(t.app, "deep pow target");
    const solution = '"solution":{"counter":0,"derivedKey":"00"}';
    // 1.2 MB, 200k levels: over the session step's body limit.
    const huge = await session(link.id, `{"pow":{"challenge":{"parameters":${nested(200_000)},"signature":"00"},${solution}}}`);
    expect(huge.statusCode).toBe(413);
    expect(huge.json()).toMatchObject({ error: "PAYLOAD_TOO_LARGE" });
    // Within the body limit, yet deep enough to overflow a recursive walk.
    for (const parameters of [nested(5_000), `{"data":${nested(5_000)}}`, `{"data":{"l":${"[".repeat(20_000)}${"]".repeat(20_000)}}}`]) {
      const res = await session(link.id, `{"pow":{"challenge":{"parameters":${parameters},"signature":"00"},${solution}}}`);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: "POW_INVALID" });
    }
    const asText = Buffer.from(`{"challenge":{"parameters":{"data":{"l":${"[".repeat(2900)}${"]".repeat(2900)}}},"signature":"00"},${solution}}`).toString("base64");
    expect(asText.length).toBeLessThanOrEqual(8192);
    const text = await session(link.id, JSON.stringify({ pow: asText }));
    expect(text.statusCode).toBe(400);
    expect(text.json()).toMatchObject({ error: "POW_INVALID" });
    expect((await status(link.id, link.manageToken)).state).toBe("fresh");
    // The real thing still opens it.
    expect((await consume(link.id, await mintSession(t.app, link.id))).statusCode).toBe(200);
  });
});

describe("operations endpoints", () => {
  it("serves health, readiness, metrics without ids, and an OpenAPI 3.1 document of every route", async () => {
    const link = await createTextLink(t.app, "metrics");
    await t.app.inject({ url: `/api/v1/links/${link.id}` });
    expect((await t.app.inject({ url: "/healthz" })).statusCode).toBe(200);
    expect((await t.app.inject({ url: "/readyz" })).statusCode).toBe(200);
    const metrics = await t.app.inject({ url: "/metrics" });
    expect(metrics.body).toContain("oncelink_links_created_total");
    expect(metrics.body).toContain('route="/api/v1/links/:id"');
    expect(metrics.body).toContain("oncelink_http_request_duration_seconds_bucket");
    expect(metrics.body).not.toContain(link.id);
    const doc = (await t.app.inject({ url: "/api/v1/openapi.json" })).json() as { openapi: string; paths: Record<string, object> };
    expect(doc.openapi).toBe("3.1.0");
    for (const path of ["/api/v1/links", "/api/v1/links/{id}", "/api/v1/links/{id}/challenge", "/api/v1/links/{id}/session",
      "/api/v1/links/{id}/consume", "/api/v1/links/{id}/status", "/api/v1/templates", "/api/v1/files", "/api/v1/files/{upload}",
      "/api/v1/files/{upload}/parts/{part}", "/api/v1/files/{upload}/finish", "/healthz", "/readyz", "/metrics"]) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
    // A file's finish takes the same link options as a text create.
    const bodyOf = (path: string) =>
      Object.keys((doc.paths[path] as { post: { requestBody: { content: Record<string, { schema: { properties: object } }> } } }).post.requestBody.content["application/json"]!.schema.properties);
    expect(bodyOf("/api/v1/files/{upload}/finish").sort()).toEqual(["passkey", "passkey_handle", "passphrase_fallback", "policy", "preview", "recipients", "template", "ttl"]);
    expect(bodyOf("/api/v1/links")).toEqual(expect.arrayContaining(bodyOf("/api/v1/files/{upload}/finish")));
    expect(Object.keys(doc.paths)).not.toContain("/l/{id}");
  });

  it("declares how each protected route is authorized, and that a file consume answers raw bytes", async () => {
    type Operation = { security?: Array<Record<string, string[]>>; responses: Record<string, { content?: Record<string, { schema: object }> }> };
    const doc = (await t.app.inject({ url: "/api/v1/openapi.json" })).json() as {
      components: { securitySchemes: Record<string, Record<string, string>> };
      paths: Record<string, Record<string, Operation>>;
    };
    expect(doc.components.securitySchemes).toEqual({
      manageToken: expect.objectContaining({ type: "http", scheme: "bearer" }),
      handleToken: expect.objectContaining({ type: "http", scheme: "bearer" }),
      sessionToken: expect.objectContaining({ type: "http", scheme: "Session" }),
      sessionCookie: expect.objectContaining({ type: "apiKey", in: "cookie", name: "oncelink_session" }),
    });
    const op = (path: string, method: string): Operation => doc.paths[path]![method]!;
    expect(op("/api/v1/links/{id}/status", "get").security).toEqual([{ manageToken: [] }]);
    expect(op("/api/v1/links/{id}", "delete").security).toEqual([{ manageToken: [] }]);
    expect(op("/api/v1/handles/{handle}", "get").security).toEqual([{ handleToken: [] }]);
    expect(op("/api/v1/handles/{handle}", "delete").security).toEqual([{ handleToken: [] }]);
    // Either the header or the cookie: two alternatives, not both at once.
    expect(op("/api/v1/links/{id}/consume", "post").security).toEqual([{ sessionToken: [] }, { sessionCookie: [] }]);
    // No global requirement, and none on the open steps, the create or the capability-URL routes (uploads, enrolment).
    expect(doc).not.toHaveProperty("security");
    for (const [path, method] of [["/api/v1/links", "post"], ["/api/v1/links/{id}", "get"], ["/api/v1/links/{id}/session", "post"],
      ["/api/v1/files", "post"], ["/api/v1/files/{upload}/finish", "post"], ["/api/v1/enrolments/{token}", "post"]] as const) {
      expect(op(path, method)).not.toHaveProperty("security");
    }
    // Every scheme a route names is declared.
    for (const operations of Object.values(doc.paths)) {
      for (const operation of Object.values(operations)) {
        for (const alternative of operation.security ?? []) {
          for (const name of Object.keys(alternative)) expect(doc.components.securitySchemes).toHaveProperty(name);
        }
      }
    }
    const consumed = op("/api/v1/links/{id}/consume", "post").responses["200"]!.content!;
    expect(Object.keys(consumed).sort()).toEqual(["application/json", "application/octet-stream"]);
    expect(consumed["application/json"]!.schema).toMatchObject({ properties: { content: { type: "string" }, ciphertext: { type: "string" } } });
  });
});
