// The sender's page: encrypt in this browser, register the ciphertext, show the two links.
// The plaintext lives only in the textarea and in memory while encrypting; it is never written to storage,
// the URL or the title, and the textarea is emptied as soon as the link exists. A file is read as a stream,
// encrypted piece by piece and sent in parts, so the page never holds more than about one part of it.
import {
  createFileLink,
  createLinks,
  FileTooLargeError,
  FileUploadFailedError,
  OncelinkApiError,
  type CreatedLink,
  type CreateLinkOptions,
} from "../../client/index.js";
import { parseCountryCodes } from "../../core/countries.js";
import { normalizePasskeyHandle } from "../../core/policy.js";
import { MIN_ENVELOPE_BYTES, textEnvelopeLength } from "../../crypto/client-layer.js";
import { fileStreamLength } from "../../crypto/file-stream.js";
import { formatBytes, formatDateTime, formatDuration } from "../i18n/format.js";
import { copyField } from "../lib/clipboard.js";
import { askToConfirm } from "../lib/confirm-box.js";
import { announce, announceError, byId, clearFieldError, showFieldError, showView, wireSkipLink } from "../lib/dom.js";
import { errorText } from "../lib/error-text.js";
import { groupHex } from "../lib/hex.js";
import { setLanguageSwitchVisible, wireLanguageSwitch } from "../lib/language.js";
import { loadPageMessages } from "../lib/messages.js";
import { qrCodeSvg } from "../lib/qr.js";
import { renderResultList } from "../lib/result-list.js";
import { CREATE_IDS as IDS, templateRadioId } from "../page-ids.js";
import type { TemplateFacts } from "../page-settings.js";
import { countryList } from "../template-summary.js";
import { customTtl, splitTtl, ttlPresets, type TtlLimits } from "../ttl-choices.js";

const { locale, t, settings } = loadPageMessages();
const policy = settings.policy;
const presets = ttlPresets(settings.ttl, [...policy.templates.map((x) => x.ttl), ...(policy.minimums.maxTtl !== null ? [policy.minimums.maxTtl] : [])]);

const formView = byId(IDS.formView, HTMLElement);
const form = byId(IDS.form, HTMLFormElement);
const secret = byId(IDS.secret, HTMLTextAreaElement);
const kindText = byId(IDS.kindText, HTMLInputElement);
const kindFile = byId(IDS.kindFile, HTMLInputElement);
const textField = byId(IDS.textField, HTMLElement);
const fileField = byId(IDS.fileField, HTMLElement);
const dropZone = byId(IDS.dropZone, HTMLElement);
const fileInput = byId(IDS.file, HTMLInputElement);
const fileChosen = byId(IDS.fileChosen, HTMLElement);
const progress = byId(IDS.progress, HTMLProgressElement);
const fileResult = byId(IDS.fileResult, HTMLElement);
const fileSha = byId(IDS.fileSha, HTMLInputElement);
const ttl = byId(IDS.ttl, HTMLSelectElement);
const ttlCustom = byId(IDS.ttlCustom, HTMLFieldSetElement);
const ttlAmount = byId(IDS.ttlAmount, HTMLInputElement);
const ttlUnit = byId(IDS.ttlUnit, HTMLSelectElement);
const passphrase = byId(IDS.passphrase, HTMLInputElement);
const passphraseLabel = byId(IDS.passphraseLabel, HTMLLabelElement);
const passkeyChoices = [IDS.passkeyNone, IDS.passkeyRequired, IDS.passkeyRecipient].map((id) => byId(id, HTMLInputElement));
const passkeyNone = passkeyChoices[0]!;
const passkeyLegend = byId(IDS.passkeyLegend, HTMLElement);
const passkeyDemanded = byId(IDS.passkeyDemanded, HTMLElement);
const passkeyHandleField = byId(IDS.passkeyHandleField, HTMLElement);
const passkeyHandle = byId(IDS.passkeyHandle, HTMLInputElement);
const passkeyFallback = byId(IDS.passkeyFallback, HTMLInputElement);
const passkeyFallbackBlocked = byId(IDS.passkeyFallbackBlocked, HTMLElement);
const countries = byId(IDS.countries, HTMLInputElement);
const countriesLabel = byId(IDS.countriesLabel, HTMLLabelElement);
const countriesWithin = byId(IDS.countriesWithin, HTMLElement);
const countriesNames = byId(IDS.countriesNames, HTMLElement);
const networks = byId(IDS.networks, HTMLInputElement);
const recipients = byId(IDS.recipients, HTMLSelectElement);
const recipientsField = byId(IDS.recipientsField, HTMLElement);
const ttlRange = byId(IDS.ttlRange, HTMLElement);
const submit = byId(IDS.submit, HTMLButtonElement);
const singleResult = byId(IDS.singleResult, HTMLElement);
const manyResult = byId(IDS.manyResult, HTMLElement);
const manyList = byId(IDS.manyList, HTMLOListElement);
const resultView = byId(IDS.resultView, HTMLElement);
const resultHeading = byId(IDS.resultHeading, HTMLElement);
const link = byId(IDS.link, HTMLInputElement);
const expires = byId(IDS.expires, HTMLElement);
const qrToggle = byId(IDS.qrToggle, HTMLButtonElement);
const qrPanel = byId(IDS.qrPanel, HTMLElement);
const qrImage = byId(IDS.qrImage, HTMLElement);
const note = byId(IDS.note, HTMLTextAreaElement);
const manage = byId(IDS.manage, HTMLInputElement);
const views = [formView, resultView];

