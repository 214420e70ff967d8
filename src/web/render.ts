// Server-side HTML for the browser pages. Output depends only on the page, the locale and the server's page
// settings, never on the request, so the server may cache it per locale, and the open page cannot leak anything
// about the link it is served for. Everything here must satisfy the strict CSP (no inline script or style,
// same-origin assets only) and Trusted Types (the scripts never parse HTML).
import {
  catalogFor,
  catalogSubset,
  localeChoices,
  LOCALE_PARAM,
  resolveLocale,
  t,
  type Catalog,
  type MessageKey,
} from "./i18n/index.js";
import { COMMON_IDS } from "./page-ids.js";
import { DEFAULT_PAGE_SETTINGS, type PageSettings } from "./page-settings.js";
import { createMain } from "./templates/create-page.js";
import { enrolMain } from "./templates/enrol-page.js";
import { escapeHtml, msg, unavailableSection } from "./templates/html.js";
import { manageMain } from "./templates/manage-page.js";
import { openMain } from "./templates/open-page.js";

export { escapeHtml } from "./templates/html.js";

/** The pages that have a browser bundle. */
export type PageName = "create" | "open" | "manage" | "enrol";

/** Options for rendering a page. */
export interface RenderOptions {
  /** A locale tag, ideally from `pickLocale(...)`; unknown tags fall back to "en". */
  locale: string;
  /** The server's settings for its pages; the defaults of an unconfigured server when omitted. */
  settings?: PageSettings;
}

/** URL of the shared stylesheet; the server serves `dist/assets/styles.css` there. */
export const STYLESHEET_PATH = "/assets/styles.css";

/**
 * URL of each page's script; the server serves `dist/assets/<page>.js` there (built by esbuild from
 * `src/web/entries/<page>.ts`).
 */
export const SCRIPT_PATHS: Readonly<Record<PageName, string>> = {
  create: "/assets/create.js",
  open: "/assets/open.js",
  manage: "/assets/manage.js",
  enrol: "/assets/enrol.js",
};

/** Which catalog sections each page's script needs at run time (see `catalogSubset`). */
export const PAGE_MESSAGE_PREFIXES: Readonly<Record<PageName, readonly string[]>> = {
  create: ["common", "create"],
  open: ["common", "open", "unavailable"],
  manage: ["common", "manage", "unavailable"],
  enrol: ["common", "enrol"],
};

const TITLE_KEYS: Readonly<Record<PageName, MessageKey>> = {
  create: "create.title",
  open: "open.title",
  manage: "manage.title",
  enrol: "enrol.title",
};

/**
 * Renders a complete HTML document for one page. The result is a pure function of `(page, locale, settings)`: in
 * particular the open page is byte-identical for every link id (the script reads the id from `location.pathname`
 * and the key from `location.hash`), so serving it needs no lookup and echoes nothing derived from the id.
 * @example reply.type("text/html; charset=utf-8").send(renderPage("open", { locale: pickLocale(req.headers["accept-language"]) }))
 */
export function renderPage(page: PageName, opts: RenderOptions): string {
  const locale = resolveLocale(opts.locale);
  const settings = opts.settings ?? DEFAULT_PAGE_SETTINGS;
  const c = catalogFor(locale);
  const main =
    page === "create"
      ? createMain(c, locale, settings)
      : page === "open"
        ? openMain(c, locale, settings)
        : page === "enrol"
          ? enrolMain(c)
          : manageMain(c);
  return documentHtml(c, locale, {
    title: t(c, TITLE_KEYS[page]),
    main,
    script: SCRIPT_PATHS[page],
    data: { locale, messages: catalogSubset(locale, PAGE_MESSAGE_PREFIXES[page]), settings },
    // The create page may be found by search engines; link pages must never be indexed.
    indexable: page === "create",
  });
}

/**
 * Renders the neutral "no longer available" document: the same words whether the link never existed, was opened,
 * expired or was revoked, and nothing about what it held. Served (with 404) for unknown routes too.
 * It has no script, so it works for clients that run none (its language links work without one too).
 */
export function renderUnavailablePage(opts: RenderOptions): string {
  const locale = resolveLocale(opts.locale);
  const c = catalogFor(locale);
  return documentHtml(c, locale, {
    title: t(c, "unavailable.title"),
    main: unavailableSection(c, false),
    script: null,
    data: null,
    indexable: false,
  });
}

/**
 * Serializes a value for a `<script type="application/json">` data block. `<` becomes `\u003c` so no `</script>`
 * or `<!--` in a translation can end the block early; `>`, `&` and the JS line separators are escaped too, which
 * keeps the block inert under any HTML parser state.
 */
export function jsonForScriptBlock(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

interface DocumentParts {
  title: string;
  main: string;
  script: string | null;
  /** The page script's data block: its messages and the server's settings. */
  data: { locale: string; messages: Record<string, string>; settings: PageSettings } | null;
  indexable: boolean;
}

/**
 * The language switcher: plain links that reload the page in another language (`?lang=xx`, remembered in a cookie
 * by the server). Each name is written in its own language and marked with `lang`, so it is read out correctly.
 * Page scripts carry the link's fragment across the switch (see lib/language.ts).
 */
function languageNav(c: Catalog, current: string): string {
  const items = localeChoices().map(({ locale, name }) => {
    const attrs = `href="?${LOCALE_PARAM}=${locale}" lang="${locale}" hreflang="${locale}"`;
    return `<li><a ${attrs}${locale === current ? ` aria-current="true"` : ""}>${escapeHtml(name)}</a></li>`;
  });
  return (
    `<nav id="${COMMON_IDS.languageNav}" class="language-nav" aria-label="${msg(c, "common.language.label")}">` +
    `<ul>${items.join("")}</ul></nav>`
  );
}

function documentHtml(c: Catalog, locale: string, parts: DocumentParts): string {
  const head = [
    `<meta charset="utf-8">`,
    `<meta name="viewport" content="width=device-width, initial-scale=1">`,
    // Links carry secrets in their path and fragment; no page of ours should hand its URL to anyone else.
    `<meta name="referrer" content="no-referrer">`,
    parts.indexable ? "" : `<meta name="robots" content="noindex, nofollow, noarchive">`,
    `<meta name="color-scheme" content="light dark">`,
    `<title>${escapeHtml(parts.title)}</title>`,
    // An empty data: icon stops the browser from requesting /favicon.ico (a 404 on every visit).
    `<link rel="icon" href="data:,">`,
    `<link rel="stylesheet" href="${STYLESHEET_PATH}">`,
    parts.script ? `<script type="module" src="${parts.script}"></script>` : "",
  ].filter((line) => line !== "");
  const dataBlock =
    parts.data === null
      ? ""
      : `<script type="application/json" id="${COMMON_IDS.i18n}">${jsonForScriptBlock(parts.data)}</script>\n`;
  return (
    `<!doctype html>\n<html lang="${escapeHtml(locale)}">\n<head>\n${head.join("\n")}\n</head>\n<body>\n` +
    `<a class="skip-link" href="#${COMMON_IDS.main}">${msg(c, "common.skipLink")}</a>\n` +
    `<header class="site-header"><a class="brand" href="/">${msg(c, "common.brand")}</a>${languageNav(c, locale)}</header>\n` +
    `<main id="${COMMON_IDS.main}" tabindex="-1">\n${parts.main}\n</main>\n` +
    `<footer class="site-footer"><p>${msg(c, "common.footer")}</p></footer>\n` +
    dataBlock +
    `</body>\n</html>\n`
  );
}
