import { describe, expect, it } from "vitest";
import { cidrWithin, validCidrs } from "../http/ip-rules.js";
import { parseCountryCodes } from "./countries.js";
import { evaluatePolicy, parsePolicy, policyFields, policyRequirements, type PolicyContext } from "./policy.js";
import { BUILT_IN_TEMPLATES, parsePolicySetup, resolveCreate, type CreateChoices, type PolicySetup } from "./templates.js";

const H = 3600;
const LIMITS = { minTtlSeconds: 60, maxTtlSeconds: 30 * 24 * H, defaultTtlSeconds: 24 * H, validCidrs };
const PASS = { salt: "c2FsdHNhbHRzYWx0c2FsdA", proofHash: "hash" };

function setup(file?: unknown, limits = LIMITS): PolicySetup {
  const result = parsePolicySetup(file, limits);
  if (!result.ok) throw new Error(result.problem);
  return result.setup;
}

const resolve = (choices: CreateChoices, s: PolicySetup = setup()) => resolveCreate(choices, s, LIMITS, cidrWithin);

describe("built-in templates (README: Templates and minimums)", () => {
  it("are Lightweight (7 days, no passphrase), Standard (72 h, passphrase, generic card) and Ultra Secure (24 h, passkey, countries)", () => {
    const byId = Object.fromEntries(setup().templates.map((t) => [t.id, t]));
    expect(Object.keys(byId)).toEqual(["lightweight", "standard", "ultra-secure"]);
    expect(byId.lightweight).toMatchObject({ ttlSeconds: 7 * 24 * H, passphrase: false, passkey: false, preview: "card" });
    expect(byId.standard).toMatchObject({ ttlSeconds: 72 * H, passphrase: true, passkey: false, preview: "card" });
    expect(byId["ultra-secure"]).toMatchObject({ ttlSeconds: 24 * H, passkey: true, countryRequired: true, preview: "none" });
    expect(setup().defaultTemplate).toBeNull();
  });

  it("are raised to the minimums and held within MAX_TTL, so their summaries tell the truth", () => {
    const s = setup({ minimums: { passphrase: true, max_ttl: "48h", preview: "none" } }, { ...LIMITS, maxTtlSeconds: 5 * 24 * H });
    const light = s.templates.find((t) => t.id === "lightweight")!;
    expect(light).toMatchObject({ ttlSeconds: 48 * H, passphrase: true, preview: "none" });
    expect(BUILT_IN_TEMPLATES[0]!.ttlSeconds).toBe(7 * 24 * H);
  });
});

