import { createECDH } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Challenge } from "altcha-lib";
import type { InjectOptions, LightMyRequestResponse } from "fastify";
import { ERRORS } from "../src/core/errors.js";
import { sha256 } from "../src/crypto/hash.js";
import { buildTestApp, createTextLink, mintSession, solvePow, type TestApp } from "./helpers/app.js";
import { recordSecrets } from "./helpers/secrets.js";

// A deterministic fuzz of every route: malformed bodies, headers, path parameters and query strings, a share of them
// aimed at real links so the handlers behind the id check run too. The contract under test: a 4xx with a registry
// code (never a 5xx, never a crash), no id or token of the request echoed, and no link burned by bad input.

// FUZZ_SEED explores other inputs locally; the suite runs the one below, so a failure comes back on every run.
const SEED = process.env.FUZZ_SEED === undefined ? 0x0c_e1_1c : Number(process.env.FUZZ_SEED);
const REQUESTS_PER_ROUTE = 24;
/** More for the routes that take a JSON body: their handlers have the most to get wrong. */
const EXTRA_FOR_BODIES = 40;

/** mulberry32: a small seeded PRNG, so a failure names an input that comes back on every run. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  return { next, pick, chance: (p: number) => next() < p };
}

interface Route {
  method: string;
  path: string;
}

/**
 * Every (method, path) of the app, read from `printRoutes()`'s tree: each line is a segment whose depth is its
 * indentation, with the methods it answers in parentheses.
 */
function parseRouteTree(tree: string): Route[] {
  const routes: Route[] = [];
  const stack: string[] = [];
  for (const line of tree.split("\n")) {
    const m = /^([\s│]*)[└├]── (.+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    const path = (depth === 0 ? "" : stack[depth - 1]!) + m[2]!;
    stack[depth] = path;
    for (const method of m[3]?.split(", ") ?? []) routes.push({ method, path });
  }
  return routes;
}

/** A JSON text `depth` levels deep, built as text: JSON.stringify would recurse as deep. */
const deepArray = (depth: number) => "[".repeat(depth) + "1" + "]".repeat(depth);
const deepObject = (depth: number) => '{"a":'.repeat(depth) + "1" + "}".repeat(depth);

/** JSON texts of the wrong type for any field: every kind of value, extremes, odd strings, nesting, pollution keys. */
const WRONG_VALUES: readonly string[] = [
  "null", "true", "false", "0", "-1", "-0", "1.5", "1e308", "1e999", "-1e999", "123456789012345678901234567890",
  '"NaN"', '"Infinity"', '"-1"', '""', '" "', '"\\u0000"', '"\\ud800"', '"\\udc00x\\ud800"', '"𝔘𝔫𝔦"', '"\\u202e"',
  JSON.stringify("x".repeat(70_000)), JSON.stringify("é".repeat(20_000)), "[]", "{}", "[null]", '[{"a":1}]', '{"":1}',
  deepArray(2000), deepObject(2000), '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"polluted":1}}}',
  '{"prototype":null}', '{"toString":1,"valueOf":2,"hasOwnProperty":3}',
];

/** JSON strings of the right type and the wrong content: past the schema, into the handlers' own checks. */
const ODD_STRINGS: readonly string[] = [
  '""', '"!!!"', '"AAAA"', `"${"A".repeat(22)}"`, `"${"A".repeat(43)}"`, `"${"A".repeat(87)}"`, `"${"A".repeat(88)}"`, '"e30"',
  '"BP__"', '"10.0.0.0/33"', '"::/0"', '"1.2.3.4/-1"', '"zz"', '"ZZ"', '"required"', '"public-key"', '"card"', '"ultra-secure"',
  '"__proto__"', '"constructor"', '"toString"', '"hasOwnProperty"', '"a\u0000b"', '"\ud800"', '"ünï"', `"${"x".repeat(200)}"`,
];

/** Whole bodies that are not JSON, or JSON of the wrong type at the top. */
const RAW_BODIES: readonly (string | Buffer)[] = [
  "", " ", "{", "}", "{not json", '{"a":1,}', '{"a":1', "[1,]", "nul", "1 2", "'single'", "\u0000", "\ufeff{}",
  '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"polluted":1}}}', '{"content":"a","content":"b"}',
  Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc0, 0x22, 0x7d]), Buffer.from('{"a":1}', "utf16le"),
  "content=a&ttl=60", "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb\r\n--x--", ...WRONG_VALUES,
];

