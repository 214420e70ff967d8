// The second confirmation of the reveal, shown when the server's friction decision asks for one (an automated-
// looking browser, a click faster than anyone reads). Only a trusted click (a real pointer, keyboard or assistive-
// technology activation, never a script's element.click() or dispatchEvent) answers it.
import { askToConfirm } from "./confirm-box.js";
import type { Translate } from "./messages.js";

/** The id of the box while it is shown. */
const SECOND_CONFIRMATION_ID = "reveal-confirm";

/**
 * Shows "One more step: reveal the secret now?" inside `container` and resolves with the person's answer: true
 * for "Yes, reveal it now", false for "Not now" or Escape. Focus moves to the box, which reads as its heading
 * and its explanation.
 * @example const ok = await askSecondConfirmation(freshView, t);
 */
export function askSecondConfirmation(container: HTMLElement, t: Translate): Promise<boolean> {
  return askToConfirm(
    SECOND_CONFIRMATION_ID,
    (box) => container.append(box),
    { heading: t("open.confirm.heading"), body: t("open.confirm.body"), yes: t("open.confirm.yes"), no: t("open.confirm.no") },
    { yesClass: "primary", trustedOnly: true },
  );
}