describe("the operator's policy file", () => {
  it("adds templates after the built-ins, names a default and sets minimums", () => {
    const s = setup({
      default_template: "hr-offer",
      templates: [{ id: "hr-offer", name: { en: "HR offer", de: "HR-Angebot" }, ttl: "72h", passphrase: true, allow_country: ["de", "AT"], deny_ip: ["10.0.0.0/8"] }],
      minimums: { max_ttl: "7d", allow_country: ["DE", "AT", "CH"] },
    });
    expect(s.templates.map((t) => t.id)).toEqual(["lightweight", "standard", "ultra-secure", "hr-offer"]);
    expect(s.templates[3]).toMatchObject({ builtIn: false, name: { en: "HR offer", de: "HR-Angebot" }, allowCountry: ["DE", "AT"], denyIp: ["10.0.0.0/8"] });
    expect(s.defaultTemplate).toBe("hr-offer");
    expect(s.minimums).toMatchObject({ maxTtlSeconds: 7 * 24 * H, allowCountry: ["DE", "AT", "CH"], passphrase: false });
  });

  it.each([
    [[], "one JSON object"],
    [{ template: [] }, 'unknown field "template"'],
    [{ templates: [{ id: "Bad Id", name: "x", ttl: "1h" }] }, "templates[0].id"],
    [{ templates: [{ id: "a", name: "x", ttl: "forever" }] }, 'template "a": ttl must be a duration'],
    [{ templates: [{ id: "a", name: "x", ttl: "90d" }] }, "MAX_TTL"],
    [{ templates: [{ id: "a", ttl: "1h" }] }, 'template "a": name'],
    [{ templates: [{ id: "a", name: "x", ttl: "1h", allow_country: ["XX"] }] }, "ISO 3166-1"],
    [{ templates: [{ id: "a", name: "x", ttl: "1h", allow_ip: ["10.0.0.0/99"] }] }, "CIDRs"],
    [{ templates: [{ id: "a", name: "x", ttl: "1h", passphrase: "yes" }] }, "true or false"],
    [{ templates: [{ id: "a", name: "x", ttl: "1h", colour: "red" }] }, 'unknown field "colour"'],
    [{ templates: [{ id: "standard", name: "x", ttl: "1h" }] }, "used twice"],
    [{ default_template: "nope" }, "default_template"],
    [{ minimums: { passphrase: true }, templates: [{ id: "a", name: "x", ttl: "1h" }] }, "weaker than the minimums, which require a passphrase"],
    [{ minimums: { max_ttl: "1h" }, templates: [{ id: "a", name: "x", ttl: "2h" }] }, "weaker than the minimums"],
    [{ minimums: { max_ttl: "1y" } }, "minimums.max_ttl"],
    [{ minimums: { preview: "maybe" } }, 'minimums.preview must be "card" or "none"'],
  ])("refuses %j with a clear problem", (file, problem) => {
    const result = parsePolicySetup(file, LIMITS);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problem).toContain(problem);
  });
});

