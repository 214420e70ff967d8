// Passkey links through the HTTP API (app.inject on a real store), with a software authenticator that builds the
// exact bytes a browser and a platform authenticator would: "passkey required" (a registration with user
// verification at the click), recipient-bound links (enrolment under a handle, then an assertion by that credential
// only), the passphrase fallback, and every refusal leaving the link fresh.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Challenge } from "altcha-lib";
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from "@simplewebauthn/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDeviceKey, type DeviceKey } from "../src/client/device-key.js";
import { derivePassphrase, newPassphraseSalt } from "../src/client/passphrase.js";
import { evaluatePolicy, parsePolicy, policyFields, policyRequirements, type PolicyContext, type PolicyProofs } from "../src/core/policy.js";
import { sha256 } from "../src/crypto/hash.js";
import { ipIn } from "../src/http/ip-rules.js";
import { buildTestApp, createTextLink, solvePow, type TestApp } from "./helpers/app.js";
import { recordSecrets } from "./helpers/secrets.js";
import { SoftAuthenticator, type CeremonyTweaks } from "./helpers/soft-authenticator.js";

const ORIGIN = "http://localhost:8080";
let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ PUBLIC_URL: ORIGIN, PASSPHRASE_MAX_ATTEMPTS: "3" });
});
afterAll(async () => {
  await t?.close();
});

type Ceremony = { ceremony: "create"; options: PublicKeyCredentialCreationOptionsJSON } | { ceremony: "get"; options: PublicKeyCredentialRequestOptionsJSON };

/** Runs the authenticator's side of whatever ceremony the server asked for. */
function perform(auth: SoftAuthenticator, ceremony: Ceremony, tweaks: CeremonyTweaks = {}) {
  return ceremony.ceremony === "create" ? auth.create(ceremony.options, tweaks) : auth.get(ceremony.options, tweaks);
}

interface Attempt {
  status: number;
  body: Record<string, unknown>;
  device: DeviceKey;
  pow: string;
  ceremony: Ceremony;
  response: unknown;
}

/** Which app an attempt goes to, and from where (a trusted proxy's peer address and X-Forwarded-For). */
interface Via {
  app?: TestApp;
  remoteAddress?: string;
  headers?: Record<string, string>;
}

/**
 * One open up to the session step: challenge, passkey options for it, the ceremony (`respond` may return anything,
 * or undefined to send none), the proof of work, the session request.
 */
async function attempt(id: string, respond: (ceremony: Ceremony) => unknown, extra: Record<string, unknown> = {}, via: Via = {}): Promise<Attempt> {
  const { app = t, ...from } = via;
  const ch = await app.app.inject({ url: `/api/v1/links/${id}/challenge`, ...from });
  expect(ch.statusCode).toBe(200);
  const { friction: _friction, ...challenge } = ch.json() as Challenge & { friction: string };
  const device = await createDeviceKey();
  const opts = await app.app.inject({ method: "POST", url: `/api/v1/links/${id}/passkey`, payload: { challenge, device_key: device.publicKey }, ...from });
  expect(opts.statusCode, opts.body).toBe(200);
  const ceremony = opts.json() as Ceremony;
  const response = respond(ceremony);
  const pow = await solvePow(challenge);
  const res = await app.app.inject({
    method: "POST",
    url: `/api/v1/links/${id}/session`,
    payload: { pow, device_key: device.publicKey, ...(response === undefined ? {} : { passkey: response }), ...extra },
    ...from,
  });
  const body = res.json() as Record<string, unknown>;
  if (res.statusCode === 201) recordSecrets(body.session as string);
  return { status: res.statusCode, body, device, pow, ceremony, response };
}

async function consume(id: string, session: string, device: DeviceKey, credential?: string, app: TestApp = t) {
  const headers: Record<string, string> = {
    authorization: `Session ${session}`,
    "oncelink-device-key": device.publicKey,
    "oncelink-device-signature": await device.signSession(session),
  };
  if (credential !== undefined) headers["oncelink-passkey-credential"] = credential;
  return app.app.inject({ method: "POST", url: `/api/v1/links/${id}/consume`, headers });
}

const stateOf = async (id: string, app: TestApp = t) => (await app.storedRow(sha256(id)))?.state;

