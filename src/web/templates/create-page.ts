// The sender's page: the form, then the result (links, QR code, message for the recipient, manage link).
// Policy templates (Lightweight / Standard / Ultra Secure, blueprint section 27) are not offered yet: they need
// the server-side policy support of the policy issue. Add them here once `POST /api/v1/links` accepts a template.
import { formatDuration, type Catalog } from "../i18n/index.js";
import { CREATE_IDS as IDS } from "../page-ids.js";
import type { PageSettings } from "../page-settings.js";
import { ttlPresets } from "../ttl-choices.js";
import { escapeHtml, liveRegions, msg, noscript, SECRET_FIELD_ATTRS } from "./html.js";

/** The create page's `<main>` content. */
export function createMain(c: Catalog, locale: string, settings: PageSettings): string {
  const m = (key: Parameters<typeof msg>[1], params?: Parameters<typeof msg>[2]): string => msg(c, key, params);
  const limits = settings.ttl;
  const options =
    ttlPresets(limits)
      .map(
        (s) =>
          `<option value="${s}"${s === limits.default ? " selected" : ""}>${escapeHtml(formatDuration(s, locale))}</option>`,
      )
      .join("") + `<option value="custom">${m("create.ttl.custom")}</option>`;
  const range = m("create.ttl.range", { min: formatDuration(limits.min, locale), max: formatDuration(limits.max, locale) });
  return [
    noscript(c),
    `<section id="${IDS.formView}" class="view" aria-labelledby="create-heading">`,
    `<h1 id="create-heading">${m("create.heading")}</h1>`,
    `<p>${m("create.intro")}</p>`,
    `<p id="${IDS.replacementNote}" class="notice" hidden>${m("create.replacement")}</p>`,
    `<form id="${IDS.form}" class="stack" novalidate>`,
    `<div class="field">`,
    `<label for="${IDS.secret}">${m("create.secret.label")}</label>`,
    `<p id="secret-hint" class="hint">${m("create.secret.hint")}</p>`,
    `<textarea id="${IDS.secret}" name="secret" rows="8" required aria-describedby="secret-hint" ${SECRET_FIELD_ATTRS}></textarea>`,
    `</div>`,
    `<div class="field">`,
    `<label for="${IDS.ttl}">${m("create.ttl.label")}</label>`,
    `<select id="${IDS.ttl}" name="ttl" aria-controls="${IDS.ttlCustom}">${options}</select>`,
    `</div>`,
    `<fieldset id="${IDS.ttlCustom}" class="custom-ttl" aria-describedby="${IDS.ttlRange}" hidden>`,
    `<legend>${m("create.ttl.customLegend")}</legend>`,
    `<p id="${IDS.ttlRange}" class="hint">${range}</p>`,
    `<div class="inline-fields">`,
    `<div class="field"><label for="${IDS.ttlAmount}">${m("create.ttl.amount")}</label>` +
      `<input id="${IDS.ttlAmount}" name="ttl-amount" type="text" inputmode="numeric" pattern="[0-9]*" size="6" autocomplete="off" aria-describedby="${IDS.ttlRange}"></div>`,
    `<div class="field"><label for="${IDS.ttlUnit}">${m("create.ttl.unit")}</label>` +
      `<select id="${IDS.ttlUnit}" name="ttl-unit">` +
      `<option value="60">${m("create.ttl.unit.minutes")}</option>` +
      `<option value="3600" selected>${m("create.ttl.unit.hours")}</option>` +
      `<option value="86400">${m("create.ttl.unit.days")}</option>` +
      `</select></div>`,
    `</div>`,
    `</fieldset>`,
    `<div class="field">`,
    `<label for="${IDS.passphrase}">${m("create.passphrase.label")}</label>`,
    `<p id="passphrase-hint" class="hint">${m("create.passphrase.hint")}</p>`,
    `<input id="${IDS.passphrase}" name="passphrase" type="password" autocomplete="new-password" spellcheck="false" aria-describedby="passphrase-hint">`,
    `</div>`,
    passkeyFieldset(c),
    // Disabled until the script runs: without it, submitting would send the plaintext to the server in the URL.
    `<div class="actions"><button type="submit" id="${IDS.submit}" class="primary" disabled>${m("create.submit")}</button></div>`,
    `</form>`,
    `</section>`,
    resultView(c),
    liveRegions(),
  ].join("\n");
}

