import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Challenge } from "altcha-lib";
import { derivePassphrase, newPassphraseSalt } from "../src/client/passphrase.js";
import { sha256 } from "../src/crypto/hash.js";
import { buildTestApp, createTextLink, solvePow, type TestApp } from "./helpers/app.js";
import { recordSecrets } from "./helpers/secrets.js";

// Templates, instance minimums, country rules, the per-address passphrase limit and several recipients, through
// HTTP against a real store.

const PROXY = "192.0.2.10";
const NL = "193.0.6.139"; // RIPE NCC
const DE = "194.25.0.1"; // Deutsche Telekom

function policyFile(content: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), "oncelink-policy-")), "policy.json");
  writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  return file;
}

let t: TestApp;
let strict: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ TRUST_PROXY: PROXY, RATE_LIMIT_PASSPHRASE: "4", PASSPHRASE_MAX_ATTEMPTS: "5" });
  strict = await buildTestApp({
    ONCELINK_POLICY_FILE: policyFile({
      default_template: "hr-offer",
      templates: [{ id: "hr-offer", name: { en: "HR offer", de: "HR-Angebot" }, ttl: "72h", passphrase: true, allow_country: ["DE", "AT"] }],
      minimums: { passphrase: true, max_ttl: "72h" },
    }),
  });
});
afterAll(async () => {
  await t?.close();
  await strict?.close();
});

interface From {
  remoteAddress?: string;
  headers?: Record<string, string>;
}
const via = (client: string): From => ({ remoteAddress: PROXY, headers: { "x-forwarded-for": client } });

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

async function open(app: TestApp, id: string, extra: Record<string, unknown> = {}, from: From = {}) {
  const res = await trySession(app, id, extra, from);
  expect(res.statusCode, res.body).toBe(201);
  return consume(app, id, (res.json() as { session: string }).session);
}

const post = (app: TestApp, payload: Record<string, unknown>) => app.app.inject({ method: "POST", url: "/api/v1/links", payload });

async function passphrase(words: string) {
  const salt = newPassphraseSalt();
  const { proof } = await derivePassphrase(words, salt);
  recordSecrets(words, proof);
  return { salt, proof };
}