/** Issues an enrolment link for `handle` and enrols a new credential of `auth` with it. */
async function enrol(handle: string, auth: SoftAuthenticator, app: TestApp = t): Promise<{ manageToken: string; credentialId: string }> {
  const issued = await app.app.inject({ method: "POST", url: "/api/v1/enrolments", payload: { handle } });
  expect(issued.statusCode, issued.body).toBe(201);
  const { enrol_url: enrolUrl, manage_token: manageToken } = issued.json() as { enrol_url: string; manage_token: string };
  const token = enrolUrl.split("/enrol/")[1]!;
  recordSecrets(token, manageToken);
  const options = await app.app.inject({ method: "POST", url: `/api/v1/enrolments/${token}/options` });
  expect(options.statusCode, options.body).toBe(200);
  const response = auth.create((options.json() as { options: PublicKeyCredentialCreationOptionsJSON }).options);
  const done = await app.app.inject({ method: "POST", url: `/api/v1/enrolments/${token}`, payload: { response } });
  expect(done.statusCode, done.body).toBe(201);
  expect(done.json()).toEqual({ handle });
  return { manageToken, credentialId: response.rawId };
}

describe("evaluatePolicy with passkeys (pure)", () => {
  const proof = (handle: string | null) => ({ credentialIdHash: sha256(`credential of ${handle}`), handle });
  const ctx = (proofs: Partial<PolicyProofs>): PolicyContext => ({
    clientIp: "192.0.2.1",
    now: 0,
    ipIn,
    countryOf: () => null,
    proofs: { passphraseProofHash: null, passkey: null, ...proofs },
  });
  const passHash = sha256("the proof");
  const passphrase = { salt: "c2FsdA", proofHash: passHash.toString("base64url") };

  it("asks a required-passkey link for any verified ceremony, a recipient link for its handle's", () => {
    const required = parsePolicy(JSON.stringify(policyFields({ passkey: { mode: "required" } })));
    expect(evaluatePolicy(required, ctx({}))).toEqual({ ok: false, reason: "passkey-required" });
    expect(evaluatePolicy(required, ctx({ passkey: proof(null) }))).toEqual({ ok: true });
    expect(evaluatePolicy(required, ctx({ passkey: proof("someone") }))).toEqual({ ok: true });

    const recipient = parsePolicy(JSON.stringify(policyFields({ passkey: { mode: "recipient", handle: "alice" } })));
    expect(evaluatePolicy(recipient, ctx({}))).toEqual({ ok: false, reason: "passkey-required" });
    expect(evaluatePolicy(recipient, ctx({ passkey: proof("alice") }))).toEqual({ ok: true });
    expect(evaluatePolicy(recipient, ctx({ passkey: proof("mallory") }))).toEqual({ ok: false, reason: "passkey-mismatch" });
    expect(evaluatePolicy(recipient, ctx({ passkey: proof(null) }))).toEqual({ ok: false, reason: "passkey-mismatch" });
    // A passphrase does not stand in for a passkey unless the policy says so.
    expect(evaluatePolicy({ passkey: { mode: "recipient", handle: "alice" }, passphrase }, ctx({ passphraseProofHash: passHash }))).toEqual({
      ok: false,
      reason: "passkey-required",
    });
  });

  it("asks for both factors without the fallback, and for either one with it", () => {
    const both = { passkey: { mode: "required" as const }, passphrase };
    expect(evaluatePolicy(both, ctx({ passkey: proof(null) }))).toEqual({ ok: false, reason: "passphrase-required" });
    expect(evaluatePolicy(both, ctx({ passkey: proof(null), passphraseProofHash: sha256("wrong") }))).toEqual({ ok: false, reason: "passphrase-incorrect" });
    expect(evaluatePolicy(both, ctx({ passkey: proof(null), passphraseProofHash: passHash }))).toEqual({ ok: true });

    const either = { ...both, passphraseFallback: true };
    expect(evaluatePolicy(either, ctx({}))).toEqual({ ok: false, reason: "passkey-required" });
    expect(evaluatePolicy(either, ctx({ passkey: proof(null) }))).toEqual({ ok: true });
    expect(evaluatePolicy(either, ctx({ passphraseProofHash: passHash }))).toEqual({ ok: true });
    expect(evaluatePolicy(either, ctx({ passphraseProofHash: sha256("wrong") }))).toEqual({ ok: false, reason: "passphrase-incorrect" });
    // A fallback without a passphrase is no fallback.
    expect(evaluatePolicy({ passkey: { mode: "required" }, passphraseFallback: true }, ctx({}))).toEqual({ ok: false, reason: "passkey-required" });
  });

  it("keeps address rules first, fails closed on a stored rule it cannot read, and tells the page no handle", () => {
    const denied = { denyIp: ["192.0.2.0/24"], passkey: { mode: "required" as const } };
    expect(evaluatePolicy(denied, ctx({ passkey: proof(null) }))).toEqual({ ok: false, reason: "ip-denied" });
    for (const stored of [{ passkey: { mode: "recipient" } }, { passkey: "yes" }, { passkey: { mode: "recipient", handle: "X!" } }, { passkey: null }]) {
      const policy = parsePolicy(JSON.stringify(stored));
      expect(policy.passkey, JSON.stringify(stored)).toEqual({ mode: "recipient", handle: "" });
      expect(evaluatePolicy(policy, ctx({ passkey: { credentialIdHash: sha256("x"), handle: "" } }))).toEqual({ ok: false, reason: "passkey-mismatch" });
      expect(evaluatePolicy(policy, ctx({ passkey: proof(null) })).ok).toBe(false);
    }
    const requirements = policyRequirements({ passkey: { mode: "recipient", handle: "alice" }, passphrase, passphraseFallback: true });
    expect(requirements.passkey).toEqual({ mode: "recipient", passphrase_fallback: true });
    expect(JSON.stringify(requirements)).not.toContain("alice");
    expect(policyRequirements({ passkey: { mode: "required" }, passphraseFallback: true }).passkey).toEqual({ mode: "required", passphrase_fallback: false });
  });
});

