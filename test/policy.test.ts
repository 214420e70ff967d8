import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Challenge } from "altcha-lib";
import { derivePassphrase, newPassphraseSalt } from "../src/client/passphrase.js";
import { evaluatePolicy, parsePolicy, PASSPHRASE_PARAMS, type PolicyContext } from "../src/core/policy.js";
import { decryptEnvelope, encryptText, generateLinkKey } from "../src/crypto/client-layer.js";
import { sha256 } from "../src/crypto/hash.js";
import { ipIn, validCidrs } from "../src/http/ip-rules.js";
import { buildTestApp, createTextLink, solvePow, type TestApp } from "./helpers/app.js";
import { recordSecrets } from "./helpers/secrets.js";

// Recipient policies through HTTP: IP allow/deny lists (with and without a trusted proxy) and the passphrase proof,
// checked at the session step before anything is redeemed or consumed.

let t: TestApp;
let proxied: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ PASSPHRASE_MAX_ATTEMPTS: "3" });
  proxied = await buildTestApp({ TRUST_PROXY: "192.0.2.10" });
});
afterAll(async () => {
  await t?.close();
  await proxied?.close();
});

interface From {
  remoteAddress?: string;
  headers?: Record<string, string>;
}

/** Challenge, proof of work and session step from one client; returns the session step's answer. */
async function trySession(app: TestApp, id: string, extra: Record<string, unknown> = {}, from: From = {}) {
  const ch = await app.app.inject({ url: `/api/v1/links/${id}/challenge`, ...from });
  expect(ch.statusCode).toBe(200);
  const pow = await solvePow(ch.json() as Challenge);
  const res = await app.app.inject({ method: "POST", url: `/api/v1/links/${id}/session`, payload: { pow, ...extra }, ...from });
  if (res.statusCode === 201) recordSecrets((res.json() as { session: string }).session);
  return res;
}

const consume = (app: TestApp, id: string, session: string) =>
  app.app.inject({ method: "POST", url: `/api/v1/links/${id}/consume`, headers: { authorization: `Session ${session}` } });

describe("evaluatePolicy (pure)", () => {
  const ctx = (clientIp: string, hash: Uint8Array | null = null): PolicyContext => ({ clientIp, now: 0, ipIn, countryOf: () => null, proofs: { passphraseProofHash: hash, passkey: null } });
  it("applies deny before allow, for IPv4 and IPv6, and asks for the passphrase last", () => {
    const policy = parsePolicy(JSON.stringify({ allow_ip: ["10.0.0.0/8", "2001:db8::/32"], deny_ip: ["10.9.0.0/16"] }));
    expect(evaluatePolicy(policy, ctx("10.1.2.3"))).toEqual({ ok: true });
    expect(evaluatePolicy(policy, ctx("::ffff:10.1.2.3"))).toEqual({ ok: true });
    expect(evaluatePolicy(policy, ctx("2001:db8:1::5"))).toEqual({ ok: true });
    expect(evaluatePolicy(policy, ctx("10.9.1.1"))).toEqual({ ok: false, reason: "ip-denied" });
    expect(evaluatePolicy(policy, ctx("2001:db9::1"))).toEqual({ ok: false, reason: "ip-denied" });
    expect(evaluatePolicy(policy, ctx("192.168.1.1"))).toEqual({ ok: false, reason: "ip-denied" });
    const proofHash = sha256("proof");
    const withPass = parsePolicy(JSON.stringify({ passphrase: { salt: "s", proof_hash: proofHash.toString("base64url") } }));
    expect(evaluatePolicy(withPass, ctx("1.2.3.4"))).toEqual({ ok: false, reason: "passphrase-required" });
    expect(evaluatePolicy(withPass, ctx("1.2.3.4", sha256("other")))).toEqual({ ok: false, reason: "passphrase-incorrect" });
    expect(evaluatePolicy(withPass, ctx("1.2.3.4", proofHash))).toEqual({ ok: true });
    expect(evaluatePolicy(parsePolicy("not json"), ctx("1.2.3.4"))).toEqual({ ok: false, reason: "ip-denied" });
  });

  it("validates CIDRs", () => {
    expect(validCidrs(["10.0.0.0/8", "2001:db8::/32", "192.0.2.1", "::1"])).toBe(true);
    for (const bad of ["10.0.0.0/33", "2001:db8::/129", "example.com", "10.0.0.0/8/1", "10.0.0/8", ""]) expect(validCidrs([bad]), bad).toBe(false);
  });
});

