// Server-side HTML for the browser pages. Output depends only on the page and the locale, never on the request,
// so the server may cache it per locale, and the open page cannot leak anything about the link it is served for.
// Everything here must satisfy the strict CSP (no inline script or style, same-origin assets only).
import { catalogFor, catalogSubset, formatDuration, resolveLocale, t, type Catalog, type MessageKey } from "./i18n/index.js";
import { COMMON_IDS, CREATE_IDS, MANAGE_IDS, OPEN_IDS } from "./page-ids.js";
import { DEFAULT_TTL, TTL_CHOICES } from "./ttl-choices.js";

/** The pages that have a browser bundle. */
export type PageName = "create" | "open" | "manage";

/** Options for rendering a page. */
export interface RenderOptions {
  /** A locale tag, ideally from `pickLocale(request.headers["accept-language"])`; unknown tags fall back to "en". */
  locale: string;
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
};

/** Which catalog sections each page's script needs at run time (see `catalogSubset`). */
export const PAGE_MESSAGE_PREFIXES: Readonly<Record<PageName, readonly string[]>> = {
  create: ["common", "create"],
  open: ["common", "open", "unavailable"],
  manage: ["common", "manage", "unavailable"],
};

/**
 * Renders a complete HTML document for one page. The result is a pure function of `(page, locale)`: in particular
 * the open page is byte-identical for every link id (the script reads the id from `location.pathname` and the key
 * from `location.hash`), so serving it needs no lookup and echoes nothing derived from the id.
 * @example reply.type("text/html; charset=utf-8").send(renderPage("open", { locale: pickLocale(req.headers["accept-language"]) }))
 */
export function renderPage(page: PageName, opts: RenderOptions): string {
  const locale = resolveLocale(opts.locale);
  const c = catalogFor(locale);
  const body = page === "create" ? createMain(c, locale) : page === "open" ? openMain(c) : manageMain(c);
  const titleKey: MessageKey = page === "create" ? "create.title" : page === "open" ? "open.title" : "manage.title";
  return documentHtml(c, locale, {
    title: t(c, titleKey),
    main: body,
    script: SCRIPT_PATHS[page],
    messages: catalogSubset(locale, PAGE_MESSAGE_PREFIXES[page]),
    // The create page may be found by search engines; link pages must never be indexed.
    indexable: page === "create",
  });
}

/**
 * Renders the neutral "no longer available" document: the same words whether the link never existed, was opened,
 * expired or was revoked, and nothing about what it held. Served (with 404) for unknown routes too.
 * It has no script, so it works for clients that run none.
 */
export function renderUnavailablePage(opts: RenderOptions): string {
  const locale = resolveLocale(opts.locale);
  const c = catalogFor(locale);
  return documentHtml(c, locale, {
    title: t(c, "unavailable.title"),
    main: unavailableSection(c, false),
    script: null,
    messages: null,
    indexable: false,
  });
}

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
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
  messages: Record<string, string> | null;
  indexable: boolean;
}

function documentHtml(c: Catalog, locale: string, parts: DocumentParts): string {
  const msg = (key: MessageKey): string => escapeHtml(t(c, key));
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
    parts.messages === null
      ? ""
      : `<script type="application/json" id="${COMMON_IDS.i18n}">${jsonForScriptBlock({ locale, messages: parts.messages })}</script>\n`;
  return (
    `<!doctype html>\n<html lang="${escapeHtml(locale)}">\n<head>\n${head.join("\n")}\n</head>\n<body>\n` +
    `<a class="skip-link" href="#${COMMON_IDS.main}">${msg("common.skipLink")}</a>\n` +
    `<header class="site-header"><a class="brand" href="/">${msg("common.brand")}</a></header>\n` +
    `<main id="${COMMON_IDS.main}" tabindex="-1">\n${parts.main}\n</main>\n` +
    `<footer class="site-footer"><p>${msg("common.footer")}</p></footer>\n` +
    dataBlock +
    `</body>\n</html>\n`
  );
}

/** The two live regions every scripted page announces through; they exist from the start so that screen readers
 * register them before anything is written into them. */
function liveRegions(): string {
  return (
    `<p id="${COMMON_IDS.status}" class="status" role="status" aria-live="polite"></p>\n` +
    `<p id="${COMMON_IDS.error}" class="error" role="alert"></p>`
  );
}

function noscript(c: Catalog): string {
  return `<noscript><p class="notice">${escapeHtml(t(c, "common.noscript"))}</p></noscript>`;
}