describe("passkey required, through HTTP", () => {
  it("tells the page what it will ask, refuses a session without a ceremony, and opens with a user-verified one", async () => {
    const link = await createTextLink(t.app, "passkey-required secret", { passkey: "required" });
    const info = await t.app.inject({ url: `/api/v1/links/${link.id}` });
    expect(info.json()).toMatchObject({ requires: { pow: true, passkey: { mode: "required", passphrase_fallback: false } } });

    const none = await attempt(link.id, () => undefined);
    expect(none.status).toBe(403);
    expect(none.body).toMatchObject({ error: "PASSKEY_REQUIRED" });
    // Without a device key there is nothing to bind the ceremony to.
    const noDevice = await t.app.inject({
      method: "POST",
      url: `/api/v1/links/${link.id}/session`,
      payload: { pow: none.pow, passkey: none.response ?? new SoftAuthenticator({ origin: ORIGIN }).create(none.ceremony.options as PublicKeyCredentialCreationOptionsJSON) },
    });
    expect(noDevice.statusCode).toBe(400);
    expect(noDevice.json()).toMatchObject({ error: "DEVICE_KEY_REQUIRED" });
    expect(await stateOf(link.id)).toBe("fresh");

    const auth = new SoftAuthenticator({ origin: ORIGIN });
    const ok = await attempt(link.id, (c) => {
      expect(c.ceremony).toBe("create");
      const options = c.options as PublicKeyCredentialCreationOptionsJSON;
      expect(options.authenticatorSelection?.userVerification).toBe("required");
      expect(options.rp.id).toBe("localhost");
      return perform(auth, c);
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    const credential = (ok.response as { rawId: string }).rawId;
    const session = ok.body.session as string;

    // The session is bound to the device key AND the credential: naming another credential, or none, opens nothing.
    const other = await consume(link.id, session, ok.device, Buffer.alloc(32, 7).toString("base64url"));
    expect(other.statusCode).toBe(401);
    expect((await consume(link.id, session, ok.device)).statusCode).toBe(401);
    expect((await consume(link.id, session, await createDeviceKey(), credential)).statusCode).toBe(401);
    expect(await stateOf(link.id)).toBe("fresh");
    const opened = await consume(link.id, session, ok.device, credential);
    expect(opened.statusCode, opened.body).toBe(200);
    expect(opened.json()).toEqual({ content: "passkey-required secret" });
  });

  it("refuses a ceremony without user verification, for another origin or RP, for another challenge, or replayed", async () => {
    const link = await createTextLink(t.app, "strict passkey secret", { passkey: "required" });
    const auth = new SoftAuthenticator({ origin: ORIGIN });
    const tweaks: CeremonyTweaks[] = [
      { userVerified: false },
      { origin: "https://evil.example" },
      { rpId: "evil.example" },
      { challenge: Buffer.alloc(32, 1).toString("base64url") },
    ];
    for (const tweak of tweaks) {
      const refused = await attempt(link.id, (c) => perform(auth, c, tweak));
      expect(refused.status, JSON.stringify(tweak)).toBe(403);
      expect(refused.body).toMatchObject({ error: "PASSKEY_INCORRECT" });
    }
    // Garbage shaped like a response is refused the same way; a wrong shape never reaches the verifier.
    const garbage = await attempt(link.id, () => ({ id: "AAAA", rawId: "AAAA", type: "public-key", clientExtensionResults: {}, response: { clientDataJSON: "e30", attestationObject: "oA" } }));
    expect(garbage.status).toBe(403);
    expect(garbage.body).toMatchObject({ error: "PASSKEY_INCORRECT" });
    const malformed = await attempt(link.id, () => ({ id: "AAAA", type: "public-key" }));
    expect(malformed.status).toBe(400);
    expect(await stateOf(link.id)).toBe("fresh");

    // A good ceremony is good for its own open only: the same proof of work is burned, and the same response with a
    // fresh challenge (another open) does not verify.
    const ok = await attempt(link.id, (c) => perform(auth, c));
    expect(ok.status).toBe(201);
    const replay = await t.app.inject({
      method: "POST",
      url: `/api/v1/links/${link.id}/session`,
      payload: { pow: ok.pow, device_key: ok.device.publicKey, passkey: ok.response },
    });
    expect(replay.statusCode).toBe(409);
    expect(replay.json()).toMatchObject({ error: "POW_REPLAYED" });
    const reused = await attempt(link.id, () => ok.response);
    expect(reused.status).toBe(403);
    expect(reused.body).toMatchObject({ error: "PASSKEY_INCORRECT" });
    // Nothing of it counted against the link.
    expect(await stateOf(link.id)).toBe("fresh");
  });

  it("does not hand out ceremony options for a link without a passkey, nor for a bad challenge or key", async () => {
    const plain = await createTextLink(t.app, "no passkey here");
    const ch = (await t.app.inject({ url: `/api/v1/links/${plain.id}/challenge` })).json() as Challenge & { friction?: string };
    const device = await createDeviceKey();
    const asked = await t.app.inject({ method: "POST", url: `/api/v1/links/${plain.id}/passkey`, payload: { challenge: ch, device_key: device.publicKey } });
    expect(asked.statusCode).toBe(400);
    expect(asked.json()).toMatchObject({ error: "PASSKEY_NOT_REQUIRED" });

    const link = await createTextLink(t.app, "passkey options secret", { passkey: "required" });
    const forged = { ...ch, parameters: { ...ch.parameters, salt: "00" } };
    const badChallenge = await t.app.inject({ method: "POST", url: `/api/v1/links/${link.id}/passkey`, payload: { challenge: forged, device_key: device.publicKey } });
    expect(badChallenge.json()).toMatchObject({ error: "POW_INVALID" });
    // A challenge issued for another link is no good either.
    const foreign = await t.app.inject({ method: "POST", url: `/api/v1/links/${link.id}/passkey`, payload: { challenge: ch, device_key: device.publicKey } });
    expect(foreign.json()).toMatchObject({ error: "POW_INVALID" });
    // Nested past any real challenge, within the body limit: refused, not a stack overflow (a 500).
    const deep = `{"challenge":{"parameters":{"data":${'{"a":'.repeat(5_000)}1${"}".repeat(5_000)}},"signature":"00"},"device_key":"${device.publicKey}"}`;
    const deepChallenge = await t.app.inject({ method: "POST", url: `/api/v1/links/${link.id}/passkey`, payload: deep, headers: { "content-type": "application/json" } });
    expect(deepChallenge.statusCode).toBe(400);
    expect(deepChallenge.json()).toMatchObject({ error: "POW_INVALID" });
    const own = (await t.app.inject({ url: `/api/v1/links/${link.id}/challenge` })).json() as Challenge;
    const badKey = await t.app.inject({ method: "POST", url: `/api/v1/links/${link.id}/passkey`, payload: { challenge: own, device_key: "AAAA" } });
    expect(badKey.json()).toMatchObject({ error: "DEVICE_KEY_INVALID" });
    const unknown = await t.app.inject({ method: "POST", url: `/api/v1/links/${"A".repeat(21)}A/passkey`, payload: { challenge: own, device_key: device.publicKey } });
    expect(unknown.statusCode).toBe(404);
  });
});

describe("recipient-bound links, through HTTP", () => {
  const alice = new SoftAuthenticator({ origin: ORIGIN });
  const mallory = new SoftAuthenticator({ origin: ORIGIN });
  let aliceEnrolment: { manageToken: string; credentialId: string };

  beforeAll(async () => {
    aliceEnrolment = await enrol("alice@example.org", alice);
    await enrol("mallory", mallory);
  });

  it("refuses links for handles that are malformed or have no passkey, and enrolment links for taken handles", async () => {
    for (const [handle, code] of [["x", "HANDLE_INVALID"], ["no spaces", "HANDLE_INVALID"], ["nobody-yet", "HANDLE_UNKNOWN"]] as const) {
      const res = await t.app.inject({ method: "POST", url: "/api/v1/links", payload: { content: "x", passkey_handle: handle } });
      expect(res.statusCode, handle).toBe(400);
      expect(res.json()).toMatchObject({ error: code });
    }
    const both = await t.app.inject({ method: "POST", url: "/api/v1/links", payload: { content: "x", passkey: "required", passkey_handle: "mallory" } });
    expect(both.json()).toMatchObject({ error: "POLICY_INVALID" });
    // Case-folded: "Alice@Example.org" is the enrolled handle, and it cannot be enrolled again.
    const again = await t.app.inject({ method: "POST", url: "/api/v1/enrolments", payload: { handle: "Alice@Example.org" } });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ error: "HANDLE_TAKEN" });
    const bad = await t.app.inject({ method: "POST", url: "/api/v1/enrolments", payload: { handle: "a" } });
    expect(bad.json()).toMatchObject({ error: "HANDLE_INVALID" });
    const status = await t.app.inject({ url: "/api/v1/handles/alice@example.org", headers: { authorization: `Bearer ${aliceEnrolment.manageToken}` } });
    expect(status.json()).toMatchObject({ handle: "alice@example.org", state: "enrolled" });
    const wrongToken = await t.app.inject({ url: "/api/v1/handles/alice@example.org", headers: { authorization: `Bearer ${"B".repeat(21)}A` } });
    expect(wrongToken.statusCode).toBe(404);
  });

  it("opens only with the handle's credential: another handle's valid passkey is refused and the link stays fresh", async () => {
    const link = await createTextLink(t.app, "for alice only", { passkey_handle: "ALICE@example.org" });
    const info = await t.app.inject({ url: `/api/v1/links/${link.id}` });
    expect(info.json()).toMatchObject({ requires: { passkey: { mode: "recipient", passphrase_fallback: false } } });
    expect(info.body).not.toContain("alice");
    // The sender sees the kind of rule, not the handle (which they typed and type again for a replacement).
    const status = await t.app.inject({ url: `/api/v1/links/${link.id}/status`, headers: { authorization: `Bearer ${link.manageToken}` } });
    expect(status.json()).toMatchObject({ policy: { passkey: true, passkey_mode: "recipient", passphrase_fallback: false } });
    expect(status.body).not.toContain("alice");

    const wrong = await attempt(link.id, (c) => {
      expect(c.ceremony).toBe("get");
      // Enrolled as a discoverable credential: its id stays off the wire.
      expect((c.options as PublicKeyCredentialRequestOptionsJSON).allowCredentials ?? []).toEqual([]);
      return perform(mallory, c);
    });
    expect(wrong.status).toBe(403);
    expect(wrong.body).toMatchObject({ error: "PASSKEY_INCORRECT" });
    // A credential never enrolled anywhere fails the same way.
    const outsider = new SoftAuthenticator({ origin: ORIGIN });
    outsider.create({
      rp: { id: "localhost", name: "oncelink" },
      user: { id: "AAAA", name: "outsider", displayName: "outsider" },
      challenge: "AAAA",
      pubKeyCredParams: [{ type: "public-key", alg: -7 }],
    });
    const stranger = await attempt(link.id, (c) => perform(outsider, c));
    expect(stranger.status).toBe(403);
    expect(await stateOf(link.id)).toBe("fresh");

    const right = await attempt(link.id, (c) => perform(alice, c));
    expect(right.status, JSON.stringify(right.body)).toBe(201);
    const opened = await consume(link.id, right.body.session as string, right.device, aliceEnrolment.credentialId);
    expect(opened.json()).toEqual({ content: "for alice only" });
  });

  it("stores the signature counter and refuses a cloned authenticator that lags behind it", async () => {
    const link = await createTextLink(t.app, "counter secret", { passkey_handle: "alice@example.org" });
    const credential = alice.credentials[0]!;
    const before = (await t.store.getPasskey("alice@example.org"))!.counter;
    expect(before).toBe(credential.counter);
    const lagging = await attempt(link.id, (c) => {
      credential.counter = Math.max(0, before - 1);
      return alice.get(c.options as PublicKeyCredentialRequestOptionsJSON);
    });
    // get() counted one up from before-1: equal to the stored counter, which a clone would show.
    expect(lagging.status).toBe(403);
    expect(lagging.body).toMatchObject({ error: "PASSKEY_INCORRECT" });
    credential.counter = before + 5;
    const ok = await attempt(link.id, (c) => perform(alice, c));
    expect(ok.status).toBe(201);
    expect((await t.store.getPasskey("alice@example.org"))!.counter).toBe(before + 6);
  });

  it("spends an enrolment link once, and the issuer can remove the handle", async () => {
    const issued = await t.app.inject({ method: "POST", url: "/api/v1/enrolments", payload: { handle: "carol" } });
    const { enrol_url: url, manage_token: manageToken } = issued.json() as { enrol_url: string; manage_token: string };
    const token = url.split("/enrol/")[1]!;
    recordSecrets(token, manageToken);
    const options = (await t.app.inject({ method: "POST", url: `/api/v1/enrolments/${token}/options` })).json() as {
      handle: string;
      options: PublicKeyCredentialCreationOptionsJSON;
    };
    expect(options.handle).toBe("carol");
    expect(options.options.user.name).toBe("carol");
    const carol = new SoftAuthenticator({ origin: ORIGIN });
    // Without user verification, or for another challenge, nothing is saved and the link still works.
    for (const tweak of [{ userVerified: false }, { challenge: Buffer.alloc(32).toString("base64url") }]) {
      const refused = await t.app.inject({ method: "POST", url: `/api/v1/enrolments/${token}`, payload: { response: carol.create(options.options, tweak) } });
      expect(refused.statusCode).toBe(400);
      expect(refused.json()).toMatchObject({ error: "ENROLMENT_INVALID" });
    }
    const response = carol.create(options.options);
    const done = await t.app.inject({ method: "POST", url: `/api/v1/enrolments/${token}`, payload: { response } });
    expect(done.statusCode).toBe(201);
    const twice = await t.app.inject({ method: "POST", url: `/api/v1/enrolments/${token}`, payload: { response: carol.create(options.options) } });
    expect(twice.statusCode).toBe(404);
    expect((await t.app.inject({ method: "POST", url: `/api/v1/enrolments/${token}/options` })).statusCode).toBe(404);

    const link = await createTextLink(t.app, "for carol", { passkey_handle: "carol" });
    const removed = await t.app.inject({ method: "DELETE", url: "/api/v1/handles/carol", headers: { authorization: `Bearer ${manageToken}` } });
    expect(removed.statusCode).toBe(204);
    // Her passkey no longer opens the link; it stays fresh for a handle enrolled again.
    const after = await attempt(link.id, (c) => perform(carol, c));
    expect(after.status).toBe(403);
    expect(await stateOf(link.id)).toBe("fresh");
  });
});