const CONTENT_TYPES: readonly (string | undefined)[] = [
  undefined, "application/json", "application/json", "application/json; charset=utf-8", "application/json; charset=latin1",
  "application/json; charset=utf-16", "APPLICATION/JSON", "application/json;;", "application/json; x=\"", "application/jsonx",
  "application/vnd.api+json", "text/plain", "text/html", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
  "application/octet-stream", "*/*", "", " ", ";", "json", "a".repeat(5000),
];

type JsonSchema = { properties?: Record<string, JsonSchema>; anyOf?: JsonSchema[]; oneOf?: JsonSchema[]; items?: JsonSchema };

/** Every field path of a body schema, a few levels down (the OpenAPI document's own schemas). */
function fieldPaths(schema: JsonSchema | undefined, prefix: string[] = [], depth = 0): string[][] {
  if (!schema || depth > 4) return [];
  const out: string[][] = [];
  for (const variant of [schema, ...(schema.anyOf ?? []), ...(schema.oneOf ?? [])]) {
    for (const [key, sub] of Object.entries(variant.properties ?? {})) {
      out.push([...prefix, key], ...fieldPaths(sub, [...prefix, key], depth + 1));
    }
  }
  return out;
}

interface Secrets {
  /** Real link ids the fuzz aims at, each with its manage token. */
  links: { id: string; manageToken: string }[];
  /** A link the fuzz never names: its session token is sent to other links only. */
  donor: { id: string; manageToken: string; session: string };
  uploadToken: string;
  enrolToken: string;
  enrolManageToken: string;
  handle: string;
  /** A well-formed P-256 public key (raw point, base64url), so that the checks behind the device key run. */
  deviceKey: string;
  /** An unsolved challenge of the passkey link and solved proofs of work for each aimed-at link. */
  passkeyChallenge: Challenge;
  pows: string[];
}

let t: TestApp;
let s: Secrets;
let routes: Route[];
let openapi: { paths: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: JsonSchema }> } }>> };

beforeAll(async () => {
  t = await buildTestApp();
  const plain = await createTextLink(t.app, "fuzz plain target");
  const passkey = await createTextLink(t.app, "fuzz passkey target", { passkey: "required" });
  const guarded = await createTextLink(t.app, "fuzz guarded target", { policy: { allow_ip: ["10.0.0.0/8"] }, ttl: 600 });
  const donor = await createTextLink(t.app, "fuzz donor");
  const links = [plain, passkey, guarded];
  const pows: string[] = [];
  for (const link of links) {
    const ch = await t.app.inject({ url: `/api/v1/links/${link.id}/challenge` });
    pows.push(await solvePow(ch.json() as Challenge));
  }
  const passkeyChallenge = (await t.app.inject({ url: `/api/v1/links/${passkey.id}/challenge` })).json() as Challenge;
  const upload = (await t.app.inject({ method: "POST", url: "/api/v1/files" })).json() as { upload: string };
  const handle = "fuzz.recipient";
  const enrolment = (await t.app.inject({ method: "POST", url: "/api/v1/enrolments", payload: { handle } })).json() as {
    enrol_url: string;
    manage_token: string;
  };
  const enrolToken = enrolment.enrol_url.split("/enrol/")[1]!;
  recordSecrets(upload.upload, enrolToken, enrolment.manage_token);
  s = {
    links,
    donor: { ...donor, session: await mintSession(t.app, donor.id) },
    uploadToken: upload.upload,
    enrolToken,
    enrolManageToken: enrolment.manage_token,
    handle,
    passkeyChallenge,
    pows,
    deviceKey: createECDH("prime256v1").generateKeys().toString("base64url"),
  };
  routes = parseRouteTree(t.app.printRoutes({ commonPrefix: false }));
  openapi = (await t.app.inject({ url: "/api/v1/openapi.json" })).json() as typeof openapi;
});
afterAll(async () => {
  await t?.close();
});

