// The enrolment page: ask the server which handle this one-time link is for (non-consuming), then, on a click,
// create a passkey (user verification required) and send it. Nothing is spent before the person's click, and a
// failed or cancelled ceremony spends nothing either.
import { formatDateTime } from "../i18n/format.js";
import { announce, announceError, byId, setTitle, showView, wireSkipLink } from "../lib/dom.js";
import { errorText } from "../lib/error-text.js";
import { setLanguageSwitchVisible, wireLanguageSwitch } from "../lib/language.js";
import { loadPageMessages } from "../lib/messages.js";
import { ceremonyFailure, passkeysSupported, runCeremony } from "../lib/passkey.js";
import { completeEnrolment, fetchEnrolment, UnavailableError, type Enrolment } from "../../client/index.js";
import { ENROL_IDS as IDS } from "../page-ids.js";

const { locale, t } = loadPageMessages();

const checkingView = byId(IDS.checkingView, HTMLElement);
const readyView = byId(IDS.readyView, HTMLElement);
const readyHeading = byId(IDS.readyHeading, HTMLElement);
const doneView = byId(IDS.doneView, HTMLElement);
const doneHeading = byId(IDS.doneHeading, HTMLElement);
const deadView = byId(IDS.deadView, HTMLElement);
const deadHeading = byId(IDS.deadHeading, HTMLElement);
const problemView = byId(IDS.problemView, HTMLElement);
const problemHeading = byId(IDS.problemHeading, HTMLElement);
const create = byId(IDS.create, HTMLButtonElement);
const views = [checkingView, readyView, doneView, deadView, problemView];

/** The token in /enrol/{token}; the page never sends it anywhere but its own API. */
const token = /^\/enrol\/([A-Za-z0-9_-]{22})$/.exec(location.pathname)?.[1] ?? null;
let enrolment: Enrolment | null = null;
let busy = false;
/** The passkey was saved: the link is spent, so reloading the page (another language) would only say it is invalid. */
let done = false;

function showDead(moveFocus: boolean): void {
  setTitle(t("enrol.unavailable.heading"));
  showView(views, deadView, moveFocus ? deadHeading : undefined);
}

async function runCheck(moveFocus: boolean): Promise<void> {
  if (token === null) return showDead(moveFocus);
  try {
    enrolment = await fetchEnrolment({ server: location.origin, token });
  } catch (err) {
    if (err instanceof UnavailableError) return showDead(moveFocus);
    byId(IDS.problemBody, HTMLElement).textContent = errorText(err, { t, locale });
    setTitle(problemHeading.textContent ?? "");
    showView(views, problemView, moveFocus ? problemHeading : undefined);
    return;
  }
  readyHeading.textContent = t("enrol.heading", { handle: enrolment.handle });
  byId(IDS.expires, HTMLElement).textContent = t("enrol.expires", { time: formatDateTime(enrolment.expiresAt, locale) });
  setTitle(t("enrol.title"));
  showView(views, readyView, moveFocus ? readyHeading : undefined);
}

async function onCreate(): Promise<void> {
  if (busy || token === null || enrolment === null) return;
  if (!passkeysSupported()) {
    announceError(t("enrol.error.unsupported"));
    return;
  }
  busy = true;
  create.setAttribute("aria-disabled", "true");
  setLanguageSwitchVisible(false);
  announce(t("enrol.working"));
  try {
    let response: unknown;
    try {
      response = await runCeremony({ ceremony: "create", options: enrolment.options });
    } catch (err) {
      announceError(t(ceremonyFailure(err) === "unsupported" ? "enrol.error.unsupported" : "enrol.error.cancelled"));
      create.focus();
      return;
    }
    const handle = await completeEnrolment({ server: location.origin, token, response });
    done = true;
    byId(IDS.doneBody, HTMLElement).textContent = t("enrol.done.body", { handle });
    announce("");
    setTitle(t("enrol.done.heading"));
    showView(views, doneView, doneHeading);
  } catch (err) {
    if (err instanceof UnavailableError) {
      announce("");
      showDead(true);
    } else {
      announceError(errorText(err, { t, locale }, { ENROLMENT_INVALID: "enrol.error.invalid" }));
      create.focus();
    }
  } finally {
    busy = false;
    create.removeAttribute("aria-disabled");
    setLanguageSwitchVisible(!done);
  }
}

wireSkipLink();
wireLanguageSwitch(() => "");
create.addEventListener("click", (event) => {
  if (!event.isTrusted) return;
  void onCreate();
});
byId(IDS.problemRetry, HTMLButtonElement).addEventListener("click", () => {
  announce(t("enrol.checking"));
  void runCheck(true);
});
void runCheck(false);
