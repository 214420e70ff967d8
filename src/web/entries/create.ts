// The sender's page: encrypt in this browser, register the ciphertext, show the two links.
// The plaintext lives only in the textarea and in memory while encrypting; it is never written to storage,
// the URL or the title, and the textarea is emptied as soon as the link exists.
import { createLink, OncelinkApiError, type CreateLinkOptions } from "../../client/index.js";
import { normalizePasskeyHandle } from "../../core/policy.js";
import { formatDateTime, formatDuration } from "../i18n/format.js";
import { copyField } from "../lib/clipboard.js";
import { announce, announceError, byId, showView, wireSkipLink } from "../lib/dom.js";
import { errorText } from "../lib/error-text.js";
import { setLanguageSwitchVisible, wireLanguageSwitch } from "../lib/language.js";
import { loadPageMessages } from "../lib/messages.js";
import { qrCodeSvg } from "../lib/qr.js";
import { CREATE_IDS as IDS } from "../page-ids.js";
import { customTtl, splitTtl, ttlPresets } from "../ttl-choices.js";

const { locale, t, settings } = loadPageMessages();
const limits = settings.ttl;

const formView = byId(IDS.formView, HTMLElement);
const form = byId(IDS.form, HTMLFormElement);
const secret = byId(IDS.secret, HTMLTextAreaElement);
const ttl = byId(IDS.ttl, HTMLSelectElement);
const ttlCustom = byId(IDS.ttlCustom, HTMLFieldSetElement);
const ttlAmount = byId(IDS.ttlAmount, HTMLInputElement);
const ttlUnit = byId(IDS.ttlUnit, HTMLSelectElement);
const passphrase = byId(IDS.passphrase, HTMLInputElement);
const passkeyChoices = [IDS.passkeyNone, IDS.passkeyRequired, IDS.passkeyRecipient].map((id) => byId(id, HTMLInputElement));
const passkeyHandleField = byId(IDS.passkeyHandleField, HTMLElement);
const passkeyHandle = byId(IDS.passkeyHandle, HTMLInputElement);
const passkeyFallback = byId(IDS.passkeyFallback, HTMLInputElement);
const submit = byId(IDS.submit, HTMLButtonElement);
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

/** The lifetime chosen, or null (with the error shown) when the custom value is not acceptable. */
function chosenTtl(): number | null {
  if (ttl.value !== "custom") {
    const preset = Number(ttl.value);
    // Whatever the DOM was tampered into saying, only an offered preset goes out.
    return ttlPresets(limits).includes(preset) ? preset : limits.default;
  }
  const seconds = customTtl(ttlAmount.value, Number(ttlUnit.value), limits);
  if (seconds === null) {
    ttlAmount.setAttribute("aria-invalid", "true");
    announceError(t("create.error.ttlRange", { min: formatDuration(limits.min, locale), max: formatDuration(limits.max, locale) }));
    ttlAmount.focus();
    return null;
  }
  ttlAmount.removeAttribute("aria-invalid");
  return seconds;
}

/** The passkey the sender chose, or null with the error shown when the handle is not a valid one. */
function chosenPasskey(): { passkey?: CreateLinkOptions["passkey"]; ok: boolean } {
  const value = passkeyChoices.find((input) => input.checked)?.value ?? "none";
  if (value === "required") return { passkey: "required", ok: true };
  if (value !== "recipient") return { ok: true };
  const handle = normalizePasskeyHandle(passkeyHandle.value);
  if (handle === null) {
    passkeyHandle.setAttribute("aria-invalid", "true");
    announceError(t("create.error.handle"));
    passkeyHandle.focus();
    return { ok: false };
  }
  passkeyHandle.removeAttribute("aria-invalid");
  return { passkey: { handle }, ok: true };
}

/** The handle field shows for "only the recipient's passkey"; the fallback needs a passkey choice. */
function syncPasskey(): void {
  const value = passkeyChoices.find((input) => input.checked)?.value ?? "none";
  passkeyHandleField.hidden = value !== "recipient";
  passkeyFallback.disabled = value === "none";
  if (passkeyFallback.disabled) passkeyFallback.checked = false;
}

function syncCustomTtl(): void {
  ttlCustom.hidden = ttl.value !== "custom";
  if (ttlCustom.hidden) ttlAmount.removeAttribute("aria-invalid");
}

