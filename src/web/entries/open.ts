// The recipient's page: interstitial, then reveal. Loading it spends nothing: on load it only asks the server
// whether the link is still fresh. Proof of work, session and consume start on the person's click, never earlier,
// because mail scanners and chat unfurlers load pages (and run scripts) but do not click.
import {
  ConfirmationDeclinedError,
  ContentNotReceivedError,
  DecryptionError,
  LinkKeyMissingError,
  OncelinkApiError,
  openLinkStream,
  parseLinkUrl,
  PasskeyCeremonyError,
  PasskeyIncorrectError,
  PasskeyRequiredError,
  PassphraseIncorrectError,
  PassphraseRequiredError,
  UnavailableError,
  UnsupportedRequirementError,
  type GestureReport,
  type OpenedStream,
  type OpenStage,
  type LinkInfo,
} from "../../client/index.js";
import type { MessageKey } from "../i18n/en.js";
import { formatBytes, formatDuration } from "../i18n/format.js";
import { copyField, createClipboardClearer } from "../lib/clipboard.js";
import { announce, announceError, byId, clearFieldError, setTitle, showFieldError, showView, wireSkipLink } from "../lib/dom.js";
import { downloadBlob } from "../lib/download.js";
import { errorText } from "../lib/error-text.js";
import { canPickSaveLocation, discardTarget, pickSaveLocation, receiveBytes, receiveFile, type ReceivedFile, type SaveTarget } from "../lib/file-receive.js";
import { groupHex } from "../lib/hex.js";
import { setLanguageSwitchVisible, wireLanguageSwitch } from "../lib/language.js";
import { checkLink } from "../lib/link-check.js";
import { ceremonyFailure, forgetThrowawayCredential, passkeysSupported, runCeremony } from "../lib/passkey.js";
import { loadPageMessages } from "../lib/messages.js";
import { deriveKeyInPage } from "../lib/pow-hash.js";
import { askSecondConfirmation } from "../lib/second-confirmation.js";
import { COMMON_IDS, OPEN_IDS as IDS } from "../page-ids.js";

const { locale, t, settings } = loadPageMessages();

const checkingView = byId(IDS.checkingView, HTMLElement);
const freshView = byId(IDS.freshView, HTMLElement);
const incompleteView = byId(IDS.incompleteView, HTMLElement);
const revealedView = byId(IDS.revealedView, HTMLElement);
const problemView = byId(IDS.problemView, HTMLElement);
const doneView = byId(IDS.doneView, HTMLElement);
const unavailableView = byId(COMMON_IDS.unavailableView, HTMLElement);
const views = [checkingView, freshView, incompleteView, revealedView, doneView, problemView, unavailableView];

const reveal = byId(IDS.reveal, HTMLButtonElement);
const passphraseField = byId(IDS.passphraseField, HTMLFormElement);
const passphraseInput = byId(IDS.passphrase, HTMLInputElement);
const requirements = byId(IDS.requirements, HTMLElement);
const requiresPasskey = byId(IDS.requiresPasskey, HTMLElement);
const requiresPassphrase = byId(IDS.requiresPassphrase, HTMLElement);
const requiresEither = byId(IDS.requiresEither, HTMLElement);
const factorSwitch = byId(IDS.factorSwitch, HTMLElement);
const secretField = byId(IDS.secret, HTMLTextAreaElement);
const textBlock = byId(IDS.textBlock, HTMLElement);
const fileBlock = byId(IDS.fileBlock, HTMLElement);
const freshHeading = byId(IDS.freshHeading, HTMLElement);
const freshHint = byId(IDS.freshHint, HTMLElement);
const revealedHeading = byId(IDS.revealedHeading, HTMLElement);
const fileName = byId(IDS.fileName, HTMLElement);
const fileSize = byId(IDS.fileSize, HTMLElement);
const fileSha = byId(IDS.fileSha, HTMLElement);
const fileCheck = byId(IDS.fileCheck, HTMLElement);
const fileSaved = byId(IDS.fileSaved, HTMLElement);
const saveFile = byId(IDS.saveFile, HTMLButtonElement);
const textReminder = byId(IDS.textReminder, HTMLElement);
const fileReminder = byId(IDS.fileReminder, HTMLElement);
const problemHeading = byId(IDS.problemHeading, HTMLElement);
const problemBody = byId(IDS.problemBody, HTMLElement);
const problemRetry = byId(IDS.problemRetry, HTMLButtonElement);
const usePassphrase = byId(IDS.usePassphrase, HTMLButtonElement);
const usePasskey = byId(IDS.usePasskey, HTMLButtonElement);

