import {
  LinkKeyMissingError,
  openLink,
  UnavailableError,
  UnsupportedRequirementError,
} from "../../client/index.js";

/** What the interstitial may draw before anyone clicks: the answer of the non-consuming check only. */
export type LinkCheck = "fresh" | "unavailable" | "key-missing" | "unsupported";

/** Thrown to stop `openLink` right after its non-consuming check. */
class StopAfterCheck extends Error {}

/** The only request the check may send: `GET …/api/v1/links/{id}` (protocol.md, "Open, step 0"). */
const CHECK_PATH = /\/api\/v1\/links\/[A-Za-z0-9_-]+$/;

/**
 * Asks the server whether the link can still be opened, spending nothing and starting no proof of work.
 * Network and protocol failures are rethrown for the caller to show.
 *
 * The client library has no stand-alone check yet, so this runs `openLink` and stops it after its first step.
 * Two independent guards make sure nothing more is ever sent: the progress callback throws as soon as the
 * "solving" stage begins (openLink documents its stages as ordered and spends nothing before "opening"), and the
 * injected fetch refuses every request except the one non-consuming GET. Burning a link on page load is the worst
 * bug this page could have, so the check does not rely on either alone.
 * TODO: switch to a dedicated client export (e.g. `checkLink(url)`) once src/client offers one.
 */
export async function checkLink(url: string): Promise<LinkCheck> {
  let stopped = false;
  const guardedFetch: typeof fetch = (input, init) => {
    const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
    const target = new URL(input instanceof Request ? input.url : String(input), location.href);
    if (method !== "GET" || !CHECK_PATH.test(target.pathname)) {
      stopped = true;
      return Promise.reject(new StopAfterCheck());
    }
    return fetch(input, init);
  };
  try {
    await openLink(url, {
      fetch: guardedFetch,
      onProgress: (stage) => {
        if (stage !== "checking") {
          stopped = true;
          throw new StopAfterCheck();
        }
      },
    });
  } catch (err) {
    // The library wraps fetch failures in its own error, so the flag, not the error class, says who stopped it.
    if (stopped) return "fresh";
    if (err instanceof UnavailableError) return "unavailable";
    if (err instanceof LinkKeyMissingError) return "key-missing";
    if (err instanceof UnsupportedRequirementError) return "unsupported";
    throw err;
  }
  throw new Error("link check ran past its non-consuming step");
}
