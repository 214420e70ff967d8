import { OncelinkApiError, OncelinkError } from "../../client/index.js";
import type { MessageKey } from "../i18n/en.js";
import type { Translate } from "./messages.js";

/**
 * Turns a failure from the client library into a sentence from the catalog. The library's own messages are
 * English and technical, so they are never shown; `specific` maps the API codes a page knows how to explain.
 */
export function errorText(err: unknown, t: Translate, specific: Readonly<Record<string, MessageKey>> = {}): string {
  if (err instanceof OncelinkApiError) {
    const key = specific[err.code];
    if (key) return t(key);
    if (err.code === "RATE_LIMITED" || err.status === 429) return t("common.error.rateLimited");
    return t("common.error.generic");
  }
  // A non-API OncelinkError is a network failure or an answer that was not from oncelink; both read best as
  // "could not reach the server".
  if (err instanceof OncelinkError || err instanceof TypeError) return t("common.error.network");
  return t("common.error.generic");
}
