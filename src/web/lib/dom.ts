// Small DOM helpers shared by the page scripts. Text only ever goes in through textContent or value: nothing a
// server or a secret contains is parsed as HTML.
import { COMMON_IDS } from "../page-ids.js";

type ElementClass<T extends HTMLElement> = abstract new () => T;

/**
 * Returns the element with `id`, checked to be of the expected class. A missing element is a bug in the page
 * template, so it throws instead of limping on.
 * @example const reveal = byId("reveal", HTMLButtonElement);
 */
export function byId<T extends HTMLElement>(id: string, type: ElementClass<T>): T {
  const el = document.getElementById(id);
  if (!(el instanceof type)) throw new Error(`page template is missing #${id}`);
  return el;
}

/**
 * Shows exactly one of `views` and hides the others. With `focus`, moves keyboard and screen-reader focus to the
 * given element (usually the new view's heading) so a state change after a click is announced; initial states
 * leave focus alone, since grabbing it on load disorients screen-reader users.
 */
export function showView(views: readonly HTMLElement[], active: HTMLElement, focus?: HTMLElement): void {
  for (const view of views) view.hidden = view !== active;
  focus?.focus();
}

/** Writes a polite announcement (progress, confirmations) and clears any error shown before. */
export function announce(text: string): void {
  setLiveText(COMMON_IDS.status, text);
  setLiveText(COMMON_IDS.error, "");
}

/** Writes an error into the assertive region and clears the polite one. */
export function announceError(text: string): void {
  setLiveText(COMMON_IDS.status, "");
  setLiveText(COMMON_IDS.error, text);
}

function setLiveText(id: string, text: string): void {
  const el = document.getElementById(id);
  if (el) el.textContent = text;
}

/**
 * Makes the skip link move focus without touching `location.hash`: on the open and manage pages the fragment holds
 * (or held) the key or token, and "#main" must neither replace the manage token nor be mistaken for a key.
 */
export function wireSkipLink(): void {
  const link = document.querySelector<HTMLAnchorElement>("a.skip-link");
  const main = document.getElementById(COMMON_IDS.main);
  if (!link || !main) return;
  link.addEventListener("click", (event) => {
    event.preventDefault();
    main.focus();
  });
}

/** Sets a document title that names the page state, never its content. */
export function setTitle(text: string): void {
  document.title = text;
}
