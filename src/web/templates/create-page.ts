// The sender's page: the form (text or a file, the policy templates of README "Templates and minimums" and the options in plain
// words), then the result (links, QR codes, message for the recipient, manage links, a sent file's SHA-256).
import { formatBytes, formatDuration, t, type Catalog, type MessageKey } from "../i18n/index.js";
import type { MessageParams } from "../i18n/format.js";
import { CREATE_IDS as IDS, templateRadioId } from "../page-ids.js";
import type { PageSettings, PolicySettings } from "../page-settings.js";
import { countryList, templateName, templateSummary } from "../template-summary.js";
import { ttlPresets } from "../ttl-choices.js";
import { escapeHtml, liveRegions, msg, noscript, SECRET_FIELD_ATTRS } from "./html.js";

/** The lifetimes the create page offers: the standard presets plus the templates' own and the minimum's ceiling. */
export function createTtlPresets(settings: PageSettings): number[] {
  const { policy, ttl } = settings;
  const extra = [...policy.templates.map((x) => x.ttl), ...(policy.minimums.maxTtl !== null ? [policy.minimums.maxTtl] : [])];
  return ttlPresets(ttl, extra);
}

/** The instance's minimums as plain sentences (empty when there are none). */
function minimumsNotice(c: Catalog, locale: string, policy: PolicySettings): string {
  const m = (key: MessageKey, params?: MessageParams): string => msg(c, key, params);
  const items = [
    policy.minimums.passphrase ? m("create.minimums.passphrase") : null,
    policy.minimums.passkey ? m("create.minimums.passkey") : null,
    policy.minimums.maxTtl !== null ? m("create.minimums.ttl", { duration: formatDuration(policy.minimums.maxTtl, locale) }) : null,
    policy.minimums.allowCountry.length > 0 ? m("create.minimums.countries", { countries: countryList(policy.minimums.allowCountry, locale) }) : null,
    policy.minimums.preview === "none" ? m("create.minimums.preview") : null,
  ].filter((x) => x !== null);
  return items.length === 0 ? "" : `<ul id="${IDS.minimums}" class="notice minimums">${items.map((x) => `<li>${x}</li>`).join("")}</ul>`;
}

/** How many wrong passphrases delete the secret (the server's PASSPHRASE_MAX_ATTEMPTS), escaped. */
function passphraseTries(c: Catalog, attempts: number): string {
  return attempts === 1 ? msg(c, "create.passphrase.oneTry") : msg(c, "create.passphrase.tries", { count: attempts });
}

/** The template picker: a radio group, each choice with its plain summary; the sender's own settings last. */
function templatePicker(c: Catalog, locale: string, policy: PolicySettings): string {
  const translate = (key: MessageKey, params?: MessageParams) => t(c, key, params);
  const choice = (id: string, name: string, summary: string) => {
    const radio = templateRadioId(id);
    const checked = (policy.defaultTemplate ?? "") === id ? " checked" : "";
    return (
      `<div class="choice"><input type="radio" name="template" id="${radio}" value="${escapeHtml(id)}" aria-describedby="${radio}-summary"${checked}>` +
      `<label for="${radio}">${escapeHtml(name)}</label><p id="${radio}-summary" class="hint">${escapeHtml(summary)}</p></div>`
    );
  };
  return [
    `<fieldset id="${IDS.templateGroup}" class="choices" aria-describedby="template-hint">`,
    `<legend>${msg(c, "create.template.legend")}</legend>`,
    `<p id="template-hint" class="hint">${msg(c, "create.template.hint")}</p>`,
    ...policy.templates.map((facts) => choice(facts.id, templateName(facts, translate, locale), templateSummary(facts, translate, locale))),
    choice("", t(c, "create.template.custom"), t(c, "create.template.customSummary")),
    `</fieldset>`,
  ].join("\n");
}

