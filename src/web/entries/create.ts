// The sender's page: encrypt in this browser, register the ciphertext, show the two links.
// The plaintext lives only in the textarea and in memory while encrypting; it is never written to storage,
// the URL or the title, and the textarea is emptied as soon as the link exists.
import { createLink } from "../../client/index.js";
import { formatDateTime } from "../i18n/format.js";
import { copyField } from "../lib/clipboard.js";
import { announce, announceError, byId, showView, wireSkipLink } from "../lib/dom.js";
import { errorText } from "../lib/error-text.js";
import { loadPageMessages } from "../lib/messages.js";
import { CREATE_IDS as IDS } from "../page-ids.js";
import { DEFAULT_TTL, TTL_CHOICES } from "../ttl-choices.js";

const { locale, t } = loadPageMessages();

const formView = byId(IDS.formView, HTMLElement);
const form = byId(IDS.form, HTMLFormElement);
const secret = byId(IDS.secret, HTMLTextAreaElement);
const ttl = byId(IDS.ttl, HTMLSelectElement);
const submit = byId(IDS.submit, HTMLButtonElement);
const resultView = byId(IDS.resultView, HTMLElement);
const resultHeading = byId(IDS.resultHeading, HTMLElement);
const link = byId(IDS.link, HTMLInputElement);
const expires = byId(IDS.expires, HTMLElement);
const note = byId(IDS.note, HTMLTextAreaElement);
const manage = byId(IDS.manage, HTMLInputElement);
const views = [formView, resultView];

let busy = false;

function selectedTtl(): number {
  const value = Number(ttl.value);
  return TTL_CHOICES.includes(value) ? value : DEFAULT_TTL;
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
  busy = true;
  submit.disabled = true;
  announce(t("create.working"));
  try {
    const created = await createLink({ server: location.origin, text, ttl: selectedTtl() });
    secret.value = "";
    link.value = created.url;
    manage.value = created.manageUrl;
    expires.textContent = t("create.result.expires", { time: formatDateTime(created.expiresAt, locale) });
    announce("");
    showView(views, resultView, resultHeading);
  } catch (err) {
    // Keep the text on failure so the sender can retry without pasting the secret again.
    announceError(
      errorText(err, t, {
        CONTENT_EMPTY: "create.error.empty",
        PAYLOAD_TOO_LARGE: "create.error.tooLarge",
        TTL_INVALID: "create.error.ttl",
      }),
    );
  } finally {
    busy = false;
    submit.disabled = false;
  }
}

/** Forgets the links shown (they are secrets too) and returns to the empty form. */
function resetToForm(focus: boolean): void {
  link.value = "";
  manage.value = "";
  expires.textContent = "";
  announce("");
  showView(views, formView, focus ? secret : undefined);
}

async function onCopy(field: HTMLInputElement | HTMLTextAreaElement): Promise<void> {
  if (await copyField(field)) announce(t("common.copied"));
  else announceError(t("common.copyFailed"));
}

wireSkipLink();
form.addEventListener("submit", (event) => void onSubmit(event));
byId(IDS.again, HTMLButtonElement).addEventListener("click", () => resetToForm(true));
byId(IDS.copyLink, HTMLButtonElement).addEventListener("click", () => void onCopy(link));
byId(IDS.copyNote, HTMLButtonElement).addEventListener("click", () => void onCopy(note));
byId(IDS.copyManage, HTMLButtonElement).addEventListener("click", () => void onCopy(manage));
// Leaving the page drops the secret and the links, so the back/forward cache cannot bring them back.
window.addEventListener("pagehide", () => {
  secret.value = "";
  resetToForm(false);
});
submit.disabled = false;