let busy = false;

/** The template whose radio button is checked, or null for the sender's own settings. */
function chosenTemplate(): TemplateFacts | null {
  return policy.templates.find((x) => byId(templateRadioId(x.id), HTMLInputElement).checked) ?? null;
}

/** What the chosen template and the instance's minimums demand; the form never offers anything weaker. */
interface Demands {
  limits: TtlLimits;
  passphrase: boolean;
  /** The recipient must prove a passkey: "any passkey" or the recipient's own, never none. */
  passkey: boolean;
  /**
   * The passphrase may replace the passkey (and the passkey the passphrase) only when neither the template nor the
   * minimums ask for one of them: "either one" is weaker than what they ask, and the server refuses it.
   */
  fallbackAllowed: boolean;
  /** The sender must name countries. */
  countries: boolean;
  /** Countries the sender's list must lie within (empty: any). */
  within: readonly string[];
}

function demands(template: TemplateFacts | null): Demands {
  const m = policy.minimums;
  const max = Math.min(settings.ttl.max, m.maxTtl ?? Infinity, template?.ttl ?? Infinity);
  const within = template !== null && template.allowCountry.length > 0 ? template.allowCountry : m.allowCountry;
  return {
    limits: { min: settings.ttl.min, max, default: Math.min(template?.ttl ?? settings.ttl.default, max) },
    passphrase: (template?.passphrase ?? false) || m.passphrase,
    passkey: (template?.passkey ?? false) || m.passkey,
    fallbackAllowed: !(template?.passphrase || template?.passkey || m.passphrase || m.passkey),
    // A template that fixes its countries (or a minimum list) supplies them when the sender names none.
    countries: (template?.countryRequired ?? false) && within.length === 0,
    within,
  };
}