/** The create page's `<main>` content. */
export function createMain(c: Catalog, locale: string, settings: PageSettings): string {
  const m = (key: Parameters<typeof msg>[1], params?: Parameters<typeof msg>[2]): string => msg(c, key, params);
  const limits = settings.ttl;
  const options =
    createTtlPresets(settings)
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
    // Text or a file: two radio buttons, so the choice is plain and works with the arrow keys.
    `<fieldset class="kind-choice">`,
    `<legend>${m("create.kind.legend")}</legend>`,
    `<div class="choice-row">`,
    `<label for="${IDS.kindText}"><input type="radio" id="${IDS.kindText}" name="kind" value="text" checked> ${m("create.kind.text")}</label>`,
    `<label for="${IDS.kindFile}"><input type="radio" id="${IDS.kindFile}" name="kind" value="file"> ${m("create.kind.file")}</label>`,
    `</div>`,
    `</fieldset>`,
    `<div id="${IDS.textField}" class="field">`,
    `<label for="${IDS.secret}">${m("create.secret.label")}</label>`,
    `<p id="secret-hint" class="hint">${m("create.secret.hint")}</p>`,
    `<textarea id="${IDS.secret}" name="secret" rows="8" required aria-describedby="secret-hint" ${SECRET_FIELD_ATTRS}></textarea>`,
    `</div>`,
    // The native file input is the way in for keyboards and assistive technology; the zone around it also takes a
    // dropped file, for those who drag.
    `<div id="${IDS.fileField}" class="field" hidden>`,
    `<div id="${IDS.dropZone}" class="drop-zone">`,
    `<label for="${IDS.file}">${m("create.file.label")}</label>`,
    `<p id="file-hint" class="hint">${m("create.file.hint", { max: formatBytes(settings.maxFileBytes, locale, { limit: true }) })} ${m("create.file.oneRecipient")}</p>`,
    `<input type="file" id="${IDS.file}" name="file" aria-describedby="file-hint ${IDS.fileChosen}">`,
    `<p id="${IDS.fileChosen}" class="file-chosen"></p>`,
    `</div>`,
    `</div>`,
    minimumsNotice(c, locale, settings.policy),
    templatePicker(c, locale, settings.policy),
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
    `<label id="${IDS.passphraseLabel}" for="${IDS.passphrase}">${m("create.passphrase.label")}</label>`,
    `<p id="passphrase-hint" class="hint">${m("create.passphrase.hint")} ${passphraseTries(c, settings.passphraseMaxAttempts)}</p>`,
    `<input id="${IDS.passphrase}" name="passphrase" type="password" autocomplete="new-password" spellcheck="false" aria-describedby="passphrase-hint">`,
    `</div>`,
    passkeyFieldset(c),
    `<div class="field">`,
    `<label id="${IDS.countriesLabel}" for="${IDS.countries}">${m("create.countries.label")}</label>`,
    `<p id="countries-hint" class="hint">${m("create.countries.hint")}</p>`,
    `<p id="${IDS.countriesWithin}" class="hint" hidden></p>`,
    `<input id="${IDS.countries}" name="countries" type="text" size="20" maxlength="200" autocomplete="off" autocapitalize="characters" spellcheck="false" aria-describedby="countries-hint ${IDS.countriesWithin} ${IDS.countriesNames}">`,
    `<p id="${IDS.countriesNames}" class="hint"></p>`,
    `</div>`,
    `<div class="field">`,
    `<label for="${IDS.networks}">${m("create.networks.label")}</label>`,
    `<p id="networks-hint" class="hint">${m("create.networks.hint")}</p>`,
    `<input id="${IDS.networks}" name="networks" type="text" maxlength="2000" autocomplete="off" autocapitalize="off" spellcheck="false" aria-describedby="networks-hint">`,
    `</div>`,
    // A file link has one recipient (its chunks are deleted as its one download streams them): the script hides this
    // choice while a file is chosen, and says so in the file's own hint.
    `<div id="${IDS.recipientsField}" class="field">`,
    `<label for="${IDS.recipients}">${m("create.recipients.label")}</label>`,
    `<p id="recipients-hint" class="hint">${m("create.recipients.hint")}</p>`,
    `<select id="${IDS.recipients}" name="recipients" aria-describedby="recipients-hint">` +
      Array.from({ length: settings.policy.maxRecipients }, (_, i) => `<option value="${i + 1}"${i === 0 ? " selected" : ""}>${i + 1}</option>`).join("") +
      `</select>`,
    `</div>`,
    // Disabled until the script runs: without it, submitting would send the plaintext to the server in the URL.
    `<div class="actions"><button type="submit" id="${IDS.submit}" class="primary" disabled>${m("create.submit")}</button></div>`,
    `<progress id="${IDS.progress}" max="100" value="0" aria-label="${m("create.progress.label")}" hidden></progress>`,
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
    // Several recipients: the script fills one item per link (link, QR code, manage link) into this list.
    `<div id="${IDS.manyResult}" class="stack" hidden>`,
    `<p>${m("create.result.many")}</p>`,
    `<ol id="${IDS.manyList}" class="result-list"></ol>`,
    `</div>`,
    `<div id="${IDS.singleResult}" class="stack">`,
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
    // For a file: its SHA-256, which the recipient's page shows too when the file arrives intact.
    `<div id="${IDS.fileResult}" class="field" hidden>`,
    `<label for="${IDS.fileSha}">${m("create.result.fileSha.label")}</label>`,
    `<p id="sent-sha-hint" class="hint">${m("create.result.fileSha.hint")}</p>`,
    `<div class="copy-row"><input id="${IDS.fileSha}" type="text" class="hash" readonly aria-describedby="sent-sha-hint" ${SECRET_FIELD_ATTRS}>` +
      `<button type="button" id="${IDS.copyFileSha}">${m("create.result.fileSha.copy")}</button></div>`,
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
    `</div>`,
    `<p class="hint">${m("create.result.leave")}</p>`,
    `<div class="actions"><button type="button" id="${IDS.again}">${m("create.again")}</button></div>`,
    `</section>`,
  ].join("\n");
}

