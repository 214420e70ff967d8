// The second confirmation of the reveal, shown when the server's friction decision asks for one (an automated-
// looking browser, a click faster than anyone reads). Only a trusted click (a real pointer, keyboard or assistive-
// technology activation, never a script's element.click() or dispatchEvent) answers it.
import type { Translate } from "./messages.js";

const HEADING_ID = "reveal-confirm-heading";

function button(text: string, primary: boolean): HTMLButtonElement {
  const el = document.createElement("button");
  el.type = "button";
  el.textContent = text;
  if (primary) el.className = "primary";
  return el;
}

/**
 * Shows "One more step: reveal the secret now?" inside `container` and resolves with the person's answer: true
 * for "Yes, reveal it now", false for "Not now" or Escape. Focus moves to the question so it is read out.
 * @example const ok = await askSecondConfirmation(freshView, t);
 */
export function askSecondConfirmation(container: HTMLElement, t: Translate): Promise<boolean> {
  document.getElementById(HEADING_ID)?.closest("section")?.remove();
  return new Promise((resolve) => {
    const box = document.createElement("section");
    box.className = "confirm";
    box.setAttribute("aria-labelledby", HEADING_ID);
    const heading = document.createElement("h2");
    heading.id = HEADING_ID;
    heading.tabIndex = -1;
    heading.textContent = t("open.confirm.heading");
    const body = document.createElement("p");
    body.textContent = t("open.confirm.body");
    const actions = document.createElement("div");
    actions.className = "actions";
    const yes = button(t("open.confirm.yes"), true);
    const no = button(t("open.confirm.no"), false);
    actions.append(yes, no);
    box.append(heading, body, actions);

    const answer = (value: boolean) => {
      box.remove();
      resolve(value);
    };
    yes.addEventListener("click", (event) => {
      if (event.isTrusted) answer(true);
    });
    no.addEventListener("click", (event) => {
      if (event.isTrusted) answer(false);
    });
    box.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && event.isTrusted) answer(false);
    });
    container.append(box);
    heading.focus();
  });
}