describe("resolveCreate: templates fill gaps, choices may only be stricter, minimums bind everything", () => {
  it("without a template keeps today's behaviour: the server default lifetime and nothing asked", () => {
    expect(resolve({})).toEqual({ ok: true, ttlSeconds: 24 * H, preview: "card", template: null, policy: {} });
  });

  it("applies a template's lifetime and refuses a longer one, or a missing passphrase", () => {
    expect(resolve({ template: "lightweight" })).toMatchObject({ ok: true, ttlSeconds: 7 * 24 * H, template: "lightweight" });
    expect(resolve({ template: "standard", passphrase: PASS, ttl: H })).toMatchObject({ ok: true, ttlSeconds: H, policy: { passphrase: PASS } });
    expect(resolve({ template: "standard", passphrase: PASS, ttl: 73 * H })).toMatchObject({ ok: false, code: "TEMPLATE_CONFLICT" });
    expect(resolve({ template: "standard" })).toMatchObject({ ok: false, code: "TEMPLATE_CONFLICT" });
    expect(resolve({ template: "nope" })).toMatchObject({ ok: false, code: "TEMPLATE_UNKNOWN" });
    expect(resolve({ ttl: 31 * 24 * H })).toMatchObject({ ok: false, code: "TTL_INVALID" });
  });

  it("Ultra Secure needs countries and a passkey, and shows previewers no card", () => {
    expect(resolve({ template: "ultra-secure" })).toMatchObject({ ok: false, code: "TEMPLATE_CONFLICT" });
    const ok = resolve({ template: "ultra-secure", allowCountry: ["DE"] });
    expect(ok).toMatchObject({ ok: true, preview: "none", policy: { allowCountry: ["DE"], passkey: { mode: "required" } } });
    expect(resolve({ template: "ultra-secure", allowCountry: ["DE"], preview: "card" })).toMatchObject({ ok: false, code: "TEMPLATE_CONFLICT" });
  });

  it("a template or minimum that needs a passkey is met by 'required' or a recipient's handle, never by the fallback", () => {
    const base = { template: "ultra-secure", allowCountry: ["DE"] };
    expect(resolve({ ...base, passkey: { mode: "required" } })).toMatchObject({ ok: true, policy: { passkey: { mode: "required" } } });
    const alice = resolve({ ...base, passkey: { mode: "recipient", handle: "alice" } });
    expect(alice).toMatchObject({ ok: true, policy: { passkey: { mode: "recipient", handle: "alice" } } });
    if (alice.ok) expect(alice.policy.passphraseFallback).toBeUndefined();
    // Either factor alone is less than a template that asks for a passkey (or a passphrase).
    const fallback = { passkey: { mode: "required" as const }, passphrase: PASS, passphraseFallback: true };
    expect(resolve({ ...base, ...fallback })).toMatchObject({ ok: false, code: "TEMPLATE_CONFLICT" });
    expect(resolve({ template: "standard", ...fallback })).toMatchObject({ ok: false, code: "TEMPLATE_CONFLICT" });
    expect(resolve({ template: "lightweight", ...fallback })).toMatchObject({ ok: true, policy: { passphraseFallback: true, passphrase: PASS } });
    expect(resolve(fallback)).toMatchObject({ ok: true, policy: { passkey: { mode: "required" }, passphraseFallback: true } });
    const minimum = setup({ minimums: { passkey: true } });
    expect(resolve({}, minimum)).toMatchObject({ ok: true, policy: { passkey: { mode: "required" } } });
    expect(resolve({ passkey: { mode: "recipient", handle: "alice" } }, minimum)).toMatchObject({ ok: true, policy: { passkey: { mode: "recipient" } } });
    expect(resolve(fallback, minimum)).toMatchObject({ ok: false, code: "POLICY_MINIMUM" });
    expect(resolve(fallback, setup({ minimums: { passphrase: true } }))).toMatchObject({ ok: false, code: "POLICY_MINIMUM" });
  });

  it("lets a sender narrow a template's countries and networks, never widen them", () => {
    const s = setup({ templates: [{ id: "eu", name: "EU", ttl: "24h", allow_country: ["DE", "FR"], allow_ip: ["10.0.0.0/8"], deny_ip: ["10.9.0.0/16"] }] });
    expect(resolve({ template: "eu" }, s)).toMatchObject({ ok: true, policy: { allowCountry: ["DE", "FR"], allowIp: ["10.0.0.0/8"], denyIp: ["10.9.0.0/16"] } });
    expect(resolve({ template: "eu", allowCountry: ["FR"], allowIp: ["10.1.0.0/16"], denyIp: ["10.2.0.0/16"] }, s)).toMatchObject({
      ok: true,
      policy: { allowCountry: ["FR"], allowIp: ["10.1.0.0/16"], denyIp: ["10.9.0.0/16", "10.2.0.0/16"] },
    });
    expect(resolve({ template: "eu", allowCountry: ["US"] }, s)).toMatchObject({ ok: false, code: "TEMPLATE_CONFLICT" });
    expect(resolve({ template: "eu", allowIp: ["192.168.0.0/16"] }, s)).toMatchObject({ ok: false, code: "TEMPLATE_CONFLICT" });
    expect(resolve({ template: "eu", allowIp: ["0.0.0.0/0"] }, s)).toMatchObject({ ok: false, code: "TEMPLATE_CONFLICT" });
  });

  it("refuses what is weaker than the minimums and fills in what was left out", () => {
    const s = setup({ minimums: { passphrase: true, max_ttl: "72h", preview: "none", allow_country: ["DE", "AT"], passkey: true } });
    expect(resolve({}, s)).toMatchObject({ ok: false, code: "POLICY_MINIMUM" });
    expect(resolve({ passphrase: PASS }, s)).toMatchObject({
      ok: true,
      ttlSeconds: 24 * H,
      preview: "none",
      policy: { passphrase: PASS, allowCountry: ["DE", "AT"], passkey: { mode: "required" } },
    });
    expect(resolve({ passphrase: PASS, ttl: 73 * H }, s)).toMatchObject({ ok: false, code: "POLICY_MINIMUM" });
    expect(resolve({ passphrase: PASS, preview: "card" }, s)).toMatchObject({ ok: false, code: "POLICY_MINIMUM" });
    expect(resolve({ passphrase: PASS, allowCountry: ["FR"] }, s)).toMatchObject({ ok: false, code: "POLICY_MINIMUM" });
    expect(resolve({ passphrase: PASS, allowCountry: ["AT"] }, s)).toMatchObject({ ok: true, policy: { allowCountry: ["AT"] } });
    // A template's longer lifetime is cut to the minimum's.
    expect(resolve({ template: "lightweight", passphrase: PASS }, s)).toMatchObject({ ok: true, ttlSeconds: 72 * H });
  });
});