/** Applies the chosen template to the form: lifetime choices and default, required fields, labels and hints. */
function applyTemplate(resetTtl: boolean): void {
  const d = demands(chosenTemplate());
  for (const option of ttl.options) {
    if (option.value !== "custom") option.disabled = Number(option.value) > d.limits.max;
  }
  if (resetTtl || (ttl.value !== "custom" && Number(ttl.value) > d.limits.max)) setTtl(d.limits.default);
  ttlRange.textContent = t("create.ttl.range", { min: formatDuration(d.limits.min, locale), max: formatDuration(d.limits.max, locale) });
  passphraseLabel.textContent = t(d.passphrase ? "create.passphrase.labelRequired" : "create.passphrase.label");
  passphrase.required = d.passphrase;
  countriesLabel.textContent = t(d.countries ? "create.countries.labelRequired" : "create.countries.label");
  countries.required = d.countries;
  countriesWithin.hidden = d.within.length === 0;
  countriesWithin.textContent = d.within.length === 0 ? "" : t("create.countries.within", { countries: `${countryList(d.within, locale)} (${d.within.join(", ")})` });
  applyPasskeyDemand(d);
  syncCustomTtl();
}

/** True while "any passkey" is checked because a template asked for it, not because the sender chose it. */
let passkeyPreselected = false;

const passkeyChoice = (): string => passkeyChoices.find((input) => input.checked)?.value ?? "none";

function checkPasskeyChoice(value: string): void {
  for (const input of passkeyChoices) input.checked = input.value === value;
}

/**
 * The passkey choices follow the template: one that needs a passkey disables "none" and preselects "any passkey"
 * (the recipient's own passkey is the stricter choice and stays open); leaving it for one that does not undoes the
 * preselection, but never a choice the sender made.
 */
function applyPasskeyDemand(d: Demands): void {
  passkeyNone.disabled = d.passkey;
  if (d.passkey && passkeyChoice() === "none") {
    checkPasskeyChoice("required");
    passkeyPreselected = true;
  } else if (!d.passkey && passkeyPreselected) {
    if (passkeyChoice() === "required") checkPasskeyChoice("none");
    passkeyPreselected = false;
  }
  passkeyLegend.textContent = t(d.passkey ? "create.passkey.legendRequired" : "create.passkey.legend");
  // Hidden hints are emptied too: an aria-describedby reference would still read them out.
  passkeyDemanded.hidden = !d.passkey;
  passkeyDemanded.textContent = d.passkey ? t("create.passkey.demanded") : "";
  passkeyFallbackBlocked.hidden = d.fallbackAllowed;
  passkeyFallbackBlocked.textContent = d.fallbackAllowed ? "" : t("create.passkey.fallbackBlocked");
  syncPasskey();
}

/** Preselects a lifetime: its preset when there is one, else the custom fields. */
function setTtl(seconds: number): void {
  if (presets.includes(seconds)) {
    ttl.value = String(seconds);
    return;
  }
  const split = splitTtl(seconds);
  if (split === null) return;
  ttl.value = "custom";
  ttlAmount.value = String(split.amount);
  ttlUnit.value = String(split.unit);
}

/** The country codes typed, normalized; null when one is not a code. */
function typedCountries(): string[] | null {
  const parts = countries.value.split(/[\s,;]+/).filter((p) => p !== "");
  return parseCountryCodes(parts);
}

function showCountryNames(): void {
  const codes = typedCountries();
  countriesNames.textContent = codes !== null && codes.length > 0 ? t("create.countries.names", { countries: countryList(codes, locale) }) : "";
}

/** Marks a field wrong, says why at the field and puts the cursor there; always null, for `return fieldError(...)`. */
function fieldError(field: HTMLInputElement, message: string): null {
  showFieldError(field, message);
  return null;
}

const CIDR = /^[0-9A-Fa-f:.]+(\/\d{1,3})?$/;

/** The policy choices of the form, checked; null (with the error shown) when one is not acceptable. */
function chosenPolicy(d: Demands): { allowCountry: string[]; allowIp: string[] } | null {
  if (d.passphrase && passphrase.value === "") return fieldError(passphrase, t("create.error.passphraseRequired"));
  clearFieldError(passphrase);
  const codes = typedCountries();
  if (codes === null) return fieldError(countries, t("create.error.countries"));
  if (d.countries && codes.length === 0) return fieldError(countries, t("create.error.countriesRequired"));
  if (d.within.length > 0 && codes.some((c) => !d.within.includes(c))) {
    return fieldError(countries, t("create.error.countriesOutside", { countries: d.within.join(", ") }));
  }
  // Only the shape is checked here; the server parses the ranges and says POLICY_INVALID for a bad one.
  const ranges = networks.value.split(/[\s,;]+/).filter((p) => p !== "");
  if (ranges.length > 64 || ranges.some((r) => !CIDR.test(r))) return fieldError(networks, t("create.error.networks"));
  clearFieldError(countries);
  clearFieldError(networks);
  return { allowCountry: codes, allowIp: ranges };
}