async function onSubmit(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  if (busy) return;
  const text = secret.value;
  if (text.trim() === "") {
    announceError(t("create.error.empty"));
    secret.setAttribute("aria-invalid", "true");
    secret.focus();
    return;
  }
  secret.removeAttribute("aria-invalid");
  const lifetime = chosenTtl();
  if (lifetime === null) return;
  const { passkey, ok } = chosenPasskey();
  if (!ok) return;
  busy = true;
  submit.disabled = true;
  announce(t("create.working"));
  try {
    // An optional passphrase: stretched here with Argon2id and mixed into the key; the server sees only a proof.
    const words = passphrase.value;
    const created = await createLink({
      server: location.origin,
      text,
      ttl: lifetime,
      ...(words !== "" ? { passphrase: words } : {}),
      ...(passkey !== undefined ? { passkey, passphraseFallback: passkeyFallback.checked && words !== "" } : {}),
    });
    secret.value = "";
    passphrase.value = "";
    link.value = created.url;
    manage.value = created.manageUrl;
    note.value = t("create.result.note.text", { link: created.url });
    expires.textContent = t("create.result.expires", { time: formatDateTime(created.expiresAt, locale) });
    announce("");
    // Switching language now would reload the page and lose links that are shown only once.
    setLanguageSwitchVisible(false);
    showView(views, resultView, resultHeading);
  } catch (err) {
    // Keep the text on failure so the sender can retry without pasting the secret again.
    announceError(
      errorText(err, t, {
        CONTENT_EMPTY: "create.error.empty",
        PAYLOAD_TOO_LARGE: "create.error.tooLarge",
        TTL_INVALID: "create.error.ttl",
        HANDLE_INVALID: "create.error.handle",
        HANDLE_UNKNOWN: "create.error.handleUnknown",
      }),
    );
    if (err instanceof OncelinkApiError && (err.code === "HANDLE_UNKNOWN" || err.code === "HANDLE_INVALID")) passkeyHandle.focus();
  } finally {
    busy = false;
    submit.disabled = false;
  }
}

function setQrVisible(visible: boolean): void {
  if (visible) qrImage.replaceChildren(qrCodeSvg(link.value, t("create.result.qr.label")));
  else qrImage.replaceChildren();
  qrPanel.hidden = !visible;
  qrToggle.textContent = t(visible ? "create.result.qr.hide" : "create.result.qr.show");
}

/** Forgets the links shown (they are secrets too) and returns to the empty form. */
function resetToForm(focus: boolean): void {
  link.value = "";
  manage.value = "";
  note.value = "";
  expires.textContent = "";
  setQrVisible(false);
  announce("");
  setLanguageSwitchVisible(true);
  showView(views, formView, focus ? secret : undefined);
}

async function onCopy(field: HTMLInputElement | HTMLTextAreaElement): Promise<void> {
  if (await copyField(field)) announce(t("common.copied"));
  else announceError(t("common.copyFailed"));
}

/**
 * The manage page's "make a replacement link" opens `/?ttl=SECONDS&replace=1`: the same lifetime is preselected
 * and a note says what is going on. Nothing else carries over; the sender types the secret again.
 */
function applyReplacementParams(): void {
  const params = new URLSearchParams(location.search);
  if (params.get("replace") === "1") byId(IDS.replacementNote, HTMLElement).hidden = false;
  const wanted = Number(params.get("ttl"));
  if (!Number.isInteger(wanted) || wanted < limits.min || wanted > limits.max) return;
  if (ttlPresets(limits).includes(wanted)) {
    ttl.value = String(wanted);
    return;
  }
  const split = splitTtl(wanted);
  if (split === null) return;
  ttl.value = "custom";
  ttlAmount.value = String(split.amount);
  ttlUnit.value = String(split.unit);
}

wireSkipLink();
wireLanguageSwitch(() => "");
applyReplacementParams();
syncCustomTtl();
ttl.addEventListener("change", syncCustomTtl);
for (const input of passkeyChoices) input.addEventListener("change", syncPasskey);
passkeyHandle.addEventListener("input", () => passkeyHandle.removeAttribute("aria-invalid"));
syncPasskey();
form.addEventListener("submit", (event) => void onSubmit(event));
byId(IDS.again, HTMLButtonElement).addEventListener("click", () => resetToForm(true));
byId(IDS.copyLink, HTMLButtonElement).addEventListener("click", () => void onCopy(link));
byId(IDS.copyNote, HTMLButtonElement).addEventListener("click", () => void onCopy(note));
byId(IDS.copyManage, HTMLButtonElement).addEventListener("click", () => void onCopy(manage));
qrToggle.addEventListener("click", () => setQrVisible(qrPanel.hidden));
// Leaving the page drops the secret and the links, so the back/forward cache cannot bring them back.
window.addEventListener("pagehide", () => {
  secret.value = "";
  passphrase.value = "";
  resetToForm(false);
});
submit.disabled = false;
