import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { en, type MessageKey } from "./i18n/en.js";
import { SUPPORTED_LOCALES } from "./i18n/index.js";
import { COMMON_IDS, CREATE_IDS, MANAGE_IDS, OPEN_IDS } from "./page-ids.js";
import { DEFAULT_PAGE_SETTINGS, DEFAULT_POLICY_SETTINGS } from "./page-settings.js";
import {
  escapeHtml,
  jsonForScriptBlock,
  PAGE_MESSAGE_PREFIXES,
  renderPage,
  renderUnavailablePage,
  SCRIPT_PATHS,
  STYLESHEET_PATH,
  type PageName,
} from "./render.js";

const PAGES: PageName[] = ["create", "open", "manage"];

function scripts(html: string): string[] {
  return [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)].map((m) => `${m[1]}|${m[2]}`);
}

function i18nBlock(html: string): { locale: string; messages: Record<string, string> } {
  const m = /<script type="application\/json" id="i18n">([\s\S]*?)<\/script>/.exec(html);
  if (!m) throw new Error("no i18n block");
  return JSON.parse(m[1]!) as { locale: string; messages: Record<string, string> };
}

describe("renderPage", () => {
  it.each(PAGES)("%s: a complete document that satisfies the strict CSP", (page) => {
    const html = renderPage(page, { locale: "en" });
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).toContain('<html lang="en">');
    expect(html).toMatch(/<main id="main"/);
    expect(html).toContain('class="skip-link" href="#main"');
    expect(html).toContain(`<link rel="stylesheet" href="${STYLESHEET_PATH}">`);
    expect(html).toContain(`<script type="module" src="${SCRIPT_PATHS[page]}"></script>`);
    // Every script is either an external module or a JSON data block with no executable body.
    for (const s of scripts(html)) {
      const [attrs, body] = s.split("|") as [string, string];
      if (attrs.includes('type="module"')) expect(body).toBe("");
      else expect(attrs).toContain('type="application/json"');
    }
    expect(html).not.toMatch(/\sstyle\s*=/i);
    expect(html).not.toMatch(/<style\b/i);
    expect(html).not.toMatch(/\son[a-z]+\s*=/i);
    expect(html).not.toMatch(/(?:href|src|action)\s*=\s*"?\s*javascript:/i);
    expect(html).not.toMatch(/(?:src|href|action)="(?:https?:)?\/\//i);
    expect(html.match(/<h1\b/g)?.length ?? 0).toBeGreaterThan(0);
  });

  it("serves the open page byte-identical for any link (nothing about the id is in it)", () => {
    const a = renderPage("open", { locale: "en" });
    const b = renderPage("open", { locale: "en" });
    expect(a).toBe(b);
    // The renderer has no id parameter at all; make sure nothing id-shaped sneaks in either.
    expect(a).not.toMatch(/[A-Za-z0-9_-]{22}/);
  });

  it("falls back to English for unknown or hostile locales, and never echoes them", () => {
    const html = renderPage("create", { locale: '"><script>alert(1)</script>' });
    expect(html).toContain('<html lang="en">');
    expect(html).not.toContain("alert(1)");
    expect(renderPage("open", { locale: "en-GB" })).toBe(renderPage("open", { locale: "en" }));
  });

  it.each(PAGES)("%s: labels every form control and shows no raw keys or placeholders", (page) => {
    const html = renderPage(page, { locale: "en" });
    for (const m of html.matchAll(/<(textarea|select|input)\b[^>]*\bid="([^"]+)"/g)) {
      expect(html, `label for #${m[2]}`).toMatch(new RegExp(`<label (id="[^"]+" )?for="${m[2]}">`));
    }
    const visible = html.replace(/<script type="application\/json"[\s\S]*?<\/script>/, "");
    for (const key of Object.keys(en)) expect(visible).not.toContain(`>${key}<`);
    expect(visible).not.toMatch(/\{[a-z]\w*\}/i);
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size, "ids are unique").toBe(ids.length);
  });

  it.each([
    ["create", CREATE_IDS],
    ["open", OPEN_IDS],
    ["manage", MANAGE_IDS],
  ] as const)("%s: contains every element its script looks up", (page, ids) => {
    const html = renderPage(page, { locale: "en" });
    const needed = { ...ids, ...COMMON_IDS };
    // The create page has no unavailable view: its script never looks one up.
    if (page === "create") {
      delete (needed as Partial<typeof needed>).unavailableView;
      delete (needed as Partial<typeof needed>).unavailableHeading;
      // Present only when the operator set minimums; the script does not look it up.
      delete (needed as Partial<typeof needed> & { minimums?: string }).minimums;
    }
    for (const id of Object.values(needed)) expect(html, `#${id}`).toContain(`id="${id}"`);
  });

  it("ships each page the catalog keys its script uses", () => {
    const entries = new URL("./entries/", import.meta.url);
    const libs = new URL("./lib/", import.meta.url);
    const libSource = readdirSync(libs)
      .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
      .map((f) => readFileSync(new URL(f, libs), "utf8"))
      .join("\n");
    for (const page of PAGES) {
      const source = readFileSync(new URL(`${page}.ts`, entries), "utf8") + libSource;
      const used = [...source.matchAll(/"((?:common|unavailable|create|open|manage)\.[\w.]+)"/g)].map((m) => m[1]!);
      expect(used.length).toBeGreaterThan(0);
      const shipped = i18nBlock(renderPage(page, { locale: "en" })).messages;
      for (const key of used) {
        expect(Object.hasOwn(en, key), `${key} exists in en.ts`).toBe(true);
        // Keys of other pages may appear in shared lib code; only this page's prefixes must be shipped.
        if (PAGE_MESSAGE_PREFIXES[page].includes(key.split(".")[0]!)) {
          expect(shipped[key], `${page} ships ${key}`).toBe(en[key as MessageKey]);
        }
      }
    }
  });

  it("ships only the page's own catalog sections", () => {
    const { locale, messages } = i18nBlock(renderPage("open", { locale: "en" }));
    expect(locale).toBe("en");
    expect(Object.keys(messages).every((k) => /^(common|open|unavailable)\./.test(k))).toBe(true);
    expect(messages["open.reveal"]).toBe("Reveal");
  });

  /** The options of the lifetime select: [value, text, selected]. */
  function lifetimeOptions(html: string): Array<[string, string, boolean]> {
    const select = /<select id="ttl"[^>]*>([\s\S]*?)<\/select>/.exec(html)?.[1] ?? "";
    return [...select.matchAll(/<option value="(\w+)"( selected)?>([^<]+)<\/option>/g)].map((o) => [o[1]!, o[3]!, !!o[2]]);
  }

  it("offers the four lifetimes and the templates' own (3 days) with one day preselected, and a custom one", () => {
    expect(lifetimeOptions(renderPage("create", { locale: "en" }))).toEqual([
      ["3600", "1 hour", false],
      ["86400", "1 day", true],
      ["259200", "3 days", false],
      ["604800", "7 days", false],
      ["2592000", "30 days", false],
      ["custom", "Custom…", false],
    ]);
  });

  it("keeps the lifetimes inside the server's limits and preselects its default", () => {
    const settings = { clipboardClearSeconds: 60, ttl: { min: 300, max: 604_800, default: 7_200 }, maxFileBytes: 1024 ** 2, maxSecretBytes: 65_536, passphraseMaxAttempts: 5, policy: DEFAULT_POLICY_SETTINGS };
    const html = renderPage("create", { locale: "en", settings });
    expect(lifetimeOptions(html)).toEqual([
      ["3600", "1 hour", false],
      ["7200", "2 hours", true],
      ["86400", "1 day", false],
      ["259200", "3 days", false],
      ["604800", "7 days", false],
      ["custom", "Custom…", false],
    ]);
    expect(html).toContain("Between 5 minutes and 7 days.");
    expect(i18nBlock(html)).toMatchObject({ settings });
  });

  it("tells the recipient how long a copied secret stays on the clipboard, as configured", () => {
    const hint = (seconds: number, locale = "en") =>
      /<p id="clipboard-hint"[^>]*>([^<]*)<\/p>/.exec(
        renderPage("open", {
          locale,
          settings: { clipboardClearSeconds: seconds, ttl: { min: 60, max: 86_400, default: 3_600 }, maxFileBytes: 1024, maxSecretBytes: 1024, passphraseMaxAttempts: 5, policy: DEFAULT_POLICY_SETTINGS },
        }),
      )?.[1];
    expect(hint(60)).toBe("A copy stays on the clipboard for 1 minute; then this page clears it, as long as the page is still open.");
    expect(hint(90)).toContain("90 seconds");
    expect(hint(120, "de")).toContain("2 Minuten");
    expect(hint(0), "no promise when clearing is off").toBeUndefined();
  });

  it("tells the sender how many wrong passphrases delete the secret, as configured", () => {
    const hint = (attempts: number, locale = "en") =>
      /<p id="passphrase-hint"[^>]*>([^<]*)<\/p>/.exec(
        renderPage("create", { locale, settings: { ...DEFAULT_PAGE_SETTINGS, passphraseMaxAttempts: attempts } }),
      )?.[1];
    expect(hint(5)).toContain("After 5 wrong tries the secret is deleted.");
    expect(hint(3)).toContain("After 3 wrong tries the secret is deleted.");
    expect(hint(3)).not.toContain("5");
    expect(hint(1)).toContain("One wrong try deletes the secret.");
    expect(hint(12, "de")).toContain("Nach 12 falschen Versuchen");
    expect(hint(1, "ja")).not.toContain("5");
  });

  it.each(SUPPORTED_LOCALES)("%s: every page in that language, with a switcher to all the others", (locale) => {
    for (const page of PAGES) {
      const html = renderPage(page, { locale });
      expect(html).toContain(`<html lang="${locale}">`);
      const nav = /<nav id="language-nav"[^>]*>([\s\S]*?)<\/nav>/.exec(html)?.[1] ?? "";
      const links = [...nav.matchAll(/<a href="\?lang=(\w+)" lang="(\w+)" hreflang="(\w+)"( aria-current="true")?>/g)];
      expect(links.map((l) => l[1])).toEqual([...SUPPORTED_LOCALES]);
      expect(links.filter((l) => l[4]).map((l) => l[1])).toEqual([locale]);
      expect(i18nBlock(html).locale).toBe(locale);
    }
    expect(renderUnavailablePage({ locale })).toContain(`<html lang="${locale}">`);
  });

  it("disables the create button until the script runs, so no plaintext can be submitted without encryption", () => {
    expect(renderPage("create", { locale: "en" })).toMatch(/<button type="submit"[^>]*\bdisabled\b/);
  });
});

describe("renderUnavailablePage", () => {
  it("is neutral, script-free and the same every time", () => {
    const html = renderUnavailablePage({ locale: "en" });
    expect(html).toBe(renderUnavailablePage({ locale: "en" }));
    expect(html).toContain("<h1");
    expect(html).toContain(escapeHtml(en["unavailable.heading"]));
    expect(html).toContain(escapeHtml(en["unavailable.body"]));
    expect(html).not.toMatch(/<script\b/i);
    expect(html).toContain('<meta name="robots" content="noindex, nofollow, noarchive">');
    expect(html).toMatch(/<main id="main"/);
  });
});

describe("jsonForScriptBlock", () => {
  it("cannot close the data block or open a comment, and round-trips", () => {
    const value = { a: "</script><script>alert(1)</script><!--", b: "x & y > z \u2028\u2029" };
    const text = jsonForScriptBlock(value);
    expect(text).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(text)).toEqual(value);
  });
});

describe("escapeHtml", () => {
  it("escapes markup and both quote kinds", () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe("&#60;a href=&#34;x&#34; title=&#39;y&#39;&#62;&#38;&#60;/a&#62;");
  });
});