/** The lifetime chosen, or null (with the error shown) when the custom value is not acceptable. */
function chosenTtl(limits: TtlLimits): number | null {
  if (ttl.value !== "custom") {
    const preset = Number(ttl.value);
    // Whatever the DOM was tampered into saying, only an offered preset inside the limits goes out.
    return presets.includes(preset) && preset <= limits.max ? preset : limits.default;
  }
  const seconds = customTtl(ttlAmount.value, Number(ttlUnit.value), limits);
  if (seconds === null) {
    // Above the number and unit row, so the two fields stay side by side.
    showFieldError(ttlAmount, t("create.error.ttlRange", { min: formatDuration(limits.min, locale), max: formatDuration(limits.max, locale) }), {
      before: ttlAmount.closest(".inline-fields") ?? ttlAmount,
    });
    return null;
  }
  clearFieldError(ttlAmount);
  return seconds;
}

/** The passkey the sender chose, or null with the error shown when the handle is not a valid one. */
function chosenPasskey(): { passkey?: CreateLinkOptions["passkey"]; ok: boolean } {
  const value = passkeyChoice();
  // "none" is disabled when the template needs a passkey; a tampered form still sends at least what it asks.
  if (value === "required" || (value === "none" && demands(chosenTemplate()).passkey)) return { passkey: "required", ok: true };
  if (value !== "recipient") return { ok: true };
  const handle = normalizePasskeyHandle(passkeyHandle.value);
  if (handle === null) {
    showFieldError(passkeyHandle, t("create.error.handle"));
    return { ok: false };
  }
  clearFieldError(passkeyHandle);
  return { passkey: { handle }, ok: true };
}

/** The handle field shows for "only the recipient's passkey"; the fallback needs a passkey choice and a template that allows it. */
function syncPasskey(): void {
  const value = passkeyChoice();
  passkeyHandleField.hidden = value !== "recipient";
  passkeyFallback.disabled = value === "none" || !demands(chosenTemplate()).fallbackAllowed;
  if (passkeyFallback.disabled) passkeyFallback.checked = false;
}

function syncCustomTtl(): void {
  ttlCustom.hidden = ttl.value !== "custom";
  if (ttlCustom.hidden) clearFieldError(ttlAmount);
}

const maxFile = () => formatBytes(settings.maxFileBytes, locale, { limit: true });

/** The most UTF-8 bytes of text the server takes: MAX_SECRET_BYTES counts the envelope, a few bytes more. */
const maxTextBytes = Math.max(0, settings.maxSecretBytes - MIN_ENVELOPE_BYTES);

/**
 * Why a text over the server's limit is refused, at the field: the limit, its size (rounded up, so it never reads
 * as the limit itself), and, where files may be larger, that a file would go.
 */
function textTooLargeText(text: string): string {
  const message = t("create.error.textTooLarge", {
    max: formatBytes(maxTextBytes, locale, { limit: true }),
    size: formatBytes(textEnvelopeLength(text) - MIN_ENVELOPE_BYTES, locale, { roundUp: true }),
  });
  return settings.maxFileBytes > maxTextBytes ? `${message} ${t("create.error.textAsFile", { max: maxFile() })}` : message;
}

/** Shows the text field or the file field, as chosen. A file link has one recipient: the count is hidden then. */
function syncKind(): void {
  const file = kindFile.checked;
  textField.hidden = file;
  fileField.hidden = !file;
  recipientsField.hidden = file;
}

