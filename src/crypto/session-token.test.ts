import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { MAX_SESSION_TOKEN_CHARS, mintSessionToken, verifySessionToken } from "./session-token.js";

const key = randomBytes(32);
const linkA = randomBytes(32);
const linkB = randomBytes(32);
const now = 1_800_000_000_000;
const random = (n: number) => randomBytes(n);

describe("session tokens", () => {
  it("verifies for its link until it expires", () => {
    const token = mintSessionToken(key, linkA, { expiresAt: now + 120_000, binding: null }, random);
    expect(verifySessionToken(key, token, linkA, now)).toEqual({ expiresAt: now + 120_000, binding: null });
    expect(verifySessionToken(key, token, linkA, now + 119_999)).not.toBeNull();
    expect(verifySessionToken(key, token, linkA, now + 120_000)).toBeNull();
  });

  it("is worthless for another link or under another key", () => {
    const token = mintSessionToken(key, linkA, { expiresAt: now + 120_000, binding: null }, random);
    expect(verifySessionToken(key, token, linkB, now)).toBeNull();
    expect(verifySessionToken(randomBytes(32), token, linkA, now)).toBeNull();
  });

  it("carries a device binding and authenticates it", () => {
    const binding = randomBytes(32);
    const token = mintSessionToken(key, linkA, { expiresAt: now + 60_000, binding }, random);
    expect(token.length).toBeLessThanOrEqual(MAX_SESSION_TOKEN_CHARS);
    expect(Buffer.from(verifySessionToken(key, token, linkA, now)!.binding!)).toEqual(binding);
  });

  it("rejects every single-character change and every truncation", () => {
    const token = mintSessionToken(key, linkA, { expiresAt: now + 60_000, binding: randomBytes(32) }, random);
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (let i = 0; i < token.length; i++) {
      const swapped = alphabet[(alphabet.indexOf(token[i]!) + 1) % 64]!;
      const changed = token.slice(0, i) + swapped + token.slice(i + 1);
      expect(verifySessionToken(key, changed, linkA, now), `position ${i}`).toBeNull();
    }
    for (let n = 0; n < token.length; n++) expect(verifySessionToken(key, token.slice(0, n), linkA, now)).toBeNull();
  });

  it("cannot be stripped of its device binding (bound and unbound tokens are told apart under the MAC)", () => {
    const token = mintSessionToken(key, linkA, { expiresAt: now + 60_000, binding: randomBytes(32) }, random);
    const bytes = Buffer.from(token, "base64url");
    const header = bytes.subarray(0, 24);
    header[23] = 0;
    // The same body and MAC without the binding: the MAC no longer matches.
    const stripped = Buffer.concat([header, bytes.subarray(bytes.length - 16)]).toString("base64url");
    expect(verifySessionToken(key, stripped, linkA, now)).toBeNull();
  });

  it("cannot extend its own expiry (the expiry is under the MAC)", () => {
    const token = mintSessionToken(key, linkA, { expiresAt: now + 1000, binding: null }, random);
    const bytes = Buffer.from(token, "base64url");
    bytes.writeUIntBE(now + 10_000_000, 1, 6);
    expect(verifySessionToken(key, bytes.toString("base64url"), linkA, now + 2000)).toBeNull();
  });

  it("rejects garbage without throwing", () => {
    for (const t of ["", "x", "!!!!", "A".repeat(54), "A".repeat(5000)]) expect(verifySessionToken(key, t, linkA, now)).toBeNull();
  });

  it("makes a different token every time", () => {
    const claims = { expiresAt: now + 1000, binding: null };
    expect(mintSessionToken(key, linkA, claims, random)).not.toBe(mintSessionToken(key, linkA, claims, random));
  });
});