describe("templates and minimums at create", () => {
  it("lists the templates with plain summaries, the default and the minimums", async () => {
    const res = await strict.app.inject({ url: "/api/v1/templates", headers: { "accept-language": "de" } });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { templates: Array<Record<string, unknown>>; default_template: string; minimums: Record<string, unknown>; max_recipients: number };
    expect(body.templates.map((x) => x.id)).toEqual(["lightweight", "standard", "ultra-secure", "hr-offer"]);
    expect(body.templates[3]).toMatchObject({ name: "HR-Angebot", built_in: false, ttl: 72 * 3600, passphrase: true, allow_country: ["DE", "AT"] });
    expect(body.templates[3]!.summary).toContain("Passphrase");
    // Lightweight is raised to the minimums: its summary says what a link made with it really gets.
    expect(body.templates[0]).toMatchObject({ id: "lightweight", ttl: 72 * 3600, passphrase: true });
    expect(body).toMatchObject({ default_template: "hr-offer", minimums: { passphrase: true, max_ttl: 72 * 3600 }, max_recipients: 10 });
    const en = (await t.app.inject({ url: "/api/v1/templates" })).json() as { templates: Array<{ id: string; name: string; summary: string }> };
    expect(en.templates.find((x) => x.id === "standard")).toMatchObject({
      name: "Standard",
      summary: "The recipient must type a passphrase that you send another way. Deleted after 3 days if nobody opens it.",
    });
  });

  it("applies a template's lifetime and passphrase rule, and refuses weaker requests with TEMPLATE_CONFLICT", async () => {
    const light = await createTextLink(t.app, "lightweight secret", { template: "lightweight" });
    const status = (await t.app.inject({ url: `/api/v1/links/${light.id}/status`, headers: { authorization: `Bearer ${light.manageToken}` } })).json() as {
      created_at: string;
      expires_at: string;
      policy: Record<string, unknown>;
    };
    expect(Date.parse(status.expires_at) - Date.parse(status.created_at)).toBe(7 * 86_400_000);
    expect(status.policy).toEqual({
      template: "lightweight",
      passphrase: false,
      passkey: false,
      passkey_mode: null,
      passphrase_fallback: false,
      preview: "card",
      allow_country: [],
      allow_ip: [],
      deny_ip: [],
    });

    const noPass = await post(t, { content: "x", template: "standard" });
    expect(noPass.statusCode).toBe(400);
    expect(noPass.json()).toMatchObject({ error: "TEMPLATE_CONFLICT" });
    const tooLong = await post(t, { content: "x", template: "standard", ttl: 4 * 86_400, policy: { passphrase: await passphrase("long one") } });
    expect(tooLong.json()).toMatchObject({ error: "TEMPLATE_CONFLICT" });
    expect((await post(t, { content: "x", template: "no-such" })).json()).toMatchObject({ error: "TEMPLATE_UNKNOWN" });
    const std = await createTextLink(t.app, "standard secret", { template: "standard", policy: { passphrase: await passphrase("std words") } });
    const info = (await t.app.inject({ url: `/api/v1/links/${std.id}` })).json() as { requires: Record<string, unknown> };
    expect(Object.keys(info.requires).sort()).toEqual(["passphrase", "pow"]);
  });

  it("refuses a create below the instance minimums with POLICY_MINIMUM, and applies the operator's template", async () => {
    const bare = await post(strict, { content: "x" });
    expect(bare.statusCode).toBe(400);
    expect(bare.json()).toMatchObject({ error: "POLICY_MINIMUM", message: expect.stringContaining("passphrase") });
    const long = await post(strict, { content: "x", ttl: 4 * 86_400, policy: { passphrase: await passphrase("minimum words") } });
    expect(long.json()).toMatchObject({ error: "POLICY_MINIMUM" });
    const outside = await post(strict, { content: "x", template: "hr-offer", policy: { passphrase: await passphrase("hr words"), allow_country: ["FR"] } });
    expect(outside.json()).toMatchObject({ error: "TEMPLATE_CONFLICT" });
    const hr = await createTextLink(strict.app, "offer letter", { template: "hr-offer", policy: { passphrase: await passphrase("offer words") } });
    const status = (await strict.app.inject({ url: `/api/v1/links/${hr.id}/status`, headers: { authorization: `Bearer ${hr.manageToken}` } })).json() as {
      policy: Record<string, unknown>;
    };
    expect(status.policy).toMatchObject({ template: "hr-offer", passphrase: true, allow_country: ["DE", "AT"] });
    // The recipient's page is told what it will be asked, never where the link opens.
    const info = await strict.app.inject({ url: `/api/v1/links/${hr.id}` });
    expect(info.body).not.toContain('"DE"');
    expect(info.body).not.toContain("allow");
  });

  it("refuses a malformed country list with POLICY_INVALID", async () => {
    for (const allow_country of [["XX"], ["DEU"], ["EU"]]) {
      const res = await post(t, { content: "x", policy: { allow_country } });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: "POLICY_INVALID" });
    }
  });

  it("stops the start on a malformed policy file or country database, naming the variable", async () => {
    await expect(buildTestApp({ ONCELINK_POLICY_FILE: policyFile("{not json") })).rejects.toThrow(/ONCELINK_POLICY_FILE .*not valid JSON/);
    await expect(buildTestApp({ ONCELINK_POLICY_FILE: policyFile({ minimums: { passphrase: "always" } }) })).rejects.toThrow(
      /ONCELINK_POLICY_FILE .*minimums.passphrase must be true or false/,
    );
    await expect(buildTestApp({ ONCELINK_COUNTRY_DB: "/nonexistent/country.mmdb" })).rejects.toThrow(/ONCELINK_COUNTRY_DB/);
  });
});

describe("country rules (TRUST_PROXY + X-Forwarded-For of real public addresses)", () => {
  it("opens from an allowed country; another country and an address with no country are refused and the link stays fresh", async () => {
    const link = await createTextLink(t.app, "country secret", { policy: { allow_country: ["de", "AT"] } });
    for (const client of [NL, "10.1.2.3", "203.0.113.5"]) {
      const refused = await trySession(t, link.id, {}, via(client));
      expect(refused.statusCode, client).toBe(403);
      expect(refused.json()).toMatchObject({ error: "COUNTRY_DENIED" });
      expect(refused.json()).toEqual({ error: "COUNTRY_DENIED", message: "This link cannot be opened from this country or network." });
    }
    // Not through the trusted proxy: the header is ignored and the peer (loopback) has no country.
    const spoofed = await trySession(t, link.id, {}, { remoteAddress: "127.0.0.1", headers: { "x-forwarded-for": DE } });
    expect(spoofed.json()).toMatchObject({ error: "COUNTRY_DENIED" });
    expect((await t.storedRow(sha256(link.id)))?.state).toBe("fresh");
    expect((await open(t, link.id, {}, via(DE))).json()).toEqual({ content: "country secret" });
  });
});

describe("passkey policies fail closed", () => {
  it("an Ultra Secure link tells the page a passkey is needed and refuses a session without one (test/passkeys.test.ts opens one)", async () => {
    const link = await createTextLink(t.app, "ultra secret", { template: "ultra-secure", policy: { allow_country: ["DE"] } });
    const info = (await t.app.inject({ url: `/api/v1/links/${link.id}` })).json() as { requires: Record<string, unknown> };
    expect(info.requires).toEqual({ pow: true, passkey: { mode: "required", passphrase_fallback: false } });
    const refused = await trySession(t, link.id, {}, via(DE));
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ error: "PASSKEY_REQUIRED" });
    expect((await t.storedRow(sha256(link.id)))?.state).toBe("fresh");
  });
});

