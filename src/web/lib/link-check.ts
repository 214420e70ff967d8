import {
  checkLink as checkLinkWithServer,
  LinkKeyMissingError,
  UnavailableError,
  UnsupportedRequirementError,
  type LinkInfo,
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
  return (await checkLinkDetails(url)).state;
}

/** The check's answer plus the link's passkey rule (what the interstitial must say it will ask). */
export interface LinkCheckDetails {
  state: LinkCheck;
  passkey: LinkInfo["passkey"];
}

/** Like `checkLink`, with the passkey rule of a fresh link (null otherwise). */
export async function checkLinkDetails(url: string): Promise<LinkCheckDetails> {
  try {
    const info = await checkLinkWithServer(url);
    return { state: info.passphrase ? "passphrase" : "fresh", passkey: info.passkey };
  } catch (err) {
    if (err instanceof UnavailableError) return { state: "unavailable", passkey: null };
    if (err instanceof LinkKeyMissingError) return { state: "key-missing", passkey: null };
    if (err instanceof UnsupportedRequirementError) return { state: "unsupported", passkey: null };
    throw err;
  }
}
