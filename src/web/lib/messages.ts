// Browser side of the i18n: the server embeds the page's catalog subset and its settings as a JSON data block
// (not executed, so the CSP stays strict). Only the MessageKey type comes from the English catalog; its strings
// are not bundled.
import type { MessageKey } from "../i18n/en.js";
import { interpolate, type MessageParams } from "../i18n/format.js";
import { COMMON_IDS } from "../page-ids.js";
import { parsePageSettings, type PageSettings } from "../page-settings.js";

/** Looks up one message of the page's catalog and fills its placeholders. */
export type Translate = (key: MessageKey, params?: MessageParams) => string;

/** The page's language, its messages and the server's settings. */
export interface PageMessages {
  /** The BCP 47 tag the server rendered the page in; use it for `Intl` formatting. */
  locale: string;
  t: Translate;
  settings: PageSettings;
}

/**
 * Reads the data block the server embedded in `<script type="application/json" id="i18n">`. A missing or malformed
 * block yields a translator that returns the keys and the default settings, so the page still works and the gap is
 * visible.
 */
export function loadPageMessages(doc: Document = document): PageMessages {
  const messages = new Map<string, string>();
  let locale = doc.documentElement.lang || "en";
  let settings: unknown = null;
  const block = doc.getElementById(COMMON_IDS.i18n);
  try {
    const data: unknown = JSON.parse(block?.textContent ?? "null");
    if (typeof data === "object" && data !== null) {
      const { locale: l, messages: m, settings: s } = data as { locale?: unknown; messages?: unknown; settings?: unknown };
      if (typeof l === "string" && l !== "") locale = l;
      if (typeof m === "object" && m !== null) {
        for (const [key, value] of Object.entries(m)) if (typeof value === "string") messages.set(key, value);
      }
      settings = s;
    }
  } catch {
    // Fall through with an empty catalog: keys are shown instead of text.
  }
  return {
    locale,
    t: (key, params) => interpolate(messages.get(key) ?? key, params),
    settings: parsePageSettings(settings),
  };
}