/** Every real id and token of this file: none may appear in an answer to a request that carried it. */
const allSecrets = () => [
  ...s.links.flatMap((l) => [l.id, l.manageToken]),
  s.donor.id, s.donor.manageToken, s.donor.session, s.uploadToken, s.enrolToken, s.enrolManageToken,
];

/** Path parameter values of odd shapes (already percent-encoded where they must be). */
function oddParams(rand: ReturnType<typeof prng>): string[] {
  const real = rand.pick(s.links).id;
  const swapped = real.slice(0, -1) + (real.endsWith("A") ? "B" : "A");
  return [
    "%", "%zz", "%00", "%2F", "%2e%2e", "..", ".", "%C0%AF", "%ED%A0%80", "%F0%9F%98%80", "%FF", "%25",
    encodeURIComponent("ünïcødé-名前"), "A".repeat(21), "A".repeat(22), "A".repeat(23), "A".repeat(5000), "A".repeat(17_000),
    `${real}%00`, real.slice(1), `${real}=`, `${real}.`, swapped, encodeURIComponent(`${real.slice(0, 20)}+/`),
    "__proto__", "constructor", "prototype", "%5F_proto__", "null", "undefined", "-1", "1e309", "0x10", " 1", "%20",
  ];
}

/** A value for a path parameter: a real one of its kind for a share of the requests, else an odd shape. */
function paramValue(name: string, rand: ReturnType<typeof prng>): string {
  if (rand.chance(0.45)) {
    if (name === "id") {
      // A real id, sometimes spelled with a percent-escape the router decodes back to it.
      const id = rand.pick(s.links).id;
      return rand.chance(0.2) ? `%${id.charCodeAt(0).toString(16).toUpperCase()}${id.slice(1)}` : id;
    }
    if (name === "upload") return s.uploadToken;
    if (name === "token") return s.enrolToken;
    if (name === "handle") return rand.pick([s.handle, s.handle.toUpperCase(), `${s.handle}%00`]);
    if (name === "part") return rand.pick(["0", "1", "-1", "1.5", "1e3", "99999999999999999999", "NaN", "0x1", "%201"]);
    if (name === "name") return rand.pick(["..%2F..%2Fpackage.json", "%2e%2e", "app.js", "a.css%00.js"]);
  }
  return rand.pick(oddParams(rand));
}

const QUERIES = [
  "", "", "", "?", "?a=1", "?a=1&a=2", "?__proto__[polluted]=1", "?constructor[prototype][polluted]=1", "?__proto__=1",
  "?lang=__proto__", "?lang=constructor", "?lang=de&lang=fr", "?lang=" + "x".repeat(3000), "?lang=%ED%A0%80", "?%zz=1",
  "?webdriver=true&webdriver=false", "?webdriver=1", "?gesture_ms=-1", "?gesture_ms=NaN", "?gesture_ms=1e999",
  "?gesture_ms=9999999999", "?gesture_ms[]=1", "?webdriver[a]=true", "?x=" + "y".repeat(8000), "?&&&=&=", "?a=%00",
];