function unavailableSection(c: Catalog, hidden: boolean): string {
  return (
    `<section id="${COMMON_IDS.unavailableView}" class="view" aria-labelledby="${COMMON_IDS.unavailableHeading}"${hidden ? " hidden" : ""}>\n` +
    `<h1 id="${COMMON_IDS.unavailableHeading}" tabindex="-1">${escapeHtml(t(c, "unavailable.heading"))}</h1>\n` +
    `<p>${escapeHtml(t(c, "unavailable.body"))}</p>\n` +
    `</section>`
  );
}

function createMain(c: Catalog, locale: string): string {
  const m = (key: MessageKey): string => escapeHtml(t(c, key));
  const ids = CREATE_IDS;
  const options = TTL_CHOICES.map(
    (s) => `<option value="${s}"${s === DEFAULT_TTL ? " selected" : ""}>${escapeHtml(formatDuration(s, locale))}</option>`,
  ).join("");
  // Secret fields opt out of spellcheck, autocomplete and autocapitalize: enhanced spellcheckers upload text,
  // and form autofill stores it on disk.
  const secretAttrs = `spellcheck="false" autocomplete="off" autocapitalize="off" autocorrect="off"`;
  return [
    noscript(c),
    `<section id="${ids.formView}" class="view" aria-labelledby="create-heading">`,
    `<h1 id="create-heading">${m("create.heading")}</h1>`,
    `<p>${m("create.intro")}</p>`,
    `<form id="${ids.form}" class="stack">`,
    `<div class="field">`,
    `<label for="${ids.secret}">${m("create.secret.label")}</label>`,
    `<p id="secret-hint" class="hint">${m("create.secret.hint")}</p>`,
    `<textarea id="${ids.secret}" name="secret" rows="8" required aria-describedby="secret-hint" ${secretAttrs}></textarea>`,
    `</div>`,
    `<div class="field">`,
    `<label for="${ids.ttl}">${m("create.ttl.label")}</label>`,
    `<select id="${ids.ttl}" name="ttl">${options}</select>`,
    `</div>`,
    // Disabled until the script runs: without it, submitting would send the plaintext to the server in the URL.
    `<div class="actions"><button type="submit" id="${ids.submit}" class="primary" disabled>${m("create.submit")}</button></div>`,
    `</form>`,
    `</section>`,
    `<section id="${ids.resultView}" class="view stack" aria-labelledby="${ids.resultHeading}" hidden>`,
    `<h1 id="${ids.resultHeading}" tabindex="-1">${m("create.result.heading")}</h1>`,
    `<div class="field">`,
    `<label for="${ids.link}">${m("create.result.link.label")}</label>`,
    `<div class="copy-row"><input id="${ids.link}" type="text" readonly ${secretAttrs}>` +
      `<button type="button" id="${ids.copyLink}" class="primary">${m("create.result.link.copy")}</button></div>`,
    `<p id="${ids.expires}" class="hint"></p>`,
    `</div>`,
    `<div class="field">`,
    `<label for="${ids.note}">${m("create.result.note.label")}</label>`,
    `<div class="copy-row"><textarea id="${ids.note}" rows="3" readonly>${m("create.result.note.text")}</textarea>` +
      `<button type="button" id="${ids.copyNote}">${m("create.result.note.copy")}</button></div>`,
    `</div>`,
    `<section class="private" aria-labelledby="manage-heading">`,
    `<h2 id="manage-heading">${m("create.result.manage.heading")}</h2>`,
    `<p>${m("create.result.manage.body")}</p>`,
    `<div class="field">`,
    `<label for="${ids.manage}">${m("create.result.manage.label")}</label>`,
    `<div class="copy-row"><input id="${ids.manage}" type="text" readonly ${secretAttrs}>` +
      `<button type="button" id="${ids.copyManage}">${m("create.result.manage.copy")}</button></div>`,
    `</div>`,
    `</section>`,
    `<p class="hint">${m("create.result.leave")}</p>`,
    `<div class="actions"><button type="button" id="${ids.again}">${m("create.again")}</button></div>`,
    `</section>`,
    liveRegions(),
  ].join("\n");
}