describe("the passkey routes in the OpenAPI document", () => {
  it("lists the ceremony, enrolment and handle routes", async () => {
    const doc = (await t.app.inject({ url: "/api/v1/openapi.json" })).json() as { paths: Record<string, object> };
    for (const path of ["/api/v1/links/{id}/passkey", "/api/v1/enrolments", "/api/v1/enrolments/{token}/options", "/api/v1/enrolments/{token}", "/api/v1/handles/{handle}"]) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
    expect(Object.keys(doc.paths)).not.toContain("/enrol/{token}");
  });
});

describe("passphrase fallback, through HTTP", () => {
  it("opens a fallback link with either the passkey or the passphrase, and counts only wrong passphrases", async () => {
    const salt = newPassphraseSalt();
    const { proof } = await derivePassphrase("fallback words", salt);
    const wrong = await derivePassphrase("not the words", salt);
    recordSecrets("fallback words", proof, wrong.proof);
    const create = (content: string) =>
      createTextLink(t.app, content, { passkey: "required", passphrase_fallback: true, policy: { passphrase: { salt, proof } } });

    const byPassphrase = await create("fallback secret one");
    const status = await t.app.inject({ url: `/api/v1/links/${byPassphrase.id}/status`, headers: { authorization: `Bearer ${byPassphrase.manageToken}` } });
    expect(status.json()).toMatchObject({ policy: { passphrase: true, passkey: true, passkey_mode: "required", passphrase_fallback: true } });
    const info = await t.app.inject({ url: `/api/v1/links/${byPassphrase.id}` });
    expect(info.json()).toMatchObject({ requires: { passphrase: { salt }, passkey: { mode: "required", passphrase_fallback: true } } });
    const none = await attempt(byPassphrase.id, () => undefined);
    expect(none.body).toMatchObject({ error: "PASSKEY_REQUIRED" });
    const bad = await attempt(byPassphrase.id, () => undefined, { passphrase_proof: wrong.proof });
    expect(bad.body).toMatchObject({ error: "PASSPHRASE_INCORRECT", attempts_left: 2 });
    const ok = await attempt(byPassphrase.id, () => undefined, { passphrase_proof: proof });
    expect(ok.status).toBe(201);
    expect((await consume(byPassphrase.id, ok.body.session as string, ok.device)).json()).toEqual({ content: "fallback secret one" });

    const byPasskey = await create("fallback secret two");
    const auth = new SoftAuthenticator({ origin: ORIGIN });
    const viaPasskey = await attempt(byPasskey.id, (c) => perform(auth, c));
    expect(viaPasskey.status).toBe(201);
    const opened = await consume(byPasskey.id, viaPasskey.body.session as string, viaPasskey.device, (viaPasskey.response as { rawId: string }).rawId);
    expect(opened.json()).toEqual({ content: "fallback secret two" });

    // Without the fallback, both are needed.
    const both = await createTextLink(t.app, "both factors", { passkey: "required", policy: { passphrase: { salt, proof } } });
    const onlyPass = await attempt(both.id, () => undefined, { passphrase_proof: proof });
    expect(onlyPass.body).toMatchObject({ error: "PASSKEY_REQUIRED" });
    const onlyKey = await attempt(both.id, (c) => perform(auth, c));
    expect(onlyKey.body).toMatchObject({ error: "PASSPHRASE_REQUIRED" });
    const full = await attempt(both.id, (c) => perform(auth, c), { passphrase_proof: proof });
    expect(full.status).toBe(201);
  });
});

