// The create page's result for several recipients: one list item per link, each with its recipient link, a QR code
// drawn on request, and its own manage link. Built with DOM calls only (no markup is parsed).
import type { CreatedLink } from "../../client/index.js";
import type { Translate } from "./messages.js";
import { qrCodeSvg } from "./qr.js";

/** The same attributes as the server's SECRET_FIELD_ATTRS: no spellchecker upload, no autofill storage. */
const SECRET_FIELD_ATTRIBUTES = { spellcheck: "false", autocomplete: "off", autocapitalize: "off", autocorrect: "off" };

type CopyHandler = (field: HTMLInputElement) => void;

function element<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<Record<string, string>> = {}, text?: string): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) if (value !== undefined) el.setAttribute(name, value);
  if (text !== undefined) el.textContent = text;
  return el;
}

function copyRow(id: string, value: string, buttonText: string, onCopy: CopyHandler, primary: boolean): HTMLDivElement {
  const input = element("input", { id, type: "text", readonly: "", ...SECRET_FIELD_ATTRIBUTES });
  input.value = value;
  const button = element("button", { type: "button", ...(primary ? { class: "primary" } : {}) }, buttonText);
  button.addEventListener("click", () => onCopy(input));
  const row = element("div", { class: "copy-row" });
  row.append(input, button);
  return row;
}

/** Fills `list` with one item per link; `onCopy` copies a field and announces the result. */
export function renderResultList(list: HTMLOListElement, links: readonly CreatedLink[], t: Translate, onCopy: CopyHandler): void {
  const items = links.map((link, i) => {
    const n = i + 1;
    const item = element("li", { class: "result-item stack", "aria-labelledby": `result-item-${n}` });
    item.append(element("h2", { id: `result-item-${n}` }, t("create.result.item", { number: n, count: links.length })));

    const linkField = element("div", { class: "field" });
    linkField.append(element("label", { for: `result-link-${n}` }, t("create.result.link.label")));
    linkField.append(copyRow(`result-link-${n}`, link.url, t("create.result.link.copy"), onCopy, true));

    // Drawn only on request, like the single link's: a code on screen can be photographed from across the room.
    const qr = element("div", { class: "qr" });
    const panel = element("figure", { id: `result-qr-${n}`, class: "qr-panel", hidden: "" });
    const image = element("div", { class: "qr-image" });
    panel.append(image, element("figcaption", { class: "hint" }, t("create.result.qr.caption")));
    const toggle = element("button", { type: "button", "aria-controls": `result-qr-${n}` }, t("create.result.qr.show"));
    toggle.addEventListener("click", () => {
      const show = panel.hidden;
      if (show) image.replaceChildren(qrCodeSvg(link.url, t("create.result.qr.label")));
      else image.replaceChildren();
      panel.hidden = !show;
      toggle.textContent = t(show ? "create.result.qr.hide" : "create.result.qr.show");
    });
    qr.append(toggle, panel);

    const manageField = element("div", { class: "field private" });
    manageField.append(element("label", { for: `result-manage-${n}` }, t("create.result.manage.label")));
    manageField.append(copyRow(`result-manage-${n}`, link.manageUrl, t("create.result.manage.copy"), onCopy, false));

    item.append(linkField, qr, manageField);
    return item;
  });
  list.replaceChildren(...items);
}
