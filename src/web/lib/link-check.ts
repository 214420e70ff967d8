import {
  checkLink as checkLinkWithServer,
  LinkKeyMissingError,
  UnavailableError,
  UnsupportedRequirementError,
} from "../../client/index.js";

/** What the interstitial may draw before anyone clicks: the answer of the non-consuming check only. */
export type LinkCheck = "fresh" | "passphrase" | "unavailable" | "key-missing" | "unsupported";

/**
 * Asks the server whether the link can still be opened and whether it needs a passphrase ("passphrase": fresh, and
 * the page must ask for it before the Reveal).
 * Asks the server whether the link can still be opened, spending nothing and starting no proof of work (one GET,
 * see the client's `checkLink`). Network and protocol failures are rethrown for the caller to show.
 */
export async function checkLink(url: string): Promise<LinkCheck> {
  try {
    const info = await checkLinkWithServer(url);
    return info.passphrase ? "passphrase" : "fresh";
  } catch (err) {
    if (err instanceof UnavailableError) return "unavailable";
    if (err instanceof LinkKeyMissingError) return "key-missing";
    if (err instanceof UnsupportedRequirementError) return "unsupported";
    throw err;
  }
}
