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

/**
 * Announces an error that the page already shows next to what it is about (not at a field): once, through the
 * assertive region, which stays visually empty so the words do not show twice.
 */
export function announceErrorShownElsewhere(text: string): void {
  setLiveText(COMMON_IDS.status, "");
  setLiveText(COMMON_IDS.error, text, true);
}

/** The assertive region shows on screen unless it only repeats a message that stands at its field. */
const MIRROR_CLASS = "visually-hidden";

function setLiveText(id: string, text: string, mirrored = false): void {
  const el = document.getElementById(id);
  if (!el) return;
  el.textContent = text;
  if (id === COMMON_IDS.error) el.classList.toggle(MIRROR_CLASS, mirrored);
}

/** A form control that can carry an error message. */
export type FieldElement = HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;

const errorIdOf = (field: FieldElement): string => `${field.id}-error`;
const wiredFields = new WeakSet<FieldElement>();

/**
 * Marks `field` as wrong and says why where the person is looking: the message stands right above the field (or
 * above `before`, for a field laid out in a row), comes first in the field's accessible description so it is read
 * whenever the field gets focus, and is announced once through the assertive region, which stays visually empty
 * then so the words do not show twice. The cursor goes to the field. Editing the field takes the message away.
 * @example showFieldError(secret, t("create.error.empty"));
 */
export function showFieldError(field: FieldElement, text: string, opts: { before?: Element } = {}): void {
  const id = errorIdOf(field);
  let message = document.getElementById(id);
  if (message === null) {
    message = document.createElement("p");
    message.id = id;
    message.className = "field-error";
    (opts.before ?? field).before(message);
  }
  message.textContent = text;
  field.setAttribute("aria-invalid", "true");
  const others = (field.getAttribute("aria-describedby") ?? "").split(/\s+/).filter((x) => x !== "" && x !== id);
  field.setAttribute("aria-describedby", [id, ...others].join(" "));
  setLiveText(COMMON_IDS.status, "");
  setLiveText(COMMON_IDS.error, text, true);
  if (!wiredFields.has(field)) {
    wiredFields.add(field);
    field.addEventListener("input", () => clearFieldError(field));
  }
  field.focus();
}

/** Takes a field's error away: its message, its place in the description, aria-invalid, and the announcement. */
export function clearFieldError(field: FieldElement): void {
  const id = errorIdOf(field);
  const message = document.getElementById(id);
  field.removeAttribute("aria-invalid");
  const others = (field.getAttribute("aria-describedby") ?? "").split(/\s+/).filter((x) => x !== "" && x !== id);
  if (others.length > 0) field.setAttribute("aria-describedby", others.join(" "));
  else field.removeAttribute("aria-describedby");
  if (message === null) return;
  const region = document.getElementById(COMMON_IDS.error);
  if (region?.classList.contains(MIRROR_CLASS) && region.textContent === message.textContent) setLiveText(COMMON_IDS.error, "");
  message.remove();
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