describe("country and passkey rules in evaluatePolicy", () => {
  const countries: Record<string, string> = { "193.0.6.139": "NL", "194.25.0.1": "DE" };
  const ctx = (clientIp: string): PolicyContext => ({
    clientIp,
    now: 0,
    ipIn: () => false,
    countryOf: (ip) => countries[ip] ?? null,
    proofs: { passphraseProofHash: null, passkey: null },
  });

  it("opens only from an allowed country; an address without a country is refused", () => {
    const policy = parsePolicy(JSON.stringify(policyFields({ allowCountry: ["DE"] })));
    expect(evaluatePolicy(policy, ctx("194.25.0.1"))).toEqual({ ok: true });
    expect(evaluatePolicy(policy, ctx("193.0.6.139"))).toEqual({ ok: false, reason: "country-denied" });
    expect(evaluatePolicy(policy, ctx("10.0.0.1"))).toEqual({ ok: false, reason: "country-denied" });
    // An unreadable stored rule still refuses.
    expect(evaluatePolicy(parsePolicy('{"allow_country": 5}'), ctx("194.25.0.1"))).toEqual({ ok: false, reason: "country-denied" });
  });

  it("fails closed on a passkey rule without a verified passkey, and tells the page without the handle", () => {
    const stored = JSON.stringify(policyFields({ passkey: { mode: "recipient", handle: "alice-handle" } }));
    expect(stored).toContain('"passkey"');
    const policy = parsePolicy(stored);
    expect(evaluatePolicy(policy, ctx("194.25.0.1"))).toEqual({ ok: false, reason: "passkey-required" });
    expect(policyRequirements(policy)).toEqual({ passkey: { mode: "recipient", passphrase_fallback: false } });
    expect(evaluatePolicy(parsePolicy('{"passkey": "garbage"}'), ctx("194.25.0.1"))).toEqual({ ok: false, reason: "passkey-required" });
    expect(policyFields(parsePolicy('{"passkey":{"mode":"required"},"passphrase_fallback":true}'))).toEqual({ passkey: { mode: "required" }, passphrase_fallback: true });
  });

  it("normalizes country codes and refuses unassigned ones", () => {
    expect(parseCountryCodes(["de", " FR", "DE", "xk"])).toEqual(["DE", "FR", "XK"]);
    for (const bad of ["XX", "EU", "DEU", "", "1A"]) expect(parseCountryCodes([bad]), bad).toBeNull();
  });

  it("cidrWithin narrows, never widens, and keeps families apart", () => {
    expect(cidrWithin("10.1.0.0/16", ["10.0.0.0/8"])).toBe(true);
    expect(cidrWithin("10.1.2.3", ["10.0.0.0/8"])).toBe(true);
    expect(cidrWithin("10.0.0.0/7", ["10.0.0.0/8"])).toBe(false);
    expect(cidrWithin("11.0.0.0/16", ["10.0.0.0/8"])).toBe(false);
    expect(cidrWithin("2001:db8:1::/48", ["2001:db8::/32"])).toBe(true);
    expect(cidrWithin("::ffff:10.0.0.0/104", ["10.0.0.0/8"])).toBe(false);
  });
});