/**
 * What the link asks for (from the non-consuming check): its passkey rule, whether it has a passphrase, and whether
 * the person chose the passphrase in place of the passkey (a fallback link only).
 */
let passkey: LinkInfo["passkey"] = null;
let passphrase = false;
let passphraseChosen = false;
/**
 * The link as it was opened, fragment included. Read once, then the fragment is removed from the address bar so
 * the key does not stay on screen (screen sharing, shoulder surfing) or in later history entries. Emptied after use.
 */
let linkUrl = location.href;
let busy = false;
let revealed = false;
/** What the check said: a file link asks where to save at the Reveal click, before anything is spent. */
let isFileLink = false;
/** A received file kept for "Save file" (browsers without the File System Access API); dropped with the page. */
let fileBlob: Blob | null = null;
let fileBlobName = "";

function stripFragment(): void {
  if (location.hash !== "") history.replaceState(history.state, "", location.pathname + location.search);
}

/** The URL to check and open: with the key when the fragment holds a well-formed one, else without fragment. */
function usableUrl(): string | null {
  const bare = linkUrl.replace(/#.*$/, "");
  if (parseLinkUrl(bare) === null) return null;
  return parseLinkUrl(linkUrl) !== null ? linkUrl : bare;
}

type ViewName = "fresh" | "incomplete" | "unavailable" | "revealed" | "done" | "problem";

const VIEW_HEADINGS: Record<Exclude<ViewName, "problem">, { view: HTMLElement; heading: string; key: MessageKey }> = {
  fresh: { view: freshView, heading: IDS.freshHeading, key: "open.fresh.heading" },
  incomplete: { view: incompleteView, heading: IDS.incompleteHeading, key: "open.incomplete.heading" },
  unavailable: { view: unavailableView, heading: COMMON_IDS.unavailableHeading, key: "unavailable.heading" },
  revealed: { view: revealedView, heading: IDS.revealedHeading, key: "open.revealed.heading" },
  done: { view: doneView, heading: IDS.doneHeading, key: "open.done.heading" },
};

/** Switches view; `moveFocus` after a click so the new state is read out, not on load. */
function show(name: Exclude<ViewName, "problem">, moveFocus: boolean): void {
  const entry = VIEW_HEADINGS[name];
  // The title names the state and, for a file link, that it is a file: never its name or anything in it.
  setTitle(t(isFileLink && name === "fresh" ? "open.fresh.fileHeading" : isFileLink && name === "revealed" ? "open.revealed.fileHeading" : entry.key));
  showView(views, entry.view, moveFocus ? byId(entry.heading, HTMLElement) : undefined);
}

function showProblem(heading: MessageKey, body: string, retry: boolean, moveFocus: boolean): void {
  problemHeading.textContent = t(heading);
  problemBody.textContent = body;
  problemRetry.hidden = !retry;
  setTitle(t(heading));
  showView(views, problemView, moveFocus ? problemHeading : undefined);
}

async function runCheck(moveFocus: boolean): Promise<void> {
  const url = usableUrl();
  if (url === null) {
    // Not an /l/{id} path at all: say the same as for any dead link.
    show("unavailable", moveFocus);
    return;
  }
  passkey = null;
  passphrase = false;
  try {
    let file = false;
    const result = await checkLink(url, (needs) => {
      passkey = needs.passkey;
      passphrase = needs.passphrase;
      file = needs.file;
    });
    passphraseChosen = false;
    drawRequirements();
    if (result === "fresh" || result === "passphrase") {
      setFileLink(file);
      // Fetched now rather than after the consume: the hashing code a file or passphrase link needs (a failed
      // fetch mid-download would cost the person the file).
      if (file || passphrase) void import("../../crypto/wasm-hashes.js").catch(() => undefined);
      show("fresh", moveFocus);
    } else if (result === "key-missing") show("incomplete", moveFocus);
    else if (result === "unavailable") show("unavailable", moveFocus);
    else showProblem("open.problem.unsupportedHeading", t("open.problem.unsupportedBody"), false, moveFocus);
  } catch (err) {
    showProblem("open.problem.checkHeading", errorText(err, { t, locale }), true, moveFocus);
  }
}

/** Words the interstitial for a file link: what it holds, and what happens at the Reveal. */
function setFileLink(file: boolean): void {
  isFileLink = file;
  freshHeading.textContent = t(file ? "open.fresh.fileHeading" : "open.fresh.heading");
  freshHint.textContent = t(!file ? "open.fresh.hint" : canPickSaveLocation() ? "open.fresh.filePickHint" : "open.fresh.fileBlobHint");
  revealedHeading.textContent = t(file ? "open.revealed.fileHeading" : "open.revealed.heading");
}

/**
 * THE list of what the link will ask before the click, and the passphrase field: a passkey (of which kind), a
 * passphrase, both, or either one (then the person picks, and only the chosen one is listed and asked for).
 */
function drawRequirements(): void {
  const fallback = passkey?.passphraseFallback === true;
  const asksPasskey = passkey !== null && !(fallback && passphraseChosen);
  const asksPassphrase = passphrase && (!fallback || passphraseChosen);
  const line = (item: HTMLElement, shown: boolean, text: string) => {
    item.hidden = !shown;
    item.textContent = shown ? text : "";
  };
  const passkeyLine =
    passkey === null ? "" : passkey.mode === "recipient" ? `${t("open.requires.passkey")} ${t("open.passkey.recipient")}` : t("open.passkey.required");
  line(requiresPasskey, asksPasskey, passkeyLine);
  line(requiresPassphrase, asksPassphrase, t("open.requires.passphrase"));
  line(requiresEither, fallback && !passphraseChosen, t("open.passkey.fallbackHint"));
  requirements.hidden = !asksPasskey && !asksPassphrase;
  factorSwitch.hidden = !fallback;
  usePassphrase.hidden = !fallback || passphraseChosen;
  usePasskey.hidden = !fallback || !passphraseChosen;
  passphraseField.hidden = !asksPassphrase;
}

/** Switches a fallback link between its passkey and its passphrase. */
function choosePassphrase(chosen: boolean): void {
  if (busy || revealed || passkey?.passphraseFallback !== true) return;
  passphraseChosen = chosen;
  drawRequirements();
  if (chosen) passphraseInput.focus();
  else {
    passphraseInput.value = "";
    clearFieldError(passphraseInput);
    usePassphrase.focus();
  }
}

const STAGE_TEXT: Record<OpenStage, MessageKey> = {
  checking: "open.progress.start",
  passkey: "open.progress.passkey",
  solving: "open.progress.pow",
  opening: "open.progress.opening",
  decrypting: "open.progress.opening",
};

async function onReveal(gesture: GestureReport): Promise<void> {
  const url = usableUrl();
  if (busy || revealed || url === null) return;
  const needsPassphrase = !passphraseField.hidden;
  if (needsPassphrase && passphraseInput.value === "") {
    askPassphrase(t("open.passphrase.empty"));
    return;
  }
  const ceremony = passkey !== null && !passphraseChosen;
  if (ceremony && !passkeysSupported()) {
    announceError(t("open.passkey.unsupported"));
    reveal.focus();
    return;
  }
  // A credential made only for this open ("passkey required"): dropped from the passkey manager once it has served.
  let throwaway: { rpId: string; id: string } | null = null;
  busy = true;
  // aria-disabled rather than disabled: a disabled button drops keyboard focus to <body> mid-flow.
  reveal.setAttribute("aria-disabled", "true");
  let target: SaveTarget | null = null;
  if (isFileLink && canPickSaveLocation()) {
    // First thing in the click (the picker needs the gesture), and before anything is spent: the file is decrypted
    // straight into the place chosen, so the consume never starts without somewhere to write. A passkey link's
    // refusals (no passkey support here) came above, before the dialog; its ceremony comes after it, inside
    // openLinkStream, because the picker needs the click's short-lived activation and the ceremony's round trips
    // and the person's time at the authenticator would outlast it. A ceremony cancelled or refused after the
    // pick spends nothing (the session is minted only after it, the consume after that): the picked file is
    // discarded below and the link stays fresh.
    const picked = await pickSaveLocation(t("open.file.suggestedName"));
    if (picked === "cancelled") {
      busy = false;
      reveal.removeAttribute("aria-disabled");
      announce(t("open.file.pickCancelled"));
      reveal.focus();
      return;
    }
    target = picked;
  }
  // From here on, reloading the page in another language could cost the person the secret.
  setLanguageSwitchVisible(false);
  let stage: OpenStage = "checking";
  try {
    // openLinkStream makes the device key pair (non-extractable ECDSA P-256) right here, inside the click.
    const content = await openLinkStream(url, {
      gesture,
      confirm: () => askSecondConfirmation(freshView, t),
      // Plain-JS SHA-256: the proof of work costs the person milliseconds instead of seconds (see pow-hash.ts).
      deriveKey: deriveKeyInPage,
      ...(needsPassphrase ? { passphrase: passphraseInput.value } : {}),
      ...(ceremony
        ? {
            passkey: async (request) => {
              const response = await runCeremony(request);
              const rpId = (request.options.rp as { id?: unknown } | undefined)?.id;
              const id = (response as { rawId?: unknown }).rawId;
              if (request.ceremony === "create" && typeof rpId === "string" && typeof id === "string") throwaway = { rpId, id };
              return response;
            },
          }
        : {}),
      onProgress: (next) => {
        stage = next;
        announce(t(STAGE_TEXT[next]));
      },
    });
    linkUrl = "";
    revealed = true;
    passphraseInput.value = "";
    const made = throwaway as { rpId: string; id: string } | null;
    if (made !== null) forgetThrowawayCredential(made.rpId, made.id);
    const pending = target;
    target = null;
    await showContent(content, pending);
  } catch (err) {
    if (target !== null) await discardTarget(target);
    handleRevealError(err, stage);
  } finally {
    busy = false;
    reveal.removeAttribute("aria-disabled");
    setLanguageSwitchVisible(!revealed);
  }
}

function handleRevealError(err: unknown, stage: OpenStage): void {
  announce("");
  clearFieldError(passphraseInput);
  if (err instanceof PassphraseIncorrectError && err.attemptsLeft === 0) {
    // This person's try was the last one and destroyed the link: the server says so (a later visit gets the neutral
    // page). Saying "opened already or expired" would make them fear someone else got the secret.
    linkUrl = "";
    passphraseInput.value = "";
    showProblem("open.problem.triesHeading", t("open.problem.triesBody"), false, true);
  } else if (err instanceof UnavailableError) {
    // Someone (or something) opened it between the check and the click, or it just expired.
    linkUrl = "";
    show("unavailable", true);
  } else if (err instanceof LinkKeyMissingError) {
    show("incomplete", true);
  } else if (err instanceof PassphraseIncorrectError) {
    // Counted, but the link is still unopened: clear the field and let the person try again.
    passphraseInput.value = "";
    askPassphrase(t("open.passphrase.wrong", { count: err.attemptsLeft }));
  } else if (err instanceof PassphraseRequiredError) {
    passphraseField.hidden = false;
    askPassphrase(t("open.passphrase.empty"));
  } else if (err instanceof PasskeyIncorrectError) {
    announceError(t("open.passkey.incorrect"));
    reveal.focus();
  } else if (err instanceof PasskeyCeremonyError || err instanceof PasskeyRequiredError) {
    const failure = err instanceof PasskeyCeremonyError ? ceremonyFailure(err.cause) : "unsupported";
    announceError(t(failure === "unsupported" ? "open.passkey.unsupported" : "open.passkey.cancelled"));
    reveal.focus();
  } else if (err instanceof UnsupportedRequirementError) {
    // The link came to ask for something this page does not know between the check and the click: nothing was spent.
    showProblem("open.problem.unsupportedHeading", t("open.problem.unsupportedBody"), false, true);
  } else if (err instanceof ConfirmationDeclinedError) {
    announce(t("open.confirm.declined"));
    reveal.focus();
  } else if (err instanceof DecryptionError) {
    linkUrl = "";
    showProblem("open.problem.decryptHeading", t("open.problem.decryptBody"), false, true);
  } else if (err instanceof ContentNotReceivedError) {
    // The answer to the consume was lost or cut off: the server may have used the link up, so no retry is offered.
    linkUrl = "";
    showProblem("open.problem.lostHeading", t("open.problem.lostBody"), false, true);
  } else {
    // Only claim the link is intact when the failure provably came before the consume could have happened:
    // a lost answer to the consume itself may mean it did go through. A node shutting down refuses before any route.
    const intact =
      stage === "checking" ||
      stage === "solving" ||
      (err instanceof OncelinkApiError && ((err.status >= 400 && err.status < 500) || err.code === "SHUTTING_DOWN"));
    // A refused place (address or country rule) already says nothing was opened.
    const text = errorText(err, { t, locale }, { POLICY_DENIED: "open.error.placeDenied", COUNTRY_DENIED: "open.error.placeDenied" });
    const placeDenied = err instanceof OncelinkApiError && (err.code === "POLICY_DENIED" || err.code === "COUNTRY_DENIED");
    announceError(intact && !placeDenied ? `${text} ${t("open.error.notOpened")}` : text);
    reveal.focus();
  }
}

/** Shows why the passphrase is needed again, at its field, and puts the cursor there; the page stays usable. */
function askPassphrase(message: string): void {
  showFieldError(passphraseInput, message);
}

/** Shows what the link held: text in the text block, a file received into `target` (or a Blob) with its facts. */
async function showContent(content: OpenedStream, target: SaveTarget | null): Promise<void> {
  if (content.kind === "text") {
    if (target !== null) await discardTarget(target);
    // textContent, never innerHTML: the secret is shown exactly as typed, markup included.
    secretField.textContent = content.text;
    textBlock.hidden = false;
    fileBlock.hidden = true;
    setFileBlockVisible(false);
    // Focus moves to the "Here is your secret" heading, which is announced; progress text would only repeat it.
    announce("");
    show("revealed", true);
    return;
  }
  isFileLink = true;
  revealedHeading.textContent = t("open.revealed.fileHeading");
  let received: ReceivedFile;
  if (content.kind === "bytes") {
    received = await receiveBytes(content.bytes, content.name, target);
  } else {
    let lastAnnounced = 0;
    received = await receiveFile(content, target, (bytes) => {
      // Polite and at most about once a second: enough to show it is moving, not enough to drown a screen reader.
      const now = performance.now();
      if (now - lastAnnounced < 1_000) return;
      lastAnnounced = now;
      announce(t("open.progress.receiving", { size: formatBytes(bytes, locale) }));
    });
  }
  announce("");
  if (!received.ok) {
    // Not the sender's file: nothing of it is shown or offered, and whatever could be deleted was.
    const body = received.leftBehind === null ? t("open.problem.fileBody") : t("open.problem.fileLeft", { name: received.leftBehind });
    showProblem("open.problem.fileHeading", body, false, true);
    return;
  }
  const { summary } = received;
  fileName.textContent = summary.name ?? t("open.file.noName");
  fileSize.textContent = t("open.file.sizeValue", {
    bytes: new Intl.NumberFormat(locale).format(summary.size),
    size: formatBytes(summary.size, locale),
  });
  fileSha.textContent = groupHex(summary.sha256);
  fileCheck.textContent = t("open.file.checkPassed");
  fileSaved.hidden = received.savedAs === null;
  fileSaved.textContent = received.savedAs === null ? "" : t("open.file.savedAs", { name: received.savedAs });
  // Served as an opaque download whatever type the sender claimed, so nothing in it is rendered by this origin.
  fileBlob = received.blob;
  fileBlobName = summary.name ?? "";
  saveFile.hidden = fileBlob === null;
  textBlock.hidden = true;
  setFileBlockVisible(true);
  show("revealed", true);
}

function setFileBlockVisible(visible: boolean): void {
  fileBlock.hidden = !visible;
  fileReminder.hidden = !visible;
  textReminder.hidden = visible;
}

function onSaveFile(): void {
  if (fileBlob === null) return;
  // The browser sanitizes download names (no paths, no reserved names); an empty one becomes ours.
  downloadBlob(fileBlob, fileBlobName || t("open.file.suggestedName"));
}

async function onCopySha(): Promise<void> {
  const range = document.createRange();
  range.selectNodeContents(fileSha);
  // The SHA-256 is no secret: the ordinary clipboard, not cleared later.
  try {
    await navigator.clipboard.writeText(fileSha.textContent.replace(/ /g, ""));
    announce(t("common.copied"));
  } catch {
    getSelection()?.removeAllRanges();
    getSelection()?.addRange(range);
    announceError(t("common.copyFailed"));
  }
}

const clipboard = createClipboardClearer(settings.clipboardClearSeconds, () =>
  announce(t("open.revealed.clipboardCleared")),
);

async function onCopySecret(): Promise<void> {
  if (!(await copyField(secretField))) {
    announceError(t("common.copyFailed"));
    return;
  }
  secretCopied();
}

/** Says the secret is on the clipboard and (re)starts the countdown that clears it. */
function secretCopied(): void {
  const seconds = settings.clipboardClearSeconds;
  announce(seconds > 0 ? t("open.revealed.copied", { duration: formatDuration(seconds, locale) }) : t("common.copied"));
  clipboard.arm();
}

/** "Download as .txt": the text exactly as revealed, UTF-8, made in this browser. */
function onDownloadText(): void {
  if (!revealed || secretField.value === "") return;
  downloadBlob(new Blob([secretField.value], { type: "text/plain;charset=utf-8" }), t("open.revealed.fileName"));
}

/** Drops the revealed content from the page and its memory (the clipboard countdown keeps running). */
function dropContent(): void {
  secretField.textContent = "";
  secretField.value = "";
  fileName.textContent = "";
  fileSize.textContent = "";
  fileSha.textContent = "";
  fileCheck.textContent = "";
  fileSaved.textContent = "";
  fileBlob = null;
  fileBlobName = "";
}

/** "I have saved it, hide it": the final state, which says the link is disabled and shows nothing of it. */
function onHideSecret(): void {
  dropContent();
  announce("");
  show("done", true);
}

/** Forgets the content when the page is left, so the back/forward cache cannot show it again. */
function forgetContent(): void {
  if (!revealed) return;
  dropContent();
  announce("");
  show("unavailable", false);
}

stripFragment();
wireSkipLink();
// The key left the address bar but the page still needs it after a language switch: pass it along.
wireLanguageSwitch(() => (revealed || busy ? "" : linkUrl.replace(/^[^#]*/, "")));
// Only a trusted click (pointer, keyboard, assistive technology) reveals: a script's click() or dispatchEvent, as
// scanners that run pages do, is ignored. What the page knows about the click goes to the friction decision.
reveal.addEventListener("click", (event) => {
  if (!event.isTrusted) return;
  void onReveal({ webdriver: navigator.webdriver === true, gestureMs: Math.round(performance.now()) });
});
usePassphrase.addEventListener("click", () => choosePassphrase(true));
usePasskey.addEventListener("click", () => choosePassphrase(false));
problemRetry.addEventListener("click", () => {
  announce(t("open.checking"));
  void runCheck(true);
});
byId(IDS.copySecret, HTMLButtonElement).addEventListener("click", () => void onCopySecret());
// A copy made without the button (select, then Ctrl+C or the context menu; also the fallback when the button's copy
// is refused) puts the secret on the clipboard just the same: the hint beside the field promises it is cleared.
secretField.addEventListener("copy", () => {
  if (revealed && secretField.value !== "") secretCopied();
});
saveFile.addEventListener("click", onSaveFile);
byId(IDS.copyFileSha, HTMLButtonElement).addEventListener("click", () => void onCopySha());
byId(IDS.downloadText, HTMLButtonElement).addEventListener("click", onDownloadText);
byId(IDS.hideSecret, HTMLButtonElement).addEventListener("click", onHideSecret);
window.addEventListener("pagehide", forgetContent);
window.addEventListener("pagehide", () => {
  passphraseInput.value = "";
});
// The passphrase's form exists for password managers (see open-page.ts) and never submits: not on Enter, which the
// trusted key press below handles, and not on a script's requestSubmit(), as scanners that run pages do.
passphraseField.addEventListener("submit", (event) => event.preventDefault());
// Enter in the passphrase field is a deliberate, trusted gesture too; but not the Enter that confirms an input
// method's composition (Japanese, Chinese, Korean), which would spend a try on a half-typed passphrase.
passphraseInput.addEventListener("keydown", (event) => {
  if (event.key !== "Enter" || event.isComposing || event.keyCode === 229 || !event.isTrusted) return;
  event.preventDefault();
  void onReveal({ webdriver: navigator.webdriver === true, gestureMs: Math.round(performance.now()) });
});
// Pasting the complete link over an incomplete one changes only the fragment, which does not reload the page.
window.addEventListener("hashchange", () => {
  if (location.hash === "" || busy || revealed) return;
  linkUrl = location.href;
  stripFragment();
  void runCheck(true);
});
void runCheck(false);
