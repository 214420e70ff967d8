// Building blocks of the server-rendered pages. Every string that reaches the HTML goes through escapeHtml, and
// nothing here depends on the request: output is a function of the locale and the server settings only.
import { t, type Catalog, type MessageKey } from "../i18n/index.js";
import type { MessageParams } from "../i18n/format.js";
import { COMMON_IDS } from "../page-ids.js";

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** A catalog message, escaped for HTML. */
export function msg(c: Catalog, key: MessageKey, params?: MessageParams): string {
  return escapeHtml(t(c, key, params));
}

/**
 * Attributes for fields that hold a secret or a link: enhanced spellcheckers upload text, and form autofill stores
 * it on disk.
 */
export const SECRET_FIELD_ATTRS = `spellcheck="false" autocomplete="off" autocapitalize="off" autocorrect="off"`;

/** The two live regions every scripted page announces through; they exist from the start so that screen readers
 * register them before anything is written into them. */
export function liveRegions(): string {
  return (
    `<p id="${COMMON_IDS.status}" class="status" role="status" aria-live="polite"></p>\n` +
    `<p id="${COMMON_IDS.error}" class="error" role="alert"></p>`
  );
}

export function noscript(c: Catalog): string {
  return `<noscript><p class="notice">${msg(c, "common.noscript")}</p></noscript>`;
}

/** The neutral "no longer available" view: the same words for every reason, and nothing about the content. */
export function unavailableSection(c: Catalog, hidden: boolean): string {
  return (
    `<section id="${COMMON_IDS.unavailableView}" class="view" aria-labelledby="${COMMON_IDS.unavailableHeading}"${hidden ? " hidden" : ""}>\n` +
    `<h1 id="${COMMON_IDS.unavailableHeading}" tabindex="-1">${msg(c, "unavailable.heading")}</h1>\n` +
    `<p>${msg(c, "unavailable.body")}</p>\n` +
    `</section>`
  );
}
