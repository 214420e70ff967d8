import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { solveChallenge, verifySolution, type Challenge } from "altcha-lib";
import { deriveKey } from "altcha-lib/algorithms/sha";
import { altchaSecret, createPowService } from "./pow.js";

const hmacKey = randomBytes(32);
const pow = createPowService({ hmacKey, maxNumber: 500, ttlSeconds: 300 });
const linkA = randomBytes(32);
const linkB = randomBytes(32);

async function solved(challenge: Challenge) {
  const solution = await solveChallenge({ challenge, deriveKey });
  return { challenge, solution: solution! };
}
const encode = (p: unknown) => Buffer.from(JSON.stringify(p)).toString("base64");

describe("proof of work", () => {
  it("accepts a solved challenge for its link, as a base64 payload or an object", async () => {
    const payload = await solved(await pow.issue(linkA, Date.now()));
    expect(await pow.verify(encode(payload), linkA, Date.now())).not.toBeNull();
    expect(await pow.verify(payload, linkA, Date.now())).not.toBeNull();
  });

  it("signs in altcha's own format: altcha-lib's verifier accepts our challenges and rejects tampering", async () => {
    const payload = await solved(await pow.issue(linkA, Date.now()));
    const secret = altchaSecret(hmacKey);
    const ok = await verifySolution({ challenge: payload.challenge, solution: payload.solution, deriveKey, hmacSignatureSecret: secret });
    expect(ok.verified).toBe(true);
    const tampered = { ...payload.challenge, parameters: { ...payload.challenge.parameters, cost: 2 } };
    const bad = await verifySolution({ challenge: tampered, solution: payload.solution, deriveKey, hmacSignatureSecret: secret });
    expect(bad.invalidSignature).toBe(true);
  });

  it("rejects another link's challenge, a wrong counter, a tampered signature or parameter, and expiry", async () => {
    const now = Date.now();
    const payload = await solved(await pow.issue(linkA, now));
    expect(await pow.verify(encode(payload), linkB, now)).toBeNull();
    const wrongCounter = { ...payload, solution: { ...payload.solution, counter: payload.solution.counter + 1 } };
    expect(await pow.verify(encode(wrongCounter), linkA, now)).toBeNull();
    const badSig = { ...payload, challenge: { ...payload.challenge, signature: "ab".repeat(32) } };
    expect(await pow.verify(encode(badSig), linkA, now)).toBeNull();
    const easier = { ...payload, challenge: { ...payload.challenge, parameters: { ...payload.challenge.parameters, keyPrefix: "00" } } };
    expect(await pow.verify(encode(easier), linkA, now)).toBeNull();
    expect(await pow.verify(encode(payload), linkA, now + 301_000)).toBeNull();
  });

  it("rejects malformed payloads without throwing", async () => {
    for (const p of [null, 1, "", "!!!", encode({}), encode({ challenge: {}, solution: {} }), { challenge: { parameters: null, signature: 1 }, solution: {} },
      encode({ challenge: { parameters: {}, signature: "zz" }, solution: { counter: -1, derivedKey: "00" } })]) {
      expect(await pow.verify(p, linkA, Date.now())).toBeNull();
    }
  });

  it("refuses parameters nested deeper or wider than a real challenge's, without walking them", async () => {
    const now = Date.now();
    const { challenge, solution } = await solved(await pow.issue(linkA, now));
    const deep = JSON.parse('{"a":'.repeat(100_000) + "1" + "}".repeat(100_000)) as unknown;
    const deepArray = JSON.parse("[".repeat(100_000) + "]".repeat(100_000)) as unknown;
    const wide = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, i]));
    for (const parameters of [deep, { ...challenge.parameters, data: deep }, { ...challenge.parameters, x: deepArray },
      { ...challenge.parameters, data: { ...challenge.parameters.data, l: deep } }, wide, { ...challenge.parameters, data: wide }]) {
      const forged = { parameters, signature: challenge.signature };
      expect(await pow.verify({ challenge: forged, solution }, linkA, now)).toBeNull();
      expect(pow.inspect(forged, linkA, now)).toBeNull();
    }
    // The base64 form within its size limit: as deep as 8 KiB allows.
    const nested = encode({ challenge: { parameters: { data: { l: JSON.parse("[".repeat(2900) + "]".repeat(2900)) as unknown } }, signature: "00" }, solution: { counter: 0, derivedKey: "00" } });
    expect(nested.length).toBeLessThanOrEqual(8192);
    expect(await pow.verify(nested, linkA, now)).toBeNull();
    // The real payload still checks out.
    expect(await pow.verify({ challenge, solution }, linkA, now)).not.toBeNull();
  });

  it("gives different challenges and single-use hashes each time", async () => {
    const a = await solved(await pow.issue(linkA, Date.now()));
    const b = await solved(await pow.issue(linkA, Date.now()));
    const ha = await pow.verify(a, linkA, Date.now());
    const hb = await pow.verify(b, linkA, Date.now());
    expect(Buffer.from(ha!.challengeHash).equals(Buffer.from(hb!.challengeHash))).toBe(false);
  });
});
