// The sender's page: encrypt in this browser, register the ciphertext, show the two links.
// The plaintext lives only in the textarea and in memory while encrypting; it is never written to storage,
// the URL or the title, and the textarea is emptied as soon as the link exists. A file is read as a stream,
// encrypted piece by piece and sent in parts, so the page never holds more than about one part of it.
import { createFileLink, createLink, FileTooLargeError, OncelinkApiError, type CreatedLink } from "../../client/index.js";
import { fileStreamLength } from "../../crypto/file-stream.js";
import { formatBytes, formatDateTime, formatDuration } from "../i18n/format.js";
import { copyField } from "../lib/clipboard.js";
import { announce, announceError, byId, showView, wireSkipLink } from "../lib/dom.js";
import { errorText } from "../lib/error-text.js";
import { groupHex } from "../lib/hex.js";
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

function syncCustomTtl(): void {
  ttlCustom.hidden = ttl.value !== "custom";
  if (ttlCustom.hidden) ttlAmount.removeAttribute("aria-invalid");
}

const maxFile = () => formatBytes(settings.maxFileBytes, locale);

/** Shows the text field or the file field, as chosen. */
function syncKind(): void {
  const file = kindFile.checked;
  textField.hidden = file;
  fileField.hidden = !file;
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
    fileInput.removeAttribute("aria-invalid");
    return true;
  }
  fileChosen.textContent = t("create.file.chosen", { name: file.name, size: formatBytes(file.size, locale) });
  if (file.size > settings.maxFileBytes) {
    fileInput.setAttribute("aria-invalid", "true");
    announceError(t("create.error.fileTooLarge", { max: maxFile() }));
    return false;
  }
  fileInput.removeAttribute("aria-invalid");
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
    announceError(t("create.error.noFile"));
    fileInput.setAttribute("aria-invalid", "true");
    fileInput.focus();
    return;
  }
  if (file !== null && !describeChosenFile(false)) {
    fileInput.focus();
    return;
  }
  if (!asFile && text.trim() === "") {
    announceError(t("create.error.empty"));
    secret.setAttribute("aria-invalid", "true");
    secret.focus();
    return;
  }
  secret.removeAttribute("aria-invalid");
  const lifetime = chosenTtl();
  if (lifetime === null) return;
  busy = true;
  submit.disabled = true;
  fileInput.disabled = true;
  const report = file ? progressReporter(file) : null;
  if (report) report(0);
  else announce(t("create.working"));
  try {
    // An optional passphrase: stretched here with Argon2id and mixed into the key; the server sees only a proof.
    const words = passphrase.value;
    const common = { server: location.origin, ttl: lifetime, ...(words !== "" ? { passphrase: words } : {}) };
    let created: CreatedLink;
    if (file !== null) {
      progress.value = 0;
      progress.hidden = false;
      const sent = await createFileLink({
        ...common,
        // Read piece by piece as the upload needs it: the file is never loaded whole.
        source: file.stream(),
        name: file.name,
        type: file.type,
        size: file.size,
        onProgress: report!,
      });
      fileSha.value = groupHex(sent.file.sha256);
      fileResult.hidden = false;
      created = sent;
    } else {
      fileResult.hidden = true;
      created = await createLink({ ...common, text });
    }
    forgetInput();
    link.value = created.url;
    manage.value = created.manageUrl;
    note.value = t("create.result.note.text", { link: created.url });
    expires.textContent = t("create.result.expires", { time: formatDateTime(created.expiresAt, locale) });
    announce("");
    // Switching language now would reload the page and lose links that are shown only once.
    setLanguageSwitchVisible(false);
    showView(views, resultView, resultHeading);
  } catch (err) {
    // Keep the text (or the chosen file) on failure so the sender can retry without choosing it again.
    announceError(failureText(err));
  } finally {
    busy = false;
    submit.disabled = false;
    fileInput.disabled = false;
    progress.hidden = true;
  }
}

function failureText(err: unknown): string {
  // The server's 413 for a file over its limit, or the library's refusal before sending: nothing was kept.
  if (err instanceof FileTooLargeError || (err instanceof OncelinkApiError && err.code === "FILE_TOO_LARGE")) {
    return t("create.error.fileTooLarge", { max: maxFile() });
  }
  // File.stream() fails with NotReadableError (the file changed or vanished on disk, a folder was dropped).
  if (err instanceof DOMException && (err.name === "NotReadableError" || err.name === "NotFoundError")) return t("create.error.fileUnreadable");
  return errorText(err, t, {
    CONTENT_EMPTY: "create.error.empty",
    PAYLOAD_TOO_LARGE: "create.error.tooLarge",
    TTL_INVALID: "create.error.ttl",
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
syncKind();
wireDropZone();
ttl.addEventListener("change", syncCustomTtl);
kindText.addEventListener("change", syncKind);
kindFile.addEventListener("change", syncKind);
fileInput.addEventListener("change", () => describeChosenFile(true));
byId(IDS.copyFileSha, HTMLButtonElement).addEventListener("click", () => void onCopy(fileSha));
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