/** The chosen file, checked against the server's limit before anything is sent. */
function chosenFile(): File | null {
  return fileInput.files?.[0] ?? null;
}

/** Says which file is chosen (name and size), and whether it is over the limit. Returns false when it is. */
function describeChosenFile(announceIt: boolean): boolean {
  const file = chosenFile();
  if (file === null) {
    fileChosen.textContent = "";
    clearFieldError(fileInput);
    return true;
  }
  fileChosen.textContent = t("create.file.chosen", { name: file.name, size: formatBytes(file.size, locale) });
  if (file.size > settings.maxFileBytes) {
    showFieldError(fileInput, t("create.error.fileTooLarge", { max: maxFile() }));
    return false;
  }
  clearFieldError(fileInput);
  if (announceIt) announce(fileChosen.textContent);
  return true;
}

/** Announces upload progress in steps of 10 %, so a screen reader is not flooded; the bar moves with every part. */
function progressReporter(file: File): (sent: number) => void {
  const total = fileStreamLength(file.size, { name: file.name, type: file.type });
  const percent = new Intl.NumberFormat(locale, { style: "percent" });
  let announced = -1;
  return (sent) => {
    const share = Math.min(1, sent / total);
    progress.value = Math.floor(share * 100);
    const step = Math.floor(share * 10);
    if (step > announced) {
      announced = step;
      announce(t("create.uploading", { percent: percent.format(step / 10) }));
    }
  };
}

async function onSubmit(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  if (busy) return;
  const asFile = kindFile.checked;
  const text = secret.value;
  const file = asFile ? chosenFile() : null;
  if (asFile && file === null) {
    showFieldError(fileInput, t("create.error.noFile"));
    return;
  }
  if (file !== null && !describeChosenFile(false)) {
    fileInput.focus();
    return;
  }
  if (!asFile && text.trim() === "") {
    showFieldError(secret, t("create.error.empty"));
    return;
  }
  // Refused here rather than by the server's 413: nothing is sent, and the page can say the limit and the size.
  if (!asFile && textEnvelopeLength(text) > settings.maxSecretBytes) {
    showFieldError(secret, textTooLargeText(text));
    return;
  }
  clearFieldError(secret);
  const template = chosenTemplate();
  const d = demands(template);
  const lifetime = chosenTtl(d.limits);
  if (lifetime === null) return;
  const { passkey, ok } = chosenPasskey();
  if (!ok) return;
  const choices = chosenPolicy(d);
  if (choices === null) return;
  const count = Math.min(Math.max(1, Number(recipients.value) || 1), policy.maxRecipients);
  busy = true;
  // aria-disabled rather than disabled: a disabled button drops keyboard focus to <body>, and a failed try would
  // leave the person at the top of the page instead of on the button that tries again.
  submit.setAttribute("aria-disabled", "true");
  fileInput.disabled = true;
  const report = file ? progressReporter(file) : null;
  if (report) report(0);
  else announce(t("create.working"));
  try {
    // An optional passphrase: stretched here with Argon2id and mixed into the key; the server sees only a proof.
    const words = passphrase.value;
    // The same template and rules for a text and a file; a file link has one recipient (see syncKind).
    const options = {
      server: location.origin,
      ttl: lifetime,
      ...(words !== "" ? { passphrase: words } : {}),
      ...(passkey !== undefined ? { passkey, passphraseFallback: passkeyFallback.checked && words !== "" } : {}),
      ...(template !== null ? { template: template.id } : {}),
      // Empty fields mean no rule: the library refuses a list given but empty (it would restrict nothing).
      ...(choices.allowCountry.length > 0 ? { allowCountry: choices.allowCountry } : {}),
      ...(choices.allowIp.length > 0 ? { allowIp: choices.allowIp } : {}),
    };
    let created: CreatedLink[];
    if (file !== null) {
      progress.value = 0;
      progress.hidden = false;
      const sent = await createFileLink({
        ...options,
        // Read piece by piece as the upload needs it: the file is never loaded whole.
        source: file.stream(),
        name: file.name,
        type: file.type,
        size: file.size,
        onProgress: report!,
      });
      fileSha.value = groupHex(sent.file.sha256);
      fileResult.hidden = false;
      created = [sent];
    } else {
      fileResult.hidden = true;
      created = await createLinks({ ...options, text, recipients: count });
    }
    forgetInput();
    showLinks(created);
    announce("");
    // Switching language now would reload the page and lose links that are shown only once.
    setLanguageSwitchVisible(false);
    showView(views, resultView, resultHeading);
  } catch (err) {
    // Keep the text (or the chosen file) on failure so the sender can retry without choosing it again.
    if (err instanceof OncelinkApiError && (err.code === "HANDLE_UNKNOWN" || err.code === "HANDLE_INVALID")) {
      showFieldError(passkeyHandle, failureText(err));
    } else if (!asFile && err instanceof OncelinkApiError && err.status === 413) {
      // The text fitted the limit this page was given, yet the server (or a proxy in front of it, whose own 413 has
      // no code) refused it as too large: its real limit is lower and unknown here, so no number is given.
      showFieldError(secret, t("create.error.tooLarge"));
    } else announceError(failureText(err));
  } finally {
    busy = false;
    submit.removeAttribute("aria-disabled");
    fileInput.disabled = false;
    progress.hidden = true;
  }
}

