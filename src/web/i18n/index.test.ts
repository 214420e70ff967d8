import { describe, expect, it } from "vitest";
import { en } from "./en.js";
import {
  catalogSubset,
  formatBytes,
  formatDateTime,
  formatDuration,
  interpolate,
  pickLocale,
  resolveLocale,
  SUPPORTED_LOCALES,
  t,
} from "./index.js";

describe("t", () => {
  it("fills placeholders and leaves unknown ones visible", () => {
    expect(t(en, "create.result.expires", { time: "noon" })).toBe("If nobody opens it, it is deleted on noon.");
    expect(t(en, "create.result.expires")).toContain("{time}");
    expect(interpolate("{a} {b} {a}", { a: 1 })).toBe("1 {b} 1");
  });

  it("falls back to English for a key a translation lacks", () => {
    expect(t({}, "open.reveal")).toBe("Reveal");
    expect(t({ "open.reveal": "Anzeigen" }, "open.reveal")).toBe("Anzeigen");
  });

  it("does not let a parameter named like an Object method through", () => {
    expect(interpolate("{constructor}", {})).toBe("{constructor}");
  });
});

describe("pickLocale", () => {
  it("returns a shipped locale for any header", () => {
    for (const header of [undefined, "", "*", "de-CH,de;q=0.9", "en-GB,en;q=0.8", "xx;q=abc", ",,;", "en;q=0"]) {
      expect(SUPPORTED_LOCALES).toContain(pickLocale(header));
    }
    expect(pickLocale("fr;q=0.9, en-US;q=0.8")).toBe("en");
    expect(pickLocale("x".repeat(100_000))).toBe("en");
  });

  it("honours q-values and skips q=0", () => {
    // Only "en" ships today; the ranking is observable through resolveLocale's fallbacks.
    expect(pickLocale("en;q=0, *;q=0.1")).toBe("en");
    expect(resolveLocale("EN-gb")).toBe("en");
    expect(resolveLocale("zz")).toBe("en");
    expect(resolveLocale(undefined)).toBe("en");
  });
});

describe("catalogSubset", () => {
  it("takes whole sections only", () => {
    const subset = catalogSubset("en", ["common"]);
    expect(Object.keys(subset).length).toBeGreaterThan(3);
    expect(Object.keys(subset).every((k) => k.startsWith("common."))).toBe(true);
  });
});

describe("formatting", () => {
  it("formats durations in the largest whole unit", () => {
    expect(formatDuration(3600, "en")).toBe("1 hour");
    expect(formatDuration(86400, "en")).toBe("1 day");
    expect(formatDuration(604800, "en")).toBe("7 days");
    expect(formatDuration(90, "en")).toBe("90 seconds");
  });

  it("formats times and passes invalid ones through", () => {
    expect(formatDateTime("2025-11-27T14:05:00Z", "en")).toMatch(/2025/);
    expect(formatDateTime("not a date", "en")).toBe("not a date");
  });

  it("formats byte counts", () => {
    expect(formatBytes(1, "en")).toBe("1 byte");
    expect(formatBytes(1_234_567, "en")).toBe("1.2 MB");
  });

  it("keeps every catalog string free of markup, so it can be escaped or set as text anywhere", () => {
    for (const value of Object.values(en)) expect(value).not.toMatch(/[<>]/);
  });
});