describe("IP rules through HTTP", () => {
  it("refuses a malformed CIDR at create with POLICY_INVALID", async () => {
    for (const policy of [{ allow_ip: ["10.0.0.0/40"] }, { deny_ip: ["not-an-ip"] }]) {
      const res = await t.app.inject({ method: "POST", url: "/api/v1/links", payload: { content: "x", policy } });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: "POLICY_INVALID" });
    }
  });

  it("opens from an allowlisted address, refuses another with POLICY_DENIED and changes nothing, and never shows the lists", async () => {
    const link = await createTextLink(t.app, "ip-allowed secret", { policy: { allow_ip: ["10.0.0.0/8", "2001:db8::/32"], deny_ip: ["10.66.0.0/16"] } });
    const info = await t.app.inject({ url: `/api/v1/links/${link.id}` });
    expect(info.json()).toMatchObject({ requires: { pow: true } });
    expect(info.body).not.toContain("10.0.0.0");
    expect(info.body).not.toContain("2001:db8");

    for (const remoteAddress of ["203.0.113.7", "10.66.1.2", "2001:db9::1"]) {
      const refused = await trySession(t, link.id, {}, { remoteAddress });
      expect(refused.statusCode, remoteAddress).toBe(403);
      expect(refused.json()).toMatchObject({ error: "POLICY_DENIED" });
    }
    expect((await t.storedRow(sha256(link.id)))?.state).toBe("fresh");

    const ok = await trySession(t, link.id, {}, { remoteAddress: "2001:db8::42" });
    expect(ok.statusCode).toBe(201);
    const opened = await consume(t, link.id, (ok.json() as { session: string }).session);
    expect(opened.json()).toEqual({ content: "ip-allowed secret" });
  });

  it("ignores X-Forwarded-For from an untrusted peer, and honours it from the TRUST_PROXY peer", async () => {
    const spoofed = { "x-forwarded-for": "10.1.2.3" };
    const link = await createTextLink(t.app, "xff secret", { policy: { allow_ip: ["10.0.0.0/8"] } });
    const refused = await trySession(t, link.id, {}, { remoteAddress: "203.0.113.9", headers: spoofed });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ error: "POLICY_DENIED" });
    expect((await t.storedRow(sha256(link.id)))?.state).toBe("fresh");

    const viaProxy = await createTextLink(proxied.app, "proxied secret", { policy: { allow_ip: ["10.0.0.0/8"] } });
    const notTheProxy = await trySession(proxied, viaProxy.id, {}, { remoteAddress: "192.0.2.11", headers: spoofed });
    expect(notTheProxy.statusCode).toBe(403);
    const ok = await trySession(proxied, viaProxy.id, {}, { remoteAddress: "192.0.2.10", headers: spoofed });
    expect(ok.statusCode).toBe(201);
    expect((await consume(proxied, viaProxy.id, (ok.json() as { session: string }).session)).json()).toEqual({ content: "proxied secret" });
  });

  it("trusts every entry of a TRUST_PROXY list that mixes a keyword with an address", async () => {
    const mixed = await buildTestApp({ TRUST_PROXY: "loopback, 10.0.0.5" });
    try {
      const forwarded = { "x-forwarded-for": "10.1.2.3" };
      for (const proxy of ["127.0.0.1", "10.0.0.5"]) {
        const link = await createTextLink(mixed.app, `mixed proxy list via ${proxy}`, { policy: { allow_ip: ["10.1.0.0/16"] } });
        const ok = await trySession(mixed, link.id, {}, { remoteAddress: proxy, headers: forwarded });
        expect(ok.statusCode).toBe(201);
        expect((await consume(mixed, link.id, (ok.json() as { session: string }).session)).json()).toEqual({ content: `mixed proxy list via ${proxy}` });
      }
      // A peer the list does not name is the client itself, whatever header it sends.
      const link = await createTextLink(mixed.app, "mixed proxy list, untrusted peer", { policy: { allow_ip: ["10.1.0.0/16"] } });
      const refused = await trySession(mixed, link.id, {}, { remoteAddress: "10.0.0.6", headers: forwarded });
      expect(refused.statusCode).toBe(403);
      expect((await mixed.storedRow(sha256(link.id)))?.state).toBe("fresh");
    } finally {
      await mixed.close();
    }
  });
});

