// A question asked inside the page (not a modal dialog): a box with a heading, one or two sentences and two buttons.
// Focus moves to the box itself, which is labelled by its heading and described by its text, so a screen reader
// reads the question and what it means; a focused heading alone would read only the heading.

/** The words of a confirmation box. */
export interface ConfirmText {
  heading: string;
  body: string;
  yes: string;
  no: string;
}

/** How the box looks and which activations count. */
export interface ConfirmOptions {
  /** The class of the "yes" button: "primary" for a step forward, "danger" for one that destroys something. */
  yesClass: "primary" | "danger";
  /**
   * Only a trusted click, key press or assistive-technology activation answers: a script's `click()` or
   * `dispatchEvent` is ignored (the recipient's Reveal, which scanners that run pages must not be able to confirm).
   */
  trustedOnly?: boolean;
}

function button(text: string, className: string): HTMLButtonElement {
  const el = document.createElement("button");
  el.type = "button";
  el.textContent = text;
  if (className !== "") el.className = className;
  return el;
}

/**
 * Shows the box (with id `id`, replacing an earlier one), placed by `place`, and resolves with the answer: true for
 * the "yes" button, false for the "no" button or Escape. The box is removed once answered; the caller decides where
 * focus goes next.
 * @example const ok = await askToConfirm("switch-confirm", (box) => form.before(box), text, { yesClass: "primary" });
 */
export function askToConfirm(id: string, place: (box: HTMLElement) => void, text: ConfirmText, opts: ConfirmOptions): Promise<boolean> {
  document.getElementById(id)?.remove();
  return new Promise((resolve) => {
    const box = document.createElement("section");
    box.id = id;
    box.className = "confirm";
    box.tabIndex = -1;
    const heading = document.createElement("h2");
    heading.id = `${id}-heading`;
    heading.textContent = text.heading;
    const body = document.createElement("p");
    body.id = `${id}-body`;
    body.textContent = text.body;
    box.setAttribute("aria-labelledby", heading.id);
    box.setAttribute("aria-describedby", body.id);
    const yes = button(text.yes, opts.yesClass);
    const no = button(text.no, "");
    const actions = document.createElement("div");
    actions.className = "actions";
    actions.append(yes, no);
    box.append(heading, body, actions);

    const counts = (event: Event) => event.isTrusted || opts.trustedOnly !== true;
    const answer = (value: boolean) => {
      box.remove();
      resolve(value);
    };
    yes.addEventListener("click", (event) => {
      if (counts(event)) answer(true);
    });
    no.addEventListener("click", (event) => {
      if (counts(event)) answer(false);
    });
    box.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && counts(event)) answer(false);
    });
    place(box);
    box.focus();
  });
}
