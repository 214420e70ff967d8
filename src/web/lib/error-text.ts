import { OncelinkApiError, OncelinkError } from "../../client/index.js";
import type { MessageKey } from "../i18n/en.js";
import { formatDuration } from "../i18n/format.js";
import type { Translate } from "./messages.js";

/**
 * A wait in the largest unit that reads naturally, rounded up: "30 seconds", "15 minutes" (for 847 s), "2 hours".
 * Rounded up, so that trying again when told works.
 */
function waitDuration(seconds: number, locale: string): string {
  const unit = seconds <= 60 ? 1 : seconds <= 3_600 ? 60 : 3_600;
  return formatDuration(Math.ceil(seconds / unit) * unit, locale);
}

/**
 * Turns a failure from the client library into a sentence from the catalog. The library's own messages are
 * English and technical, so they are never shown; `specific` maps the API codes a page knows how to explain.
 * A rate limit says how long to wait when the server said (the passphrase limit runs for minutes, not a moment).
 */
export function errorText(
  err: unknown,
  page: { t: Translate; locale: string },
  specific: Readonly<Record<string, MessageKey>> = {},
): string {
  const { t } = page;
  if (err instanceof OncelinkApiError) {
    const key = specific[err.code];
    if (key) return t(key);
    if (err.code === "RATE_LIMITED" || err.status === 429) {
      const wait = err.retryAfterSeconds;
      return wait !== null && wait > 0 ? t("common.error.rateLimitedWait", { duration: waitDuration(wait, page.locale) }) : t("common.error.rateLimited");
    }
    return t("common.error.generic");
  }
  // A non-API OncelinkError is a network failure or an answer that was not from oncelink; both read best as
  // "could not reach the server".
  if (err instanceof OncelinkError || err instanceof TypeError) return t("common.error.network");
  return t("common.error.generic");
}