/** Authorization headers of every shape, and session cookies. */
function authHeaders(rand: ReturnType<typeof prng>, target: string | undefined): Record<string, string | string[]> {
  const other = s.links.find((l) => l.id !== target) ?? s.links[0]!;
  const token = other.manageToken;
  const mangled = token.slice(0, -1) + (token.endsWith("A") ? "B" : "A");
  const authorizations: (string | string[] | undefined)[] = [
    undefined, undefined, "", "Bearer", "Bearer ", "Bearer  ", `Bearer ${"A".repeat(22)}`, `Bearer ${"A".repeat(12_000)}`,
    "Basic dXNlcjpwYXNz", "Digest username=\"x\"", "Negotiate YII=", `bearer ${token}`, `Bearer ${mangled}`, `Bearer ${token}`,
    `Bearer ${token}x`, `Bearer ${s.enrolManageToken}`, `Bearer ${s.donor.manageToken}`, "Session !!!", "Session a+b/==",
    `Session ${"A".repeat(5000)}`, `Session ${s.donor.session}`, `Session ${s.donor.session.slice(0, -2)}`,
    `Session ${s.donor.session}.${s.donor.session}`, ["Bearer a", "Bearer b"], [`Bearer ${token}`, `Bearer ${token}`],
    "Bearer \u00e9\u00e9", "Session \u0000",
  ];
  const out: Record<string, string | string[]> = {};
  const auth = rand.pick(authorizations);
  if (auth !== undefined) out.authorization = auth;
  if (rand.chance(0.25)) {
    out.cookie = rand.pick([
      "oncelink_session=", "oncelink_session=%zz", `oncelink_session=${s.donor.session}`, `oncelink_session=${"A".repeat(9000)}`,
      "oncelink_session=a; oncelink_session=b", "lang=__proto__", "lang=constructor; oncelink_session=x", "=;=;;", "\u00e9=\u00e9",
    ]);
  }
  if (rand.chance(0.2)) {
    out[rand.pick(["oncelink-device-key", "oncelink-device-signature", "oncelink-passkey-credential"])] = rand.pick([
      "", "!!!", "A".repeat(88), "A".repeat(20_000), "a+b/", "%00",
    ]);
  }
  if (rand.chance(0.15)) out["accept-language"] = rand.pick(["*", "__proto__", "de;q=2,fr;q=-1", "x".repeat(4000), ",,,;;;", "constructor"]);
  if (rand.chance(0.1)) out["x-forwarded-for"] = rand.pick(["::ffff:999.1.1.1", "not-an-ip", "1.1.1.1, ".repeat(500)]);
  if (rand.chance(0.1)) out["user-agent"] = rand.pick(["", "Slackbot-LinkExpanding 1.0", "x".repeat(10_000)]);
  if (rand.chance(0.1)) out["content-length"] = rand.pick(["abc", "-1", "99999999999999999999"]);
  return out;
}

const HOLE = "\u0001hole\u0001";

/** A passkey ceremony response of the right shape whose bytes mean nothing. */
const FAKE_CEREMONY = {
  id: "AAAAAAAA",
  rawId: "AAAAAAAA",
  type: "public-key",
  clientExtensionResults: {},
  response: { clientDataJSON: "e30", authenticatorData: "AAAA", signature: "AAAA", attestationObject: "oA", transports: ["usb"] },
};

/**
 * A body each JSON route accepts up to its proofs, so that a wrong value put into one of its fields reaches the
 * checks after validation (the proof of work, the device key, the ceremony, the policy, the options).
 */
function skeleton(route: Route, target: string | undefined, rand: ReturnType<typeof prng>): Record<string, unknown> | null {
  const index = s.links.findIndex((l) => l.id === target);
  const pow = index >= 0 ? s.pows[index]! : rand.pick(s.pows);
  if (route.path === "/api/v1/links") return { content: "fuzz content", ttl: 600 };
  if (route.path.endsWith("/session")) return { pow, device_key: s.deviceKey, passkey: FAKE_CEREMONY };
  if (route.path.endsWith("/passkey")) return { challenge: s.passkeyChallenge, device_key: s.deviceKey };
  if (route.path === "/api/v1/enrolments") return { handle: "fuzz.other", ttl: 3600 };
  if (route.path === "/api/v1/enrolments/:token") return { response: FAKE_CEREMONY };
  if (route.path.endsWith("/finish")) return { ttl: 600, policy: { allow_ip: ["10.0.0.0/8"] } };
  return null;
}