function failureText(err: unknown): string {
  // The server's 413 for a file over its limit, or the library's refusal before sending: nothing was kept.
  if (err instanceof FileTooLargeError || (err instanceof OncelinkApiError && err.code === "FILE_TOO_LARGE")) {
    return t("create.error.fileTooLarge", { max: maxFile() });
  }
  // A part failed every time it was sent (the connection kept breaking, the server kept failing): no link exists.
  if (err instanceof FileUploadFailedError) return t("create.error.uploadFailed");
  // File.stream() fails with NotReadableError (the file changed or vanished on disk, a folder was dropped).
  if (err instanceof DOMException && (err.name === "NotReadableError" || err.name === "NotFoundError")) return t("create.error.fileUnreadable");
  return errorText(err, { t, locale }, {
    CONTENT_EMPTY: "create.error.empty",
    PAYLOAD_TOO_LARGE: "create.error.tooLarge",
    TTL_INVALID: "create.error.ttl",
    HANDLE_INVALID: "create.error.handle",
    HANDLE_UNKNOWN: "create.error.handleUnknown",
    TEMPLATE_CONFLICT: "create.error.policy",
    POLICY_MINIMUM: "create.error.policy",
    POLICY_INVALID: "create.error.policyInvalid",
    STORAGE_FULL: "create.error.storageFull",
  });
}

/** Empties every input that held the secret or the file, so nothing of it stays in the page. */
function forgetInput(): void {
  secret.value = "";
  passphrase.value = "";
  fileInput.value = "";
  fileChosen.textContent = "";
}

/** Dropping a file on the zone chooses it, as the picker would. One file at a time. */
function wireDropZone(): void {
  const isFileDrag = (event: DragEvent) => event.dataTransfer?.types.includes("Files") === true;
  dropZone.addEventListener("dragover", (event) => {
    if (!isFileDrag(event) || busy) return;
    event.preventDefault();
    event.dataTransfer!.dropEffect = "copy";
    dropZone.classList.add("dragging");
  });
  dropZone.addEventListener("dragleave", () => dropZone.classList.remove("dragging"));
  dropZone.addEventListener("drop", (event) => {
    dropZone.classList.remove("dragging");
    if (!isFileDrag(event)) return;
    event.preventDefault();
    if (busy) return;
    const files = event.dataTransfer!.files;
    if (files.length !== 1) {
      announceError(t("create.error.oneFile"));
      return;
    }
    fileInput.files = files;
    describeChosenFile(true);
  });
  // A file dropped next to the zone would make the browser open it in place of this page: ignore such drops.
  for (const type of ["dragover", "drop"] as const) {
    window.addEventListener(type, (event) => {
      if (isFileDrag(event) && !dropZone.contains(event.target as Node)) event.preventDefault();
    });
  }
}

