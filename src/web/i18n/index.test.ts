import { describe, expect, it } from "vitest";
import { en } from "./en.js";
import {
  catalogSubset,
  chosenLocale,
  formatBytes,
  formatDateTime,
  formatDuration,
  formatRelativeTime,
  interpolate,
  localeChoices,
  localeCookie,
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
    expect(pickLocale("fr;q=0.9, en-US;q=0.8")).toBe("fr");
    expect(pickLocale("de-CH,de;q=0.9")).toBe("de");
    expect(pickLocale("ja-JP")).toBe("ja");
    expect(pickLocale("x".repeat(100_000))).toBe("en");
  });

  it("honours q-values and skips q=0", () => {
    expect(pickLocale("en;q=0, *;q=0.1")).toBe("en");
    expect(pickLocale("de;q=0.2, es;q=0.8, fr;q=0.5")).toBe("es");
    expect(pickLocale("de;q=0, fr;q=0.1")).toBe("fr");
    expect(pickLocale("pt-BR, es;q=0.5")).toBe("es");
    expect(resolveLocale("EN-gb")).toBe("en");
    expect(resolveLocale("zz")).toBe("en");
    expect(resolveLocale(undefined)).toBe("en");
  });

  it("lets an explicit choice (the switcher) win over Accept-Language, but only for a shipped locale", () => {
    expect(pickLocale("de-CH,de;q=0.9", "ja")).toBe("ja");
    expect(pickLocale("de", "fr-CA")).toBe("fr");
    expect(pickLocale("de", "zz")).toBe("de");
    expect(pickLocale(undefined, null)).toBe("en");
  });
});

describe("chosenLocale", () => {
  it("reads the lang query parameter first, then the lang cookie", () => {
    expect(chosenLocale("de", "lang=fr")).toEqual({ locale: "de", fromQuery: true });
    expect(chosenLocale(undefined, "a=1; lang=fr; b=2")).toEqual({ locale: "fr", fromQuery: false });
    expect(chosenLocale(["de", "fr"], "lang=es")).toEqual({ locale: "es", fromQuery: false });
    expect(chosenLocale("zz", "lang=ja")).toEqual({ locale: "ja", fromQuery: false });
    expect(chosenLocale(undefined, "xlang=de")).toBeNull();
    expect(chosenLocale(undefined, undefined)).toBeNull();
  });

  it("never passes anything but a shipped locale on", () => {
    for (const hostile of ['"><script>', "de\r\nSet-Cookie: x=1", "x".repeat(10_000), "../de"]) {
      const chosen = chosenLocale(hostile, `lang=${hostile}`);
      expect(chosen === null || SUPPORTED_LOCALES.includes(chosen.locale)).toBe(true);
    }
    expect(localeCookie('de"; Domain=evil', { secure: false })).toBe("lang=en; Path=/; Max-Age=31536000; SameSite=Lax");
    expect(localeCookie("ja", { secure: true })).toBe("lang=ja; Path=/; Max-Age=31536000; SameSite=Lax; Secure");
  });

  it("lists every locale by its own name", () => {
    expect(localeChoices()).toEqual([
      { locale: "en", name: "English" },
      { locale: "de", name: "Deutsch" },
      { locale: "fr", name: "Français" },
      { locale: "es", name: "Español" },
      { locale: "ja", name: "日本語" },
    ]);
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

  it("formats durations and relative times in every language with Intl", () => {
    // Intl puts (narrow) no-break spaces between number and unit in some languages: match any space.
    expect(formatDuration(86400, "de")).toMatch(/^1\sTag$/);
    expect(formatDuration(604800, "fr")).toMatch(/^7\sjours$/);
    expect(formatDuration(3600, "es")).toMatch(/^1\shora$/);
    expect(formatDuration(2592000, "ja")).toMatch(/^30\s?日$/);
    const now = Date.parse("2025-11-27T12:00:00Z");
    expect(formatRelativeTime("2025-11-28T11:00:00Z", now, "en")).toBe("in 23 hours");
    expect(formatRelativeTime("2025-11-27T11:55:00Z", now, "de")).toBe("vor 5 Minuten");
    expect(formatRelativeTime("not a date", now, "en")).toBe("");
  });

  it("formats byte counts", () => {
    expect(formatBytes(1, "en")).toBe("1 byte");
    expect(formatBytes(1_234_567, "en")).toBe("1.2 MB");
  });

  it("never rounds a limit up: 1 GiB is 'up to 1 GB', not 1.1 GB that a 1.08 GB file would exceed", () => {
    expect(formatBytes(1024 ** 3, "en")).toBe("1.1 GB");
    expect(formatBytes(1024 ** 3, "en", { limit: true })).toBe("1 GB");
    expect(formatBytes(4096, "en", { limit: true })).toBe("4 kB");
    expect(formatBytes(1_999, "de", { limit: true })).toMatch(/^1,9\skB$/);
    expect(formatBytes(512, "en", { limit: true })).toBe("512 bytes");
    expect(formatBytes(2_001, "en", { roundUp: true })).toBe("2.1 kB");
    expect(formatBytes(2_000, "en", { roundUp: true })).toBe("2 kB");
  });

  it("keeps every catalog string free of markup, so it can be escaped or set as text anywhere", () => {
    for (const value of Object.values(en)) expect(value).not.toMatch(/[<>]/);
  });
});
