// The recipient's page: interstitial, then reveal. Loading it spends nothing: on load it only asks the server
// whether the link is still fresh. Proof of work, session and consume start on the person's click, never earlier,
// because mail scanners and chat unfurlers load pages (and run scripts) but do not click.
import {
  DecryptionError,
  LinkKeyMissingError,
  OncelinkApiError,
  openLink,
  parseLinkUrl,
  UnavailableError,
  type OpenedContent,
  type OpenStage,
} from "../../client/index.js";
import type { MessageKey } from "../i18n/en.js";
import { formatBytes } from "../i18n/format.js";
import { copyField } from "../lib/clipboard.js";
import { announce, announceError, byId, setTitle, showView, wireSkipLink } from "../lib/dom.js";
import { errorText } from "../lib/error-text.js";
import { checkLink } from "../lib/link-check.js";
import { loadPageMessages } from "../lib/messages.js";
import { COMMON_IDS, OPEN_IDS as IDS } from "../page-ids.js";

const { locale, t } = loadPageMessages();

const checkingView = byId(IDS.checkingView, HTMLElement);
const freshView = byId(IDS.freshView, HTMLElement);
const incompleteView = byId(IDS.incompleteView, HTMLElement);
const revealedView = byId(IDS.revealedView, HTMLElement);
const problemView = byId(IDS.problemView, HTMLElement);
const unavailableView = byId(COMMON_IDS.unavailableView, HTMLElement);
const views = [checkingView, freshView, incompleteView, revealedView, problemView, unavailableView];

const reveal = byId(IDS.reveal, HTMLButtonElement);
const secretField = byId(IDS.secret, HTMLTextAreaElement);
const textBlock = byId(IDS.textBlock, HTMLElement);
const fileBlock = byId(IDS.fileBlock, HTMLElement);
const fileSummary = byId(IDS.fileSummary, HTMLElement);
const saveFile = byId(IDS.saveFile, HTMLButtonElement);
const problemHeading = byId(IDS.problemHeading, HTMLElement);
const problemBody = byId(IDS.problemBody, HTMLElement);
const problemRetry = byId(IDS.problemRetry, HTMLButtonElement);

/**
 * The link as it was opened, fragment included. Read once, then the fragment is removed from the address bar so
 * the key does not stay on screen (screen sharing, shoulder surfing) or in later history entries. Emptied after use.
 */
let linkUrl = location.href;
let busy = false;
let revealed = false;
let fileUrl: string | null = null;
let fileName = "";

function stripFragment(): void {
  if (location.hash !== "") history.replaceState(history.state, "", location.pathname + location.search);
}