describe("passphrase through HTTP", () => {
  async function passphraseLink(content: string, passphrase: string) {
    const salt = newPassphraseSalt();
    const { proof } = await derivePassphrase(passphrase, salt);
    recordSecrets(passphrase, proof);
    const link = await createTextLink(t.app, content, { policy: { passphrase: { salt, proof } } });
    return { ...link, salt, proof };
  }

  it("tells the page the salt and parameters, and opens with the right passphrase", async () => {
    const link = await passphraseLink("passphrase secret one", "correct horse battery");
    const info = await t.app.inject({ url: `/api/v1/links/${link.id}` });
    expect(info.json()).toMatchObject({ requires: { pow: true, passphrase: { salt: link.salt, params: PASSPHRASE_PARAMS } } });
    expect(info.body).not.toContain(link.proof);

    const missing = await trySession(t, link.id);
    expect(missing.statusCode).toBe(403);
    expect(missing.json()).toMatchObject({ error: "PASSPHRASE_REQUIRED" });

    const { proof } = await derivePassphrase("correct horse battery", (info.json() as { requires: { passphrase: { salt: string } } }).requires.passphrase.salt);
    const ok = await trySession(t, link.id, { passphrase_proof: proof });
    expect(ok.statusCode).toBe(201);
    expect((await consume(t, link.id, (ok.json() as { session: string }).session)).json()).toEqual({ content: "passphrase secret one" });
  });

  it("leaves the link fresh on a wrong passphrase with attempts_left going down, and the Nth wrong try destroys it", async () => {
    const link = await passphraseLink("passphrase secret two", "the right words");
    const wrong = await derivePassphrase("the wrong words", link.salt);
    recordSecrets("the wrong words", wrong.proof);
    for (const left of [2, 1]) {
      const res = await trySession(t, link.id, { passphrase_proof: wrong.proof });
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ error: "PASSPHRASE_INCORRECT", attempts_left: left });
      expect(await t.storedRow(sha256(link.id))).toMatchObject({ state: "fresh" });
    }
    // A second wrong try, its challenge taken while the link was still fresh, arrives just after the last one.
    const ch = await t.app.inject({ url: `/api/v1/links/${link.id}/challenge` });
    const late = await solvePow(ch.json() as Challenge);
    // The try that used up the last one is told so; nobody after it can tell the link from any other dead one.
    const last = await trySession(t, link.id, { passphrase_proof: wrong.proof });
    expect(last.statusCode).toBe(403);
    expect(last.json()).toMatchObject({ error: "PASSPHRASE_INCORRECT", attempts_left: 0 });
    const after = await t.app.inject({ method: "POST", url: `/api/v1/links/${link.id}/session`, payload: { pow: late, passphrase_proof: wrong.proof } });
    expect(after.statusCode).toBe(404);
    expect(after.json()).toMatchObject({ error: "UNAVAILABLE" });
    expect(await t.storedRow(sha256(link.id))).toEqual({ state: "expired", sealed: null, wrapped_key: null });
    const status = await t.app.inject({ url: `/api/v1/links/${link.id}/status`, headers: { authorization: `Bearer ${link.manageToken}` } });
    expect(status.json()).toMatchObject({ state: "expired" });
    // Even the right passphrase cannot bring it back.
    const right = await trySession(t, link.id, { passphrase_proof: link.proof }).catch(() => null);
    expect(right === null || right.statusCode === 404).toBe(true);
  });

  it("tells the sender on the create page how many wrong tries the server allows (PASSPHRASE_MAX_ATTEMPTS)", async () => {
    const page = await t.app.inject({ url: "/", headers: { "accept-language": "en" } });
    expect(page.body).toContain("After 3 wrong tries the secret is deleted.");
  });

  it("refuses a malformed proof at create", async () => {
    const res = await t.app.inject({
      method: "POST",
      url: "/api/v1/links",
      payload: { content: "x", policy: { passphrase: { salt: newPassphraseSalt(), proof: "A".repeat(42) } } },
    });
    expect(res.statusCode).toBe(400);
  });

  it("mixes the passphrase into the content key: the link key alone cannot decrypt", async () => {
    const key = generateLinkKey();
    const { keyExtra } = await derivePassphrase("mixed in", newPassphraseSalt());
    recordSecrets(key, "mixed in", "key-mixed secret");
    const envelope = await encryptText("key-mixed secret", key, keyExtra);
    expect(await decryptEnvelope(envelope, key)).toBeNull();
    expect(await decryptEnvelope(envelope, key, keyExtra)).toEqual({ kind: "text", text: "key-mixed secret" });
  });
});