/** `value` (JSON text) put at `path` of `base`, written as text so that pollution keys and deep values stay as sent. */
function withValueAt(base: Record<string, unknown>, path: readonly string[], value: string): string {
  const copy = structuredClone(base);
  let node: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    node = node[key] = typeof next === "object" && next !== null && !Array.isArray(next) ? (next as Record<string, unknown>) : {};
  }
  node[path.at(-1)!] = HOLE;
  return JSON.stringify(copy).replace(JSON.stringify(HOLE), value);
}

/** A body for a route with a JSON body: a wrong value at one of its fields, in a body otherwise good or empty. */
function jsonBody(route: Route, rand: ReturnType<typeof prng>, target: string | undefined): string | Buffer {
  const paths = fieldPaths(bodySchema(route));
  const base = skeleton(route, target, rand);
  if (rand.chance(0.25) || (paths.length === 0 && base === null)) return rand.pick(RAW_BODIES);
  const value = rand.pick(rand.chance(0.5) ? ODD_STRINGS : WRONG_VALUES);
  if (paths.length === 0) return withValueAt(base ?? {}, [rand.pick(["a", "__proto__", "constructor"])], value);
  return withValueAt(base !== null && rand.chance(0.8) ? base : {}, rand.pick(paths), value);
}

function bodySchema(route: Route): JsonSchema | undefined {
  const op = openapi.paths[route.path.replace(/:(\w+)/g, "{$1}")]?.[route.method.toLowerCase()];
  return op?.requestBody?.content?.["application/json"]?.schema;
}

interface Sent {
  options: InjectOptions;
  /** The decoded path parameters, for the echo check. */
  params: string[];
}

/** One malformed request for a route. */
function malformed(route: Route, rand: ReturnType<typeof prng>): Sent {
  const params: string[] = [];
  let target: string | undefined;
  const path = route.path.replace(/:(\w+)/g, (_m, name: string) => {
    const value = paramValue(name, rand);
    if (name === "id") target = s.links.find((l) => value.endsWith(l.id.slice(1)))?.id;
    params.push(value);
    return value;
  });
  const headers = authHeaders(rand, target);
  const withBody = !["GET", "HEAD", "OPTIONS"].includes(route.method) || rand.chance(0.1);
  let payload: string | Buffer | undefined;
  if (withBody) {
    const part = route.path.includes("/parts/") && rand.chance(0.6);
    payload = part ? Buffer.from(rand.pick(["", "\u0001", "AB", "x".repeat(300)])) : jsonBody(route, rand, target);
    const type = rand.chance(0.7) ? (part ? "application/octet-stream" : "application/json") : rand.pick(CONTENT_TYPES);
    if (type !== undefined) headers["content-type"] = type;
  }
  return {
    options: { method: route.method as InjectOptions["method"], url: path + rand.pick(QUERIES), headers, ...(payload === undefined ? {} : { payload }) },
    params,
  };
}

/**
 * The systematic half: every field of every JSON body, a few wrong values each, in a body otherwise good, aimed at
 * real ids and tokens, so each field's own check runs whatever the random half happens to draw.
 */
function fieldSweep(route: Route, rand: ReturnType<typeof prng>): Sent[] {
  const out: Sent[] = [];
  const paths = fieldPaths(bodySchema(route));
  paths.forEach((path, n) => {
    // The passkey options only go past the policy check on the passkey link.
    const link = route.path.endsWith("/passkey") ? s.links[1]! : s.links[n % s.links.length]!;
    const params: string[] = [];
    const url = route.path.replace(/:(\w+)/g, (_m, name: string) => {
      const value = name === "id" ? link.id : name === "upload" ? s.uploadToken : s.enrolToken;
      params.push(value);
      return value;
    });
    const base = skeleton(route, link.id, rand) ?? {};
    for (const value of [rand.pick(ODD_STRINGS), rand.pick(ODD_STRINGS), rand.pick(WRONG_VALUES), rand.pick(WRONG_VALUES)]) {
      const payload = withValueAt(base, path, value);
      out.push({ options: { method: route.method as InjectOptions["method"], url, headers: { "content-type": "application/json" }, payload }, params });
    }
  });
  return out;
}