/** The URL to check and open: with the key when the fragment holds a well-formed one, else without fragment. */
function usableUrl(): string | null {
  const bare = linkUrl.replace(/#.*$/, "");
  if (parseLinkUrl(bare) === null) return null;
  return parseLinkUrl(linkUrl) !== null ? linkUrl : bare;
}

type ViewName = "fresh" | "incomplete" | "unavailable" | "revealed" | "problem";

const VIEW_HEADINGS: Record<Exclude<ViewName, "problem">, { view: HTMLElement; heading: string; key: MessageKey }> = {
  fresh: { view: freshView, heading: IDS.freshHeading, key: "open.fresh.heading" },
  incomplete: { view: incompleteView, heading: IDS.incompleteHeading, key: "open.incomplete.heading" },
  unavailable: { view: unavailableView, heading: COMMON_IDS.unavailableHeading, key: "unavailable.heading" },
  revealed: { view: revealedView, heading: IDS.revealedHeading, key: "open.revealed.heading" },
};

/** Switches view; `moveFocus` after a click so the new state is read out, not on load. */
function show(name: Exclude<ViewName, "problem">, moveFocus: boolean): void {
  const entry = VIEW_HEADINGS[name];
  setTitle(t(entry.key));
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
  try {
    const result = await checkLink(url);
    if (result === "fresh") show("fresh", moveFocus);
    else if (result === "key-missing") show("incomplete", moveFocus);
    else if (result === "unavailable") show("unavailable", moveFocus);
    else showProblem("open.problem.unsupportedHeading", t("open.problem.unsupportedBody"), false, moveFocus);
  } catch (err) {
    showProblem("open.problem.checkHeading", errorText(err, t), true, moveFocus);
  }
}

const STAGE_TEXT: Record<OpenStage, MessageKey> = {
  checking: "open.progress.start",
  solving: "open.progress.pow",
  opening: "open.progress.opening",
  decrypting: "open.progress.opening",
};

async function onReveal(): Promise<void> {
  const url = usableUrl();
  if (busy || revealed || url === null) return;
  busy = true;
  // aria-disabled rather than disabled: a disabled button drops keyboard focus to <body> mid-flow.
  reveal.setAttribute("aria-disabled", "true");
  let stage: OpenStage = "checking";
  try {
    const content = await openLink(url, {
      onProgress: (next) => {
        stage = next;
        announce(t(STAGE_TEXT[next]));
      },
    });
    linkUrl = "";
    revealed = true;
    showContent(content);
    // Focus moves to the "Here is your secret" heading, which is announced; progress text would only repeat it.
    announce("");
    show("revealed", true);
  } catch (err) {
    handleRevealError(err, stage);
  } finally {
    busy = false;
    reveal.removeAttribute("aria-disabled");
  }
}

function handleRevealError(err: unknown, stage: OpenStage): void {
  announce("");
  if (err instanceof UnavailableError) {
    // Someone (or something) opened it between the check and the click, or it just expired.
    linkUrl = "";
    show("unavailable", true);
  } else if (err instanceof LinkKeyMissingError) {
    show("incomplete", true);
  } else if (err instanceof DecryptionError) {
    linkUrl = "";
    showProblem("open.problem.decryptHeading", t("open.problem.decryptBody"), false, true);
  } else {
    // Only claim the link is intact when the failure provably came before the consume could have happened:
    // a lost answer to the consume itself may mean it did go through.
    const intact =
      stage === "checking" ||
      stage === "solving" ||
      (err instanceof OncelinkApiError && err.status >= 400 && err.status < 500);
    announceError(intact ? `${errorText(err, t)} ${t("open.error.notOpened")}` : errorText(err, t));
    reveal.focus();
  }
}

function showContent(content: OpenedContent): void {
  if (content.kind === "text") {
    // textContent, never innerHTML: the secret is shown exactly as typed, markup included.
    secretField.textContent = content.text;
    textBlock.hidden = false;
    fileBlock.hidden = true;
    return;
  }
  // Served as an opaque download whatever type the sender claimed, so nothing in it is rendered by this origin.
  fileUrl = URL.createObjectURL(new Blob([new Uint8Array(content.bytes)], { type: "application/octet-stream" }));
  fileName = content.name ?? "";
  const size = formatBytes(content.bytes.length, locale);
  fileSummary.textContent = content.name
    ? t("open.revealed.file", { name: content.name, size })
    : t("open.revealed.fileUnnamed", { size });
  fileBlock.hidden = false;
  textBlock.hidden = true;
}

function onSaveFile(): void {
  if (fileUrl === null) return;
  const a = document.createElement("a");
  a.href = fileUrl;
  // The browser sanitizes download names (no paths, no reserved names); an empty one becomes its default.
  a.download = fileName;
  a.click();
}

async function onCopySecret(): Promise<void> {
  if (await copyField(secretField)) announce(t("common.copied"));
  else announceError(t("common.copyFailed"));
}

/** Forgets the content when the page is left, so the back/forward cache cannot show it again. */
function forgetContent(): void {
  if (!revealed) return;
  secretField.textContent = "";
  secretField.value = "";
  fileSummary.textContent = "";
  if (fileUrl !== null) URL.revokeObjectURL(fileUrl);
  fileUrl = null;
  announce("");
  show("unavailable", false);
}

stripFragment();
wireSkipLink();
reveal.addEventListener("click", () => void onReveal());
problemRetry.addEventListener("click", () => {
  announce(t("open.checking"));
  void runCheck(true);
});
byId(IDS.copySecret, HTMLButtonElement).addEventListener("click", () => void onCopySecret());
saveFile.addEventListener("click", onSaveFile);
window.addEventListener("pagehide", forgetContent);
// Pasting the complete link over an incomplete one changes only the fragment, which does not reload the page.
window.addEventListener("hashchange", () => {
  if (location.hash === "" || busy || revealed) return;
  linkUrl = location.href;
  stripFragment();
  void runCheck(true);
});
void runCheck(false);