function resultView(c: Catalog): string {
  const m = (key: Parameters<typeof msg>[1]): string => msg(c, key);
  return [
    `<section id="${IDS.resultView}" class="view stack" aria-labelledby="${IDS.resultHeading}" hidden>`,
    `<h1 id="${IDS.resultHeading}" tabindex="-1">${m("create.result.heading")}</h1>`,
    `<div class="field">`,
    `<label for="${IDS.link}">${m("create.result.link.label")}</label>`,
    `<div class="copy-row"><input id="${IDS.link}" type="text" readonly ${SECRET_FIELD_ATTRS}>` +
      `<button type="button" id="${IDS.copyLink}" class="primary">${m("create.result.link.copy")}</button></div>`,
    `<p id="${IDS.expires}" class="hint"></p>`,
    `</div>`,
    // The code is drawn only on request: a QR code on screen can be photographed from across the room.
    `<div class="qr">`,
    `<button type="button" id="${IDS.qrToggle}" aria-controls="${IDS.qrPanel}">${m("create.result.qr.show")}</button>`,
    `<figure id="${IDS.qrPanel}" class="qr-panel" hidden>`,
    `<div id="${IDS.qrImage}" class="qr-image"></div>`,
    `<figcaption class="hint">${m("create.result.qr.caption")}</figcaption>`,
    `</figure>`,
    `</div>`,
    `<div class="field">`,
    `<label for="${IDS.note}">${m("create.result.note.label")}</label>`,
    `<div class="copy-row"><textarea id="${IDS.note}" rows="5" readonly ${SECRET_FIELD_ATTRS}></textarea>` +
      `<button type="button" id="${IDS.copyNote}">${m("create.result.note.copy")}</button></div>`,
    `</div>`,
    `<section class="private" aria-labelledby="manage-heading">`,
    `<h2 id="manage-heading">${m("create.result.manage.heading")}</h2>`,
    `<p>${m("create.result.manage.body")}</p>`,
    `<div class="field">`,
    `<label for="${IDS.manage}">${m("create.result.manage.label")}</label>`,
    `<div class="copy-row"><input id="${IDS.manage}" type="text" readonly ${SECRET_FIELD_ATTRS}>` +
      `<button type="button" id="${IDS.copyManage}">${m("create.result.manage.copy")}</button></div>`,
    `</div>`,
    `</section>`,
    `<p class="hint">${m("create.result.leave")}</p>`,
    `<div class="actions"><button type="button" id="${IDS.again}">${m("create.again")}</button></div>`,
    `</section>`,
  ].join("\n");
}

/** The passkey choice: none, any passkey at the click, or only the recipient's enrolled passkey (by handle). */
function passkeyFieldset(c: Catalog): string {
  const m = (key: Parameters<typeof msg>[1]): string => msg(c, key);
  const radio = (id: string, value: string, label: string, hint: string | null, checked = false) =>
    `<div class="choice"><input type="radio" id="${id}" name="passkey" value="${value}"${checked ? " checked" : ""}` +
    `${hint ? ` aria-describedby="${id}-hint"` : ""}><label for="${id}">${label}</label>` +
    `${hint ? `<p id="${id}-hint" class="hint">${hint}</p>` : ""}</div>`;
  return [
    `<fieldset class="passkey-choice">`,
    `<legend>${m("create.passkey.legend")}</legend>`,
    radio(IDS.passkeyNone, "none", m("create.passkey.none"), null, true),
    radio(IDS.passkeyRequired, "required", m("create.passkey.required"), m("create.passkey.requiredHint")),
    radio(IDS.passkeyRecipient, "recipient", m("create.passkey.recipient"), m("create.passkey.recipientHint")),
    `<div id="${IDS.passkeyHandleField}" class="field" hidden>`,
    `<label for="${IDS.passkeyHandle}">${m("create.passkey.handle")}</label>`,
    `<input id="${IDS.passkeyHandle}" name="passkey-handle" type="text" maxlength="64" autocomplete="off" autocapitalize="off" spellcheck="false">`,
    `</div>`,
    `<div class="choice"><input type="checkbox" id="${IDS.passkeyFallback}" name="passkey-fallback" aria-describedby="${IDS.passkeyFallback}-hint" disabled>` +
      `<label for="${IDS.passkeyFallback}">${m("create.passkey.fallback")}</label>` +
      `<p id="${IDS.passkeyFallback}-hint" class="hint">${m("create.passkey.fallbackHint")}</p></div>`,
    `</fieldset>`,
  ].join("\n");
}
