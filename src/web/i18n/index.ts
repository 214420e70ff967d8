import { de } from "./de.js";
import { en, type MessageKey } from "./en.js";
import { es } from "./es.js";
import { interpolate, type MessageParams } from "./format.js";
import { fr } from "./fr.js";
import { ja } from "./ja.js";

export type { MessageKey } from "./en.js";
export {
  formatBytes,
  formatDateTime,
  formatDuration,
  formatRelativeTime,
  interpolate,
  type MessageParams,
} from "./format.js";

/**
 * A catalog as a page sees it. Translations may lag behind English, so a catalog may miss keys; `t()` falls back
 * to English on the server and to the key itself in the browser (where only one page's subset is shipped).
 */
export type Catalog = Readonly<Partial<Record<MessageKey, string>>>;

/**
 * Every shipped catalog by BCP 47 primary language tag. A new language is one file (`de.ts` exporting
 * `const de: Catalog`) plus one line here; `pickLocale`, `renderPage` and the language switcher pick it up from this
 * table, and the catalog test checks it is complete.
 */
const CATALOGS: Readonly<Record<string, Catalog>> = { en, de, fr, es, ja };

/** The locale used when nothing in Accept-Language matches. */
export const DEFAULT_LOCALE = "en";

/** Locales the server can render, in a stable order. */
export const SUPPORTED_LOCALES: readonly string[] = Object.keys(CATALOGS);

/**
 * Looks up a message and fills its `{placeholders}`. A missing key yields the English text when the catalog is a
 * partial translation of a server-side catalog, else the key itself, so a gap is visible rather than blank.
 * Unknown placeholders are left as written.
 * @example t(en, "create.result.expires", { time: "1 Dec 2025, 10:00" })
 */
export function t(catalog: Catalog, key: MessageKey, params?: MessageParams): string {
  return interpolate(catalog[key] ?? en[key] ?? key, params);
}

/**
 * Resolves a locale tag to one we ship: exact match first, then the primary language subtag, else the default.
 * The result is always a member of SUPPORTED_LOCALES, so it is safe to put in `<html lang>`.
 * @example resolveLocale("en-GB") // "en"
 */
export function resolveLocale(tag: string | undefined): string {
  return (tag ? shippedLocale(tag) : null) ?? DEFAULT_LOCALE;
}

/** The shipped locale a tag names (exact, else by primary subtag), or null. */
function shippedLocale(tag: string): string | null {
  const lower = tag.trim().toLowerCase();
  const exact = SUPPORTED_LOCALES.find((l) => l.toLowerCase() === lower);
  if (exact) return exact;
  const primary = lower.split("-")[0];
  return SUPPORTED_LOCALES.find((l) => l.toLowerCase() === primary) ?? null;
}

/** Name of the query parameter and of the cookie that carry a locale the person chose with the switcher. */
export const LOCALE_PARAM = "lang";

/**
 * The locale a person chose explicitly: the `lang` query parameter (a click in the language switcher), else the
 * `lang` cookie (remembered from an earlier click). Only shipped locales count, so nothing else is echoed anywhere.
 * `fromQuery` says the choice is new and worth remembering (see `localeCookie`).
 * @example chosenLocale("de", undefined) // { locale: "de", fromQuery: true }
 */
export function chosenLocale(
  query: unknown,
  cookieHeader: string | undefined,
): { locale: string; fromQuery: boolean } | null {
  if (typeof query === "string" && query.length <= 35) {
    const locale = shippedLocale(query);
    if (locale !== null) return { locale, fromQuery: true };
  }
  // Cookie headers are attacker-controlled too: look at a bounded prefix only.
  const match = /(?:^|;\s*)lang=([A-Za-z-]{1,35})(?:;|$)/.exec((cookieHeader ?? "").slice(0, 4096));
  const fromCookie = match ? shippedLocale(match[1]!) : null;
  return fromCookie === null ? null : { locale: fromCookie, fromQuery: false };
}

/**
 * The `Set-Cookie` value that remembers a chosen locale for a year. A preference, not a credential: readable by
 * the pages, sent on top-level navigations (SameSite=Lax) so a link opened from mail shows the chosen language.
 */
export function localeCookie(locale: string, opts: { secure: boolean }): string {
  return `${LOCALE_PARAM}=${resolveLocale(locale)}; Path=/; Max-Age=31536000; SameSite=Lax${opts.secure ? "; Secure" : ""}`;
}

/** Each shipped locale with its own name for itself (from its catalog), for the language switcher. */
export function localeChoices(): ReadonlyArray<{ locale: string; name: string }> {
  return SUPPORTED_LOCALES.map((locale) => ({ locale, name: t(catalogFor(locale), "common.language.name") }));
}

/**
 * Chooses the locale of a page. A locale the person chose explicitly (`chosen`: the `lang` query parameter or
 * cookie, see `chosenLocale`) wins when we ship it; otherwise the best match for the `Accept-Language` header
 * (RFC 9110 section 12.5.4): ranges sorted by q-value (ties keep header order), `q=0` excluded, `*` meaning the
 * default.
 * @example pickLocale("de-CH, de;q=0.9, en;q=0.5") // "de"
 * @example pickLocale("de-CH, de;q=0.9", "ja") // "ja"
 */
export function pickLocale(acceptLanguage: string | undefined, chosen?: string | null): string {
  if (chosen) {
    const picked = shippedLocale(chosen);
    if (picked !== null) return picked;
  }
  if (!acceptLanguage) return DEFAULT_LOCALE;
  // Headers are attacker-controlled: cap the work done on them.
  const ranges = acceptLanguage
    .slice(0, 512)
    .split(",")
    .slice(0, 32)
    .map((part, index) => {
      const [rawTag = "", ...rawParams] = part.split(";");
      let q = 1;
      for (const p of rawParams) {
        const m = /^\s*q\s*=\s*([01](?:\.\d{0,3})?)\s*$/i.exec(p);
        if (m) q = Number(m[1]);
      }
      return { tag: rawTag.trim().toLowerCase(), q, index };
    })
    .filter((r) => r.tag.length > 0 && r.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { tag } of ranges) {
    if (tag === "*") return DEFAULT_LOCALE;
    const exact = SUPPORTED_LOCALES.find((l) => l.toLowerCase() === tag);
    if (exact) return exact;
    const primary = SUPPORTED_LOCALES.find((l) => l.toLowerCase() === tag.split("-")[0]);
    if (primary) return primary;
  }
  return DEFAULT_LOCALE;
}

/** The full catalog for a locale (resolved with `resolveLocale`). */
export function catalogFor(locale: string): Catalog {
  return CATALOGS[resolveLocale(locale)] ?? en;
}

/**
 * The messages one page needs in the browser: every key whose first segment is in `prefixes`, with English filling
 * gaps, so browser code never needs the English catalog bundled.
 * @example catalogSubset("en", ["common", "open"])
 */
export function catalogSubset(locale: string, prefixes: readonly string[]): Record<string, string> {
  const catalog = catalogFor(locale);
  const out: Record<string, string> = {};
  for (const key of Object.keys(en) as MessageKey[]) {
    if (prefixes.includes(key.split(".")[0] ?? "")) out[key] = catalog[key] ?? en[key];
  }
  return out;
}
