import { describe, expect, it } from "vitest";
import { DEFAULT_PAGE_SETTINGS, DEFAULT_POLICY_SETTINGS, parsePageSettings } from "./page-settings.js";
import { customTtl, splitTtl, ttlPresets } from "./ttl-choices.js";

const LIMITS = { min: 60, max: 30 * 86_400, default: 86_400 };

describe("lifetimes on the create page", () => {
  it("offers the presets that fit the server's limits, plus its default", () => {
    expect(ttlPresets(LIMITS)).toEqual([3_600, 86_400, 604_800, 2_592_000]);
    expect(ttlPresets({ min: 60, max: 86_400, default: 900 })).toEqual([900, 3_600, 86_400]);
    expect(ttlPresets({ min: 7_200, max: 7_200, default: 7_200 })).toEqual([7_200]);
  });

  it("accepts a custom whole number of minutes, hours or days inside the limits", () => {
    expect(customTtl("90", 60, LIMITS)).toBe(5_400);
    expect(customTtl(" 2 ", 86_400, LIMITS)).toBe(172_800);
    expect(customTtl("1", 60, LIMITS)).toBe(60);
    expect(customTtl("30", 86_400, LIMITS)).toBe(2_592_000);
  });

  it("refuses anything else", () => {
    for (const [amount, unit] of [
      ["", 60],
      ["0", 60],
      ["31", 86_400],
      ["1.5", 3_600],
      ["-1", 3_600],
      ["1e3", 60],
      ["12abc", 60],
      ["5", 7],
      ["99999999", 60],
    ] as const) {
      expect(customTtl(amount, unit, LIMITS), `${amount} × ${unit}`).toBeNull();
    }
  });

  it("splits a lifetime into the largest unit that divides it", () => {
    expect(splitTtl(172_800)).toEqual({ amount: 2, unit: 86_400 });
    expect(splitTtl(5_400)).toEqual({ amount: 90, unit: 60 });
    expect(splitTtl(7_200)).toEqual({ amount: 2, unit: 3_600 });
    expect(splitTtl(61)).toBeNull();
    expect(splitTtl(0)).toBeNull();
  });
});

describe("page settings", () => {
  it("round-trip, and fall back field by field when malformed", () => {
    const good = { clipboardClearSeconds: 30, ttl: { min: 120, max: 3_600, default: 600 }, maxFileBytes: 5_000_000, maxSecretBytes: 2_048, passphraseMaxAttempts: 3, policy: DEFAULT_POLICY_SETTINGS };
    expect(parsePageSettings(JSON.parse(JSON.stringify(good)))).toEqual(good);
    expect(parsePageSettings(null)).toEqual(DEFAULT_PAGE_SETTINGS);
    expect(parsePageSettings({ clipboardClearSeconds: -1, ttl: { min: "x" } })).toEqual(DEFAULT_PAGE_SETTINGS);
    expect(parsePageSettings({ clipboardClearSeconds: 0, ttl: { min: 60, max: 3_600, default: 86_400 } })).toEqual({
      clipboardClearSeconds: 0,
      ttl: { min: 60, max: 3_600, default: 3_600 },
      maxFileBytes: DEFAULT_PAGE_SETTINGS.maxFileBytes,
      maxSecretBytes: DEFAULT_PAGE_SETTINGS.maxSecretBytes,
      passphraseMaxAttempts: DEFAULT_PAGE_SETTINGS.passphraseMaxAttempts,
      policy: DEFAULT_POLICY_SETTINGS,
    });
    expect(parsePageSettings({ maxFileBytes: 0 }).maxFileBytes).toBe(DEFAULT_PAGE_SETTINGS.maxFileBytes);
    expect(parsePageSettings({ maxSecretBytes: -5 }).maxSecretBytes).toBe(DEFAULT_PAGE_SETTINGS.maxSecretBytes);
    expect(parsePageSettings({ passphraseMaxAttempts: 0 }).passphraseMaxAttempts).toBe(DEFAULT_PAGE_SETTINGS.passphraseMaxAttempts);
  });
});