describe("the per-address passphrase limit", () => {
  it("counts every try of one address across links; past the limit it gets 429 and the link is untouched", async () => {
    const right = await passphrase("right words for both");
    const wrong = await derivePassphrase("wrong words", right.salt);
    recordSecrets("wrong words", wrong.proof);
    const a = await createTextLink(t.app, "limited secret a", { policy: { passphrase: right } });
    const b = await createTextLink(t.app, "limited secret b", { policy: { passphrase: right } });
    const attacker = via("198.51.100.77");
    for (const [id, left] of [[a.id, 4], [b.id, 4], [a.id, 3], [b.id, 3]] as const) {
      const res = await trySession(t, id, { passphrase_proof: wrong.proof }, attacker);
      expect(res.json()).toMatchObject({ error: "PASSPHRASE_INCORRECT", attempts_left: left });
    }
    // The fifth try from that address, even with the right passphrase, is refused before it is compared.
    const limited = await trySession(t, a.id, { passphrase_proof: right.proof }, attacker);
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toMatchObject({ error: "RATE_LIMITED" });
    expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
    const third = await trySession(t, b.id, { passphrase_proof: wrong.proof }, attacker);
    expect(third.statusCode).toBe(429);
    // Not counted on the link: from another address, one wrong try still leaves 2 of 5, and the right one opens.
    const other = via("198.51.100.78");
    expect((await trySession(t, b.id, { passphrase_proof: wrong.proof }, other)).json()).toMatchObject({ attempts_left: 2 });
    expect((await open(t, a.id, { passphrase_proof: right.proof }, other)).json()).toEqual({ content: "limited secret a" });
  });
});

describe("several recipients", () => {
  it("issues N independent links: each has its own id, manage token and state", async () => {
    const res = await post(t, { content: "two-device secret", recipients: 3, ttl: 3600 });
    expect(res.statusCode).toBe(201);
    const body = res.json() as { id: string; url: string; links: Array<{ id: string; url: string; manage_url: string; expires_at: string }> };
    for (const l of body.links) recordSecrets(l.id, l.manage_url.split("#")[1]!);
    recordSecrets("two-device secret");
    expect(body.links).toHaveLength(3);
    expect(body.id).toBe(body.links[0]!.id);
    expect(new Set(body.links.map((l) => l.id)).size).toBe(3);
    expect(new Set(body.links.map((l) => l.manage_url)).size).toBe(3);
    const [one, two, three] = body.links as [(typeof body.links)[0], (typeof body.links)[0], (typeof body.links)[0]];
    const token = (l: { manage_url: string }) => l.manage_url.split("#")[1]!;

    expect((await open(t, one.id)).json()).toEqual({ content: "two-device secret" });
    expect((await t.storedRow(sha256(one.id)))).toEqual({ state: "consumed", sealed: null, wrapped_key: null });
    expect((await t.storedRow(sha256(two.id)))?.state).toBe("fresh");
    // Revoking the third leaves the second as it was; a manage token only reaches its own link.
    expect((await t.app.inject({ method: "DELETE", url: `/api/v1/links/${three.id}`, headers: { authorization: `Bearer ${token(two)}` } })).statusCode).toBe(404);
    expect((await t.app.inject({ method: "DELETE", url: `/api/v1/links/${three.id}`, headers: { authorization: `Bearer ${token(three)}` } })).statusCode).toBe(204);
    expect((await t.storedRow(sha256(three.id)))?.state).toBe("revoked");
    const status = (await t.app.inject({ url: `/api/v1/links/${two.id}/status`, headers: { authorization: `Bearer ${token(two)}` } })).json();
    expect(status).toMatchObject({ state: "fresh" });
    expect((await open(t, two.id)).json()).toEqual({ content: "two-device secret" });
  });

  it("keeps the single-link answer's shape, and refuses more than 10 recipients", async () => {
    const single = (await post(t, { content: "single" })).json() as Record<string, unknown>;
    recordSecrets(single.id as string, (single.manage_url as string).split("#")[1]!, "single");
    expect(Object.keys(single).sort()).toEqual(["expires_at", "id", "links", "manage_url", "url"]);
    expect(single.links).toEqual([{ id: single.id, url: single.url, manage_url: single.manage_url, expires_at: single.expires_at }]);
    for (const recipients of [0, 11, 2.5]) expect((await post(t, { content: "x", recipients })).statusCode).toBe(400);
  });
});