function openMain(c: Catalog): string {
  const m = (key: MessageKey): string => escapeHtml(t(c, key));
  const ids = OPEN_IDS;
  return [
    noscript(c),
    // Visible until the non-consuming check answers; it is the only view a client without JavaScript sees.
    `<section id="${ids.checkingView}" class="view" aria-busy="true">`,
    `<h1>${m("open.checking")}</h1>`,
    `</section>`,
    `<section id="${ids.freshView}" class="view" aria-labelledby="${ids.freshHeading}" hidden>`,
    `<h1 id="${ids.freshHeading}" tabindex="-1">${m("open.fresh.heading")}</h1>`,
    `<p>${m("open.fresh.body")}</p>`,
    `<p class="hint">${m("open.fresh.hint")}</p>`,
    `<div class="actions"><button type="button" id="${ids.reveal}" class="primary">${m("open.reveal")}</button></div>`,
    `</section>`,
    `<section id="${ids.incompleteView}" class="view" aria-labelledby="${ids.incompleteHeading}" hidden>`,
    `<h1 id="${ids.incompleteHeading}" tabindex="-1">${m("open.incomplete.heading")}</h1>`,
    `<p>${m("open.incomplete.body")}</p>`,
    `</section>`,
    `<section id="${ids.revealedView}" class="view stack" aria-labelledby="${ids.revealedHeading}" hidden>`,
    `<h1 id="${ids.revealedHeading}" tabindex="-1">${m("open.revealed.heading")}</h1>`,
    `<div id="${ids.textBlock}" class="field" hidden>`,
    `<label for="${ids.secret}">${m("open.revealed.secret.label")}</label>`,
    `<textarea id="${ids.secret}" class="secret" rows="8" readonly spellcheck="false" autocomplete="off"></textarea>`,
    `<div class="actions"><button type="button" id="${ids.copySecret}" class="primary">${m("open.revealed.copy")}</button></div>`,
    `</div>`,
    `<div id="${ids.fileBlock}" class="field" hidden>`,
    `<p id="${ids.fileSummary}"></p>`,
    `<div class="actions"><button type="button" id="${ids.saveFile}" class="primary">${m("open.revealed.save")}</button></div>`,
    `</div>`,
    `<p class="notice">${m("open.revealed.disabled")}</p>`,
    `</section>`,
    // Heading and text are filled from the catalog by the script: the same view serves several failures.
    `<section id="${ids.problemView}" class="view" aria-labelledby="${ids.problemHeading}" hidden>`,
    `<h1 id="${ids.problemHeading}" tabindex="-1"></h1>`,
    `<p id="${ids.problemBody}"></p>`,
    `<div class="actions"><button type="button" id="${ids.problemRetry}" hidden>${m("open.problem.retry")}</button></div>`,
    `</section>`,
    unavailableSection(c, true),
    liveRegions(),
  ].join("\n");
}

function manageMain(c: Catalog): string {
  const m = (key: MessageKey): string => escapeHtml(t(c, key));
  const ids = MANAGE_IDS;
  const fact = (label: MessageKey, id: string, rowId?: string): string =>
    `<div${rowId ? ` id="${rowId}" hidden` : ""}><dt>${m(label)}</dt><dd id="${id}"></dd></div>`;
  return [
    noscript(c),
    `<section id="${ids.checkingView}" class="view" aria-busy="true">`,
    `<h1>${m("manage.checking")}</h1>`,
    `</section>`,
    `<section id="${ids.statusView}" class="view stack" aria-labelledby="${ids.statusHeading}" hidden>`,
    `<h1 id="${ids.statusHeading}" tabindex="-1">${m("manage.heading")}</h1>`,
    `<p>${m("manage.intro")}</p>`,
    `<dl class="facts">`,
    fact("manage.state.label", ids.state),
    fact("manage.created", ids.created),
    fact("manage.expires", ids.expires),
    fact("manage.consumed", ids.consumed, ids.consumedRow),
    `</dl>`,
    `<div class="actions">`,
    `<button type="button" id="${ids.refresh}">${m("manage.refresh")}</button>`,
    `<button type="button" id="${ids.revoke}" class="danger" aria-expanded="false" aria-controls="${ids.confirm}" hidden>${m("manage.revoke")}</button>`,
    `</div>`,
    `<section id="${ids.confirm}" class="confirm" aria-labelledby="${ids.confirmHeading}" hidden>`,
    `<h2 id="${ids.confirmHeading}" tabindex="-1">${m("manage.confirm.heading")}</h2>`,
    `<p>${m("manage.confirm.body")}</p>`,
    `<div class="actions">`,
    `<button type="button" id="${ids.confirmYes}" class="danger">${m("manage.confirm.yes")}</button>`,
    `<button type="button" id="${ids.confirmNo}">${m("manage.confirm.no")}</button>`,
    `</div>`,
    `</section>`,
    `</section>`,
    unavailableSection(c, true),
    liveRegions(),
  ].join("\n");
}
