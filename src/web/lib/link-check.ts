import {
  checkLink as checkLinkWithServer,
  LinkKeyMissingError,
  UnavailableError,
  UnsupportedRequirementError,
  type LinkInfo,
} from "../../client/index.js";

/** What the interstitial may draw before anyone clicks: the answer of the non-consuming check only. */
export type LinkCheck = "fresh" | "passphrase" | "unavailable" | "key-missing" | "unsupported";

/** What a fresh link will ask for, so the page can say it before the Reveal. */
export interface LinkNeeds {
  passphrase: boolean;
  /** The passkey rule (kind of ceremony, and whether the passphrase may replace it), or null. */
  passkey: LinkInfo["passkey"];
  /** A file link: the page words itself for a file and asks where to save it at the Reveal click. */
  file: boolean;
}

/**
 * Asks the server whether the link can still be opened, spending nothing and starting no proof of work (one GET,
 * see the client's `checkLink`), and what it will ask for ("passphrase": fresh, and the page must ask for it before
 * the Reveal; `needs` says what to tell the person, and whether it holds a file). Network and protocol failures are
 * rethrown for the caller.
 */
export async function checkLink(url: string, needs?: (found: LinkNeeds) => void): Promise<LinkCheck> {
  try {
    const info = await checkLinkWithServer(url);
    needs?.({ passphrase: info.passphrase, passkey: info.passkey, file: info.content === "file" });
    return info.passphrase ? "passphrase" : "fresh";
  } catch (err) {
    if (err instanceof UnavailableError) return "unavailable";
    if (err instanceof LinkKeyMissingError) return "key-missing";
    if (err instanceof UnsupportedRequirementError) return "unsupported";
    throw err;
  }
}