function describeSent(sent: Sent): string {
  const text = JSON.stringify({ ...sent.options, payload: String(sent.options.payload ?? "") });
  return text.length > 400 ? `${text.slice(0, 400)}...` : text;
}

/** The contract for one answer: no 5xx, a registry code on an API 4xx, nothing of the request's secrets echoed. */
function checkAnswer(sent: Sent, res: LightMyRequestResponse): void {
  const where = describeSent(sent);
  expect(res.statusCode, where).toBeGreaterThanOrEqual(200);
  expect(res.statusCode, where).toBeLessThan(500);
  const url = String(sent.options.url);
  if (res.statusCode >= 400 && url.startsWith("/api/") && sent.options.method !== "HEAD") {
    expect(String(res.headers["content-type"]), where).toMatch(/^application\/json/);
    const body = res.json() as { error?: unknown; message?: unknown };
    expect(Object.keys(ERRORS), where).toContain(body.error);
    expect(typeof body.message, where).toBe("string");
  }
  const echoable = [...allSecrets(), ...sent.params.map(safeDecode).filter((p) => p.length >= 22)];
  // A 2xx session step names its link in the cookie's Path, by design; an answer that refuses names nothing.
  const seen = res.statusCode < 300 ? res.body : res.body + JSON.stringify(res.headers);
  for (const secret of echoable) {
    expect(seen.includes(secret), `${where} echoed a secret`).toBe(false);
  }
  if (res.statusCode === 201) {
    const created = res.json() as { id?: string; manage_url?: string; upload?: string; session?: string };
    recordSecrets(created.id, created.manage_url?.split("#")[1], created.upload, created.session);
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

describe("fuzz of every route", () => {
  it("finds every route of the OpenAPI document in the route table", () => {
    const table = new Set(routes.map((r) => `${r.method} ${r.path}`));
    const documented = Object.entries(openapi.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ":$1")}`),
    );
    expect(documented.length).toBeGreaterThan(15);
    for (const route of documented) expect(table, route).toContain(route);
  });

  it("answers malformed requests on every route with a registry 4xx and burns nothing", async () => {
    const rand = prng(SEED);
    let sent = 0;
    const codes = new Set<string>();
    for (const route of routes) {
      const count = REQUESTS_PER_ROUTE + (skeleton(route, undefined, rand) === null ? 0 : EXTRA_FOR_BODIES);
      const requests = [...fieldSweep(route, rand), ...Array.from({ length: count }, () => malformed(route, rand))];
      for (const request of requests) {
        const res = await t.app.inject(request.options);
        if (res.statusCode >= 400 && res.body.startsWith("{")) codes.add((res.json() as { error: string }).error);
        checkAnswer(request, res);
        sent++;
      }
    }
    // Codes only a handler behind the id check gives: the real ids and tokens reached their handlers.
    for (const code of [
      "SESSION_INVALID", "POW_INVALID", "DEVICE_KEY_INVALID", "PASSKEY_NOT_REQUIRED", "ENROLMENT_INVALID", "VALIDATION_FAILED",
    ]) {
      expect(codes, code).toContain(code);
    }
    expect(sent).toBeGreaterThanOrEqual(routes.length * REQUESTS_PER_ROUTE);
    // Still serving, and every link the fuzz aimed at (and the donor of the session token) still unopened.
    expect((await t.app.inject({ url: "/healthz" })).statusCode).toBe(200);
    for (const link of [...s.links, s.donor]) {
      const res = await t.app.inject({ url: `/api/v1/links/${link.id}/status`, headers: { authorization: `Bearer ${link.manageToken}` } });
      expect((res.json() as { state: string }).state).toBe("fresh");
      const row = await t.storedRow(sha256(link.id));
      expect(row?.state).toBe("fresh");
      expect(row?.sealed).not.toBeNull();
    }
  });
});
