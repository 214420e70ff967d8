import {
  checkLink as checkLinkWithServer,
  LinkKeyMissingError,
  UnavailableError,
  UnsupportedRequirementError,
} from "../../client/index.js";

/**
 * What the interstitial may draw before anyone clicks: the answer of the non-consuming check only. A fresh link says
 * whether the page must ask for a passphrase before the Reveal, and whether it holds a file (the page then asks
 * where to save it at the Reveal click, before anything is spent).
 */
export type LinkCheck =
  | { state: "fresh"; passphrase: boolean; file: boolean }
  | { state: "unavailable" | "key-missing" | "unsupported" };

/**
 * Asks the server whether the link can still be opened, spending nothing and starting no proof of work (one GET,
 * see the client's `checkLink`). Network and protocol failures are rethrown for the caller to show.
 */
export async function checkLink(url: string): Promise<LinkCheck> {
  try {
    const info = await checkLinkWithServer(url);
    return { state: "fresh", passphrase: info.passphrase, file: info.content === "file" };
  } catch (err) {
    if (err instanceof UnavailableError) return { state: "unavailable" };
    if (err instanceof LinkKeyMissingError) return { state: "key-missing" };
    if (err instanceof UnsupportedRequirementError) return { state: "unsupported" };
    throw err;
  }
}
