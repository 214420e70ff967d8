// Every shipped language is complete: the same keys as English, the same {placeholders} in each message, and no
// markup. A key added to en.ts without its translations fails here, naming the locale and the key.
import { describe, expect, it } from "vitest";
import { en, type MessageKey } from "./en.js";
import { catalogFor, SUPPORTED_LOCALES } from "./index.js";

const KEYS = Object.keys(en) as MessageKey[];
const placeholders = (text: string): string[] => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).sort();

describe("catalogs", () => {
  it("ship English, German, French, Spanish and Japanese", () => {
    expect([...SUPPORTED_LOCALES].sort()).toEqual(["de", "en", "es", "fr", "ja"]);
  });

  describe.each(SUPPORTED_LOCALES.filter((l) => l !== "en"))("%s", (locale) => {
    const catalog = catalogFor(locale) as Readonly<Record<string, string | undefined>>;

    it("has every key of en.ts, and no other", () => {
      const missing = KEYS.filter((key) => typeof catalog[key] !== "string" || catalog[key]!.trim() === "");
      expect(missing, `${locale} misses these keys`).toEqual([]);
      const extra = Object.keys(catalog).filter((key) => !Object.hasOwn(en, key));
      expect(extra, `${locale} has keys en.ts does not`).toEqual([]);
    });

    it("keeps exactly the placeholders of each English message", () => {
      const wrong = KEYS.filter((key) => catalog[key] !== undefined)
        .filter((key) => placeholders(catalog[key]!).join() !== placeholders(en[key]).join())
        .map((key) => `${key}: ${placeholders(catalog[key]!).join(",")} instead of ${placeholders(en[key]).join(",")}`);
      expect(wrong, `${locale} placeholders`).toEqual([]);
    });

    it("contains no markup and is actually translated", () => {
      for (const key of KEYS) expect(catalog[key] ?? "", `${locale} ${key}`).not.toMatch(/[<>]/);
      // Short words may legitimately match English ("Status", "Secret", "oncelink"); whole sentences may not.
      const untranslated = KEYS.filter((key) => en[key].length > 24 && catalog[key] === en[key]);
      expect(untranslated, `${locale} still in English`).toEqual([]);
    });
  });

  // One typographic convention per language, so the pages do not look like several translators' work stitched together.
  it("French puts a narrow no-break space (U+202F) before : ; ? ! and inside « », never an ordinary one", () => {
    const fr = catalogFor("fr") as Readonly<Record<string, string>>;
    const wrong = KEYS.flatMap((key) => {
      const text = fr[key] ?? "";
      const faults = [
        ...text.matchAll(/[ \u00a0][:;?!»]|«[ \u00a0]/g),
        // Glued to the word before: "Choisi: x", "Attention!" (the colons of 2001:db8::/32 are no punctuation).
        ...text.matchAll(/[^\s\u202f][;?!»]|[^\s\u202f]:(?=\s|$)|«[^\u202f]/g),
      ];
      return faults.map((m) => `${key}: …${text.slice(Math.max(0, m.index - 12), m.index + 4)}…`);
    });
    expect(wrong).toEqual([]);
  });

  it("German speaks of the sender and the recipient in one register: die absendende / empfangende Person", () => {
    const de = catalogFor("de") as Readonly<Record<string, string>>;
    const mixed = KEYS.filter((key) => /Absender|Empfänger/.test(de[key] ?? ""));
    expect(mixed).toEqual([]);
  });

  it("English has no markup and no empty message", () => {
    for (const key of KEYS) {
      expect(en[key]).not.toMatch(/[<>]/);
      expect(en[key].trim()).not.toBe("");
    }
  });
});
