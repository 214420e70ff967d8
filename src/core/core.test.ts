import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { fromBase64Url, toBase64Url } from "./base64url.js";
import { ERRORS, errorBody } from "./errors.js";
import { isSecretShape, newSecret, SECRET_CHARS } from "./ids.js";
import { effectiveEndedAt, effectiveState, parseDuration, resolveTtl } from "./link.js";

describe("base64url", () => {
  it("round-trips random bytes of every small length and matches Node's encoder", () => {
    for (let n = 0; n < 70; n++) {
      const bytes = randomBytes(n);
      const text = toBase64Url(bytes);
      expect(text).toBe(bytes.toString("base64url"));
      expect(Buffer.from(fromBase64Url(text)!)).toEqual(bytes);
    }
  });

  it("rejects non-alphabet characters, impossible lengths and non-canonical spellings", () => {
    for (const bad of ["a+b", "a/b", "ab=", "a", "abcde", " ab", "AB"]) expect(fromBase64Url(bad)).toBeNull();
  });
});

describe("ids and tokens", () => {
  it("mints 128-bit secrets of 22 characters that are all different", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const s = newSecret((n) => randomBytes(n));
      expect(s).toHaveLength(SECRET_CHARS);
      expect(isSecretShape(s)).toBe(true);
      seen.add(s);
    }
    expect(seen.size).toBe(10_000);
  });

  it("spreads bits evenly (each bit set in 50% +- 3% of 4000 ids)", () => {
    const counts = new Array(128).fill(0);
    for (let i = 0; i < 4000; i++) {
      const bytes = fromBase64Url(newSecret((n) => randomBytes(n)))!;
      for (let b = 0; b < 128; b++) if (bytes[b >> 3]! & (1 << (b & 7))) counts[b]++;
    }
    for (const c of counts) expect(Math.abs(c / 4000 - 0.5)).toBeLessThan(0.03);
  });

  it("uses exactly the randomness it is given", () => {
    expect(newSecret((n) => new Uint8Array(n))).toBe("AAAAAAAAAAAAAAAAAAAAAA");
  });

  it("recognises only the exact shape", () => {
    for (const bad of ["", "short", "A".repeat(21), "A".repeat(23), "A".repeat(21) + "+", "A".repeat(21) + "B"]) {
      expect(isSecretShape(bad)).toBe(false);
    }
  });
});

describe("lifetimes", () => {
  const limits = { defaultSeconds: 86400, maxSeconds: 30 * 86400, minSeconds: 60 };
  it("parses human durations", () => {
    expect(parseDuration("90s")).toBe(90);
    expect(parseDuration("15m")).toBe(900);
    expect(parseDuration("24h")).toBe(86400);
    expect(parseDuration("7d")).toBe(604800);
    expect(parseDuration("2w")).toBe(1209600);
    expect(parseDuration("3600")).toBe(3600);
    for (const bad of ["", "h", "1.5h", "-1h", "1y", "1 hour"]) expect(parseDuration(bad)).toBeNull();
  });

  it("defaults and bounds a requested TTL", () => {
    expect(resolveTtl(undefined, limits)).toBe(86400);
    expect(resolveTtl(60, limits)).toBe(60);
    expect(resolveTtl(59, limits)).toBeNull();
    expect(resolveTtl(30 * 86400 + 1, limits)).toBeNull();
    expect(resolveTtl(1.5, limits)).toBeNull();
  });

  it("treats a fresh link past its expiry as expired", () => {
    expect(effectiveState({ state: "fresh", expiresAt: 1000 }, 999)).toBe("fresh");
    expect(effectiveState({ state: "fresh", expiresAt: 1000 }, 1000)).toBe("expired");
    expect(effectiveState({ state: "consumed", expiresAt: 1000 }, 5000)).toBe("consumed");
  });

  it("says when a link ended: its stamp, or its expiry once a fresh link has run past it", () => {
    expect(effectiveEndedAt({ state: "fresh", expiresAt: 1000, endedAt: null }, 999)).toBeNull();
    expect(effectiveEndedAt({ state: "fresh", expiresAt: 1000, endedAt: null }, 1500)).toBe(1000);
    expect(effectiveEndedAt({ state: "revoked", expiresAt: 1000, endedAt: 400 }, 5000)).toBe(400);
    expect(effectiveEndedAt({ state: "expired", expiresAt: 1000, endedAt: 700 }, 5000)).toBe(700);
    expect(effectiveEndedAt({ state: "consumed", expiresAt: 1000, endedAt: 300 }, 5000)).toBe(300);
  });
});

describe("error registry", () => {
  it("has upper-snake codes with 4xx/5xx statuses and builds bodies", () => {
    for (const [code, { status }] of Object.entries(ERRORS)) {
      expect(code).toMatch(/^[A-Z_]+$/);
      expect(status).toBeGreaterThanOrEqual(400);
    }
    expect(errorBody("UNAVAILABLE")).toEqual({ error: "UNAVAILABLE", message: ERRORS.UNAVAILABLE.message });
  });
});