/**
 * The passkey choice: none, any passkey at the click, or only the recipient's enrolled passkey (by handle). The
 * script follows the template picker: when the template or the instance needs a passkey, "none" is disabled, "any
 * passkey" preselected and the recipient's own passkey stays open as the stricter choice; the fallback is disabled
 * when it would weaken what the template or the instance asks.
 */
function passkeyFieldset(c: Catalog): string {
  const m = (key: Parameters<typeof msg>[1]): string => msg(c, key);
  const radio = (id: string, value: string, label: string, hint: string | null, checked = false) =>
    `<div class="choice"><input type="radio" id="${id}" name="passkey" value="${value}"${checked ? " checked" : ""}` +
    `${hint ? ` aria-describedby="${id}-hint"` : ""}><label for="${id}">${label}</label>` +
    `${hint ? `<p id="${id}-hint" class="hint">${hint}</p>` : ""}</div>`;
  return [
    `<fieldset id="${IDS.passkeyGroup}" class="passkey-choice" aria-describedby="${IDS.passkeyDemanded}">`,
    `<legend id="${IDS.passkeyLegend}">${m("create.passkey.legend")}</legend>`,
    // Filled (and shown) by the script when the template or the instance needs a passkey; empty, it says nothing.
    `<p id="${IDS.passkeyDemanded}" class="hint" hidden></p>`,
    radio(IDS.passkeyNone, "none", m("create.passkey.none"), null, true),
    radio(IDS.passkeyRequired, "required", m("create.passkey.required"), m("create.passkey.requiredHint")),
    radio(IDS.passkeyRecipient, "recipient", m("create.passkey.recipient"), m("create.passkey.recipientHint")),
    `<div id="${IDS.passkeyHandleField}" class="field" hidden>`,
    `<label for="${IDS.passkeyHandle}">${m("create.passkey.handle")}</label>`,
    `<input id="${IDS.passkeyHandle}" name="passkey-handle" type="text" maxlength="64" autocomplete="off" autocapitalize="off" spellcheck="false">`,
    `</div>`,
    `<div class="choice"><input type="checkbox" id="${IDS.passkeyFallback}" name="passkey-fallback" aria-describedby="${IDS.passkeyFallback}-hint ${IDS.passkeyFallbackBlocked}" disabled>` +
      `<label for="${IDS.passkeyFallback}">${m("create.passkey.fallback")}</label>` +
      `<p id="${IDS.passkeyFallback}-hint" class="hint">${m("create.passkey.fallbackHint")}</p>` +
      `<p id="${IDS.passkeyFallbackBlocked}" class="hint" hidden></p></div>`,
    `</fieldset>`,
  ].join("\n");
}
