// Device binding and friction through the HTTP API (app.inject on a real store): a session bound to a device key
// opens only with that device's signature, a copied token leaves the link fresh, and the friction decision can
// raise the work or ask for a confirmation but never refuse.
import type { Challenge } from "altcha-lib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDeviceKey, type DeviceKey } from "../src/client/device-key.js";
import { buildTestApp, createTextLink, solvePow, type TestApp } from "./helpers/app.js";
import { CHROME_USER_AGENT, recordSecrets, uniqueSecret } from "./helpers/secrets.js";

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(async () => {
  await t?.close();
});

const unique = uniqueSecret;

const CHROME = CHROME_USER_AGENT;
const PAGE_FETCH = { "user-agent": CHROME, "sec-fetch-site": "same-origin", "sec-fetch-mode": "cors", "sec-fetch-dest": "empty" };

interface IssuedChallenge extends Challenge {
  friction: string;
}

async function challenge(id: string, query = "", headers: Record<string, string> = PAGE_FETCH): Promise<IssuedChallenge> {
  const res = await t.app.inject({ url: `/api/v1/links/${id}/challenge${query}`, headers });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as IssuedChallenge;
}

async function pow(id: string, query?: string, headers?: Record<string, string>): Promise<string> {
  const { friction: _friction, ...issued } = await challenge(id, query, headers);
  return solvePow(issued);
}

const session = (id: string, body: Record<string, unknown>) =>
  t.app.inject({ method: "POST", url: `/api/v1/links/${id}/session`, payload: body });

async function boundSession(id: string, device: DeviceKey): Promise<string> {
  const res = await session(id, { pow: await pow(id), device_key: device.publicKey });
  expect(res.statusCode, res.body).toBe(201);
  const token = (res.json() as { session: string }).session;
  recordSecrets(token);
  return token;
}

async function consume(id: string, token: string, device?: { key: string; signature: string }, cookie = false) {
  const headers: Record<string, string> = cookie ? { cookie: `oncelink_session=${token}` } : { authorization: `Session ${token}` };
  if (device) Object.assign(headers, { "oncelink-device-key": device.key, "oncelink-device-signature": device.signature });
  return t.app.inject({ method: "POST", url: `/api/v1/links/${id}/consume`, headers });
}

async function state(id: string, manageToken: string): Promise<string> {
  const res = await t.app.inject({ url: `/api/v1/links/${id}/status`, headers: { authorization: `Bearer ${manageToken}` } });
  return (res.json() as { state: string }).state;
}

describe("device binding", () => {
  it("opens a bound session only with the device's signature; a copied token leaves the link fresh", async () => {
    const secret = unique("bound to one device");
    const link = await createTextLink(t.app, secret);
    const device = await createDeviceKey();
    const token = await boundSession(link.id, device);
    const signature = await device.signSession(token);

    // The token alone (stolen from a log, a proxy, a cookie jar) is worthless.
    const bare = await consume(link.id, token);
    expect(bare.statusCode).toBe(401);
    expect(bare.json()).toMatchObject({ error: "SESSION_INVALID" });
    expect((await consume(link.id, token, undefined, true)).statusCode).toBe(401);
    // Another client with its own key pair, presenting the copied token.
    const thief = await createDeviceKey();
    const copied = await consume(link.id, token, { key: thief.publicKey, signature: await thief.signSession(token) });
    expect(copied.statusCode).toBe(401);
    // The right public key (it is not secret) with a signature the thief made.
    expect((await consume(link.id, token, { key: device.publicKey, signature: await thief.signSession(token) })).statusCode).toBe(401);
    // A signature of this device over another token.
    expect((await consume(link.id, token, { key: device.publicKey, signature: await device.signSession(`${token}A`) })).statusCode).toBe(401);
    expect(await state(link.id, link.manageToken)).toBe("fresh");

    const opened = await consume(link.id, token, { key: device.publicKey, signature });
    expect(opened.statusCode).toBe(200);
    expect(opened.json()).toEqual({ content: secret });
    // Replaying the whole request gets what every later open gets.
    const replay = await consume(link.id, token, { key: device.publicKey, signature });
    expect(replay.statusCode).toBe(404);
    expect(replay.json()).toMatchObject({ error: "UNAVAILABLE" });
  });

  it("works across nodes: a consume that finds no cached key imports it", async () => {
    const link = await createTextLink(t.app, unique("across nodes"));
    const device = await createDeviceKey();
    const token = await boundSession(link.id, device);
    // A failed attempt takes the cached key out, as a node that never saw the session step would lack it.
    expect((await consume(link.id, token)).statusCode).toBe(401);
    const opened = await consume(link.id, token, { key: device.publicKey, signature: await device.signSession(token) });
    expect(opened.statusCode).toBe(200);
  });

  it("refuses a malformed device key without spending the proof of work", async () => {
    const link = await createTextLink(t.app, unique("bad key"));
    const proof = await pow(link.id);
    const raw = Buffer.from((await createDeviceKey()).publicKey, "base64url");
    raw[64]! ^= 1;
    for (const device_key of [raw.toString("base64url"), "nope", "A".repeat(87)]) {
      const res = await session(link.id, { pow: proof, device_key });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: "DEVICE_KEY_INVALID" });
    }
    // The same proof still buys a session.
    expect((await session(link.id, { pow: proof, device_key: (await createDeviceKey()).publicKey })).statusCode).toBe(201);
  });

  it("keeps an unbound session for clients that cannot sign (plain curl on a server-encrypted link)", async () => {
    const secret = unique("curl path");
    const link = await createTextLink(t.app, secret);
    const res = await session(link.id, { pow: await pow(link.id) });
    expect(res.statusCode).toBe(201);
    const token = (res.json() as { session: string }).session;
    recordSecrets(token);
    expect((await consume(link.id, token)).json()).toEqual({ content: secret });
  });

  it("keeps a bound session to its link", async () => {
    const a = await createTextLink(t.app, unique("link a"));
    const b = await createTextLink(t.app, unique("link b"));
    const device = await createDeviceKey();
    const token = await boundSession(a.id, device);
    expect((await consume(b.id, token, { key: device.publicKey, signature: await device.signSession(token) })).statusCode).toBe(401);
    expect(await state(b.id, b.manageToken)).toBe("fresh");
  });
});