describe("Ultra Secure (passkey + countries + 24 h), end to end through a trusted proxy", () => {
  // The country of a real public address, as test/policy-rules.test.ts uses them: TRUST_PROXY names the proxy's
  // address, and X-Forwarded-For carries the client's.
  const PROXY = "192.0.2.10";
  const DE = "194.25.0.1"; // Deutsche Telekom
  const NL = "193.0.6.139"; // RIPE NCC
  const from = (client: string): Via => ({ app: ultra, remoteAddress: PROXY, headers: { "x-forwarded-for": client } });
  let ultra: TestApp;
  let strict: TestApp;
  beforeAll(async () => {
    ultra = await buildTestApp({ PUBLIC_URL: ORIGIN, TRUST_PROXY: PROXY });
    const dir = mkdtempSync(join(tmpdir(), "oncelink-policy-"));
    writeFileSync(join(dir, "policy.json"), JSON.stringify({ minimums: { passkey: true } }));
    strict = await buildTestApp({ PUBLIC_URL: ORIGIN, ONCELINK_POLICY_FILE: join(dir, "policy.json") });
  });
  afterAll(async () => {
    await ultra?.close();
    await strict?.close();
  });

  it("opens with a user-verified passkey from an allowed country, and with nothing less", async () => {
    const link = await createTextLink(ultra.app, "ultra secure secret", { template: "ultra-secure", policy: { allow_country: ["DE"] } });
    const info = await ultra.app.inject({ url: `/api/v1/links/${link.id}` });
    expect(info.json()).toMatchObject({ requires: { pow: true, passkey: { mode: "required", passphrase_fallback: false } } });
    const status = await ultra.app.inject({ url: `/api/v1/links/${link.id}/status`, headers: { authorization: `Bearer ${link.manageToken}` } });
    expect(status.json()).toMatchObject({ policy: { template: "ultra-secure", passkey: true, preview: "none", allow_country: ["DE"] } });

    const auth = new SoftAuthenticator({ origin: ORIGIN });
    // The right country without a passkey, a passkey without user verification, and a good passkey from the wrong
    // country (or from an address the proxy did not vouch for) all leave the link fresh.
    expect((await attempt(link.id, () => undefined, {}, from(DE))).body).toMatchObject({ error: "PASSKEY_REQUIRED" });
    expect((await attempt(link.id, (c) => perform(auth, c, { userVerified: false }), {}, from(DE))).body).toMatchObject({ error: "PASSKEY_INCORRECT" });
    expect((await attempt(link.id, (c) => perform(auth, c), {}, from(NL))).body).toMatchObject({ error: "COUNTRY_DENIED" });
    const spoofed = await attempt(link.id, (c) => perform(auth, c), {}, { app: ultra, remoteAddress: "127.0.0.1", headers: { "x-forwarded-for": DE } });
    expect(spoofed.body).toMatchObject({ error: "COUNTRY_DENIED" });
    expect(await stateOf(link.id, ultra)).toBe("fresh");

    const ok = await attempt(link.id, (c) => perform(auth, c), {}, from(DE));
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    const opened = await consume(link.id, ok.body.session as string, ok.device, (ok.response as { rawId: string }).rawId, ultra);
    expect(opened.json()).toEqual({ content: "ultra secure secret" });
    expect(await stateOf(link.id, ultra)).toBe("consumed");
  });

  it("meets the template's passkey with 'required' or a recipient's handle; a fallback is weaker and refused", async () => {
    const bob = new SoftAuthenticator({ origin: ORIGIN });
    const eve = new SoftAuthenticator({ origin: ORIGIN });
    await enrol("bob@example.org", bob, ultra);
    await enrol("eve", eve, ultra);
    const base = { template: "ultra-secure", policy: { allow_country: ["DE"] } };
    const forBob = await createTextLink(ultra.app, "for bob, ultra", { ...base, passkey_handle: "bob@example.org" });
    const info = await ultra.app.inject({ url: `/api/v1/links/${forBob.id}` });
    expect(info.json()).toMatchObject({ requires: { passkey: { mode: "recipient", passphrase_fallback: false } } });
    // Another handle's passkey from the right country is refused; Bob's opens it.
    const other = await attempt(forBob.id, (c) => perform(eve, c), {}, from(DE));
    expect(other.body).toMatchObject({ error: "PASSKEY_INCORRECT" });
    const ok = await attempt(forBob.id, (c) => perform(bob, c), {}, from(DE));
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);

    const required = await ultra.app.inject({ method: "POST", url: "/api/v1/links", payload: { content: "x", ...base, passkey: "required" } });
    expect(required.statusCode, required.body).toBe(201);
    recordSecrets((required.json() as { id: string }).id, (required.json() as { manage_url: string }).manage_url.split("#")[1]!);

    const salt = newPassphraseSalt();
    const { proof } = await derivePassphrase("ultra fallback words", salt);
    recordSecrets("ultra fallback words", proof);
    const weaker = await ultra.app.inject({
      method: "POST",
      url: "/api/v1/links",
      payload: { content: "x", template: "ultra-secure", passkey: "required", passphrase_fallback: true, policy: { allow_country: ["DE"], passphrase: { salt, proof } } },
    });
    expect(weaker.statusCode).toBe(400);
    expect(weaker.json()).toMatchObject({ error: "TEMPLATE_CONFLICT" });
  });

  it("a passkey minimum gives every link a passkey rule and refuses the fallback with POLICY_MINIMUM", async () => {
    const plain = await createTextLink(strict.app, "minimum passkey secret");
    const info = await strict.app.inject({ url: `/api/v1/links/${plain.id}` });
    expect(info.json()).toMatchObject({ requires: { passkey: { mode: "required" } } });
    const salt = newPassphraseSalt();
    const { proof } = await derivePassphrase("minimum fallback words", salt);
    recordSecrets("minimum fallback words", proof);
    const weaker = await strict.app.inject({
      method: "POST",
      url: "/api/v1/links",
      payload: { content: "x", passkey: "required", passphrase_fallback: true, policy: { passphrase: { salt, proof } } },
    });
    expect(weaker.statusCode).toBe(400);
    expect(weaker.json()).toMatchObject({ error: "POLICY_MINIMUM" });
  });
});