/** Shows one link in the single-link fields, or several as a list with a QR code and manage link each. */
function showLinks(created: readonly CreatedLink[]): void {
  const first = created[0]!;
  expires.textContent = t("create.result.expires", { time: formatDateTime(first.expiresAt, locale) });
  const many = created.length > 1;
  resultHeading.textContent = many ? t("create.result.headingMany", { count: created.length }) : t("create.result.heading");
  singleResult.hidden = many;
  manyResult.hidden = !many;
  if (many) {
    renderResultList(manyList, created, t, (field) => void onCopy(field));
    manyResult.prepend(expires);
    return;
  }
  singleResult.querySelector(".field")?.append(expires);
  link.value = first.url;
  manage.value = first.manageUrl;
  note.value = t("create.result.note.text", { link: first.url });
}

function setQrVisible(visible: boolean): void {
  if (visible) qrImage.replaceChildren(qrCodeSvg(link.value, t("create.result.qr.label")));
  else qrImage.replaceChildren();
  qrPanel.hidden = !visible;
  qrToggle.textContent = t(visible ? "create.result.qr.hide" : "create.result.qr.show");
}

/** Forgets the links shown (they are secrets too) and returns to the empty form. */
function resetToForm(focus: boolean): void {
  fileSha.value = "";
  fileResult.hidden = true;
  link.value = "";
  manage.value = "";
  note.value = "";
  expires.textContent = "";
  manyList.replaceChildren();
  setQrVisible(false);
  announce("");
  setLanguageSwitchVisible(true);
  showView(views, formView, focus ? (kindFile.checked ? fileInput : secret) : undefined);
}

async function onCopy(field: HTMLInputElement | HTMLTextAreaElement): Promise<void> {
  if (await copyField(field)) announce(t("common.copied"));
  else announceError(t("common.copyFailed"));
}

/**
 * Settings that arrive in the address: from the manage page's "make a replacement link", which opens
 * `/?replace=1&ttl=SECONDS&template=ID&passkey=required|recipient&fallback=1&countries=DE,FR&networks=...` (the same
 * template, lifetime, passkey choice, countries and networks preselected, and a note says what is going on), and
 * from a language switch on this page, which carries the same settings plus `kind=file` and `recipients=N` (see
 * carriedSettings). The secret, any passphrase, a recipient's handle and a chosen file never travel this way.
 */
function applyCarriedSettings(): void {
  const params = new URLSearchParams(location.search);
  if (params.get("replace") === "1") byId(IDS.replacementNote, HTMLElement).hidden = false;
  if (params.get("kind") === "file") kindFile.checked = true;
  const count = Number(params.get("recipients"));
  if (Number.isInteger(count) && count >= 1 && count <= policy.maxRecipients) recipients.value = String(count);
  const template = params.get("template");
  if (template !== null) {
    const radio = document.getElementById(templateRadioId(policy.templates.some((x) => x.id === template) ? template : ""));
    if (radio instanceof HTMLInputElement) radio.checked = true;
  }
  applyTemplate(true);
  const limits = demands(chosenTemplate()).limits;
  const wanted = Number(params.get("ttl"));
  if (Number.isInteger(wanted) && wanted >= limits.min && wanted <= limits.max) setTtl(wanted);
  const passkeyMode = params.get("passkey");
  if (passkeyMode === "required" || passkeyMode === "recipient") {
    checkPasskeyChoice(passkeyMode);
    passkeyPreselected = false;
    syncPasskey();
    passkeyFallback.checked = params.get("fallback") === "1" && !passkeyFallback.disabled;
  }
  countries.value = (params.get("countries") ?? "").slice(0, 200);
  networks.value = (params.get("networks") ?? "").slice(0, 2000);
  showCountryNames();
}