describe("friction", () => {
  it("issues the standard challenge to a person's page and harder ones on automation signals", async () => {
    const link = await createTextLink(t.app, unique("friction levels"));
    const calm = await challenge(link.id, "?webdriver=false&gesture_ms=2400");
    expect(calm.friction).toBe("none");
    expect(calm.parameters.data).toMatchObject({ f: "none" });
    expect((await challenge(link.id, "?webdriver=true&gesture_ms=2400")).friction).toBe("raised");
    // Node's fetch: an automated agent, no Sec-Fetch-Site.
    expect((await challenge(link.id, "", { "user-agent": "node", "sec-fetch-mode": "cors" })).friction).toBe("raised");
    expect((await challenge(link.id, "", { "user-agent": "Slackbot 1.0 (+https://api.slack.com/robots)" })).friction).toBe("confirm");
    expect((await challenge(link.id, "", { "user-agent": "" })).friction).toBe("confirm");
    const bad = await t.app.inject({ url: `/api/v1/links/${link.id}/challenge?gesture_ms=soon` });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: "VALIDATION_FAILED" });
  });

  it("asks a confirm-level open for the second confirmation without burning its proof, then opens it", async () => {
    const secret = unique("confirm me");
    const link = await createTextLink(t.app, secret);
    const proof = await pow(link.id, "?webdriver=true&gesture_ms=40", { "user-agent": "HeadlessChrome/131.0.0.0" });
    const device = await createDeviceKey();
    const first = await session(link.id, { pow: proof, device_key: device.publicKey });
    expect(first.statusCode).toBe(428);
    expect(first.json()).toMatchObject({ error: "CONFIRMATION_REQUIRED" });
    expect((await session(link.id, { pow: proof, device_key: device.publicKey, confirm: false })).statusCode).toBe(428);
    const confirmed = await session(link.id, { pow: proof, device_key: device.publicKey, confirm: true });
    expect(confirmed.statusCode).toBe(201);
    const token = (confirmed.json() as { session: string }).session;
    recordSecrets(token);
    const opened = await consume(link.id, token, { key: device.publicKey, signature: await device.signSession(token) });
    expect(opened.json()).toEqual({ content: secret });
  });

  it("counts challenges and bound sessions in the metrics", async () => {
    const text = (await t.app.inject({ url: "/metrics" })).body;
    expect(text).toMatch(/oncelink_challenges_issued_total\{friction="confirm"\} \d+/);
    expect(text).toMatch(/oncelink_sessions_device_bound_total \d+/);
    expect(text).toMatch(/oncelink_device_proof_rejected_total [1-9]/);
  });
});
