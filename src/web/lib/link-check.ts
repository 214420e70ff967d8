import {
  checkLink as checkLinkWithServer,
  LinkKeyMissingError,
  UnavailableError,
  UnsupportedRequirementError,
} from "../../client/index.js";

/**
 * What the interstitial may draw before anyone clicks: the answer of the non-consuming check only. A fresh link says
 * what it will ask for (a passphrase, typed before the Reveal; a passkey), so the page can list it before anything
 * is spent, and whether it holds a file (the page then asks where to save it at the Reveal click).
 */
export type LinkCheck =
  | { state: "fresh"; passphrase: boolean; passkey: boolean; file: boolean }
  | { state: "unavailable" | "key-missing" | "unsupported" };

/**
 * Asks the server whether the link can still be opened, spending nothing and starting no proof of work (one GET,
 * see the client's `checkLink`). Network and protocol failures are rethrown for the caller to show.
 */
export async function checkLink(url: string): Promise<LinkCheck> {
  try {
    const info = await checkLinkWithServer(url);
    return { state: "fresh", passphrase: info.passphrase, passkey: info.passkey, file: info.content === "file" };
  } catch (err) {
    if (err instanceof UnavailableError) return { state: "unavailable" };
    if (err instanceof LinkKeyMissingError) return { state: "key-missing" };
    if (err instanceof UnsupportedRequirementError) return { state: "unsupported" };
    throw err;
  }
}