/**
 * The choices a language switch carries into the reloaded page (read back by applyCarriedSettings): everything on
 * the form but the secret, the passphrase, the recipient's handle and a chosen file, which are never written to the
 * address or to storage.
 */
function carriedSettings(): Record<string, string | null> {
  const template = chosenTemplate();
  const limits = demands(template).limits;
  const lifetime = ttl.value === "custom" ? customTtl(ttlAmount.value, Number(ttlUnit.value), limits) : Number(ttl.value);
  const mode = passkeyChoice();
  return {
    kind: kindFile.checked ? "file" : null,
    // "" is the sender's own settings: without it, a reload would preselect the server's default template again.
    template: template?.id ?? "",
    ttl: lifetime !== null && Number.isInteger(lifetime) && lifetime > 0 ? String(lifetime) : null,
    passkey: mode === "required" || mode === "recipient" ? mode : null,
    fallback: passkeyFallback.checked ? "1" : null,
    countries: countries.value.trim() === "" ? null : countries.value.trim(),
    networks: networks.value.trim() === "" ? null : networks.value.trim(),
    recipients: recipients.value === "1" ? null : recipients.value,
  };
}

/** Something typed or chosen that a reload would clear, because the page never stores it anywhere. */
function holdsUnsavedInput(): boolean {
  return secret.value !== "" || passphrase.value !== "" || passkeyHandle.value !== "" || (fileInput.files?.length ?? 0) > 0;
}

/**
 * Switching language reloads the page. When that would clear a secret, a passphrase, a handle or a chosen file, the
 * page asks first, right above the form; "Keep what I typed" (or Escape) returns to the language link.
 */
async function confirmLanguageSwitch(link: HTMLAnchorElement): Promise<boolean> {
  if (!holdsUnsavedInput()) return true;
  const ok = await askToConfirm(
    "language-confirm",
    (box) => form.before(box),
    { heading: t("create.language.heading"), body: t("create.language.body"), yes: t("create.language.yes"), no: t("create.language.no") },
    { yesClass: "primary" },
  );
  if (!ok) link.focus();
  return ok;
}

wireSkipLink();
wireLanguageSwitch(() => "", { carry: carriedSettings, confirm: confirmLanguageSwitch });
applyTemplate(true);
applyCarriedSettings();
syncCustomTtl();
syncKind();
wireDropZone();
ttl.addEventListener("change", syncCustomTtl);
kindText.addEventListener("change", syncKind);
kindFile.addEventListener("change", syncKind);
fileInput.addEventListener("change", () => describeChosenFile(true));
byId(IDS.copyFileSha, HTMLButtonElement).addEventListener("click", () => void onCopy(fileSha));
for (const radio of document.querySelectorAll<HTMLInputElement>('input[name="template"]')) {
  radio.addEventListener("change", () => applyTemplate(true));
}
for (const input of passkeyChoices) {
  input.addEventListener("change", () => {
    passkeyPreselected = false;
    syncPasskey();
  });
}
countries.addEventListener("input", showCountryNames);
form.addEventListener("submit", (event) => void onSubmit(event));
byId(IDS.again, HTMLButtonElement).addEventListener("click", () => resetToForm(true));
byId(IDS.copyLink, HTMLButtonElement).addEventListener("click", () => void onCopy(link));
byId(IDS.copyNote, HTMLButtonElement).addEventListener("click", () => void onCopy(note));
byId(IDS.copyManage, HTMLButtonElement).addEventListener("click", () => void onCopy(manage));
qrToggle.addEventListener("click", () => setQrVisible(qrPanel.hidden));
// Leaving the page drops the secret and the links, so the back/forward cache cannot bring them back.
window.addEventListener("pagehide", () => {
  forgetInput();
  resetToForm(false);
});
submit.disabled = false;
