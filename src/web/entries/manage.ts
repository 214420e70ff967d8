// The sender's page for one link: status and revoke. The manage token stays in the fragment (the sender may
// bookmark this page); the client library sends it as a Bearer header, so it never reaches a server log as a URL.
import { getStatus, InvalidLinkError, revokeLink, UnavailableError, type LinkStatus } from "../../client/index.js";
import type { MessageKey } from "../i18n/en.js";
import { formatDateTime, formatRelativeTime } from "../i18n/format.js";
import { announce, announceError, announceErrorShownElsewhere, byId, setTitle, showView, wireSkipLink } from "../lib/dom.js";
import { errorText } from "../lib/error-text.js";
import { wireLanguageSwitch } from "../lib/language.js";
import { loadPageMessages } from "../lib/messages.js";
import { showVisits } from "../lib/visit-summary.js";
import { COMMON_IDS, MANAGE_IDS as IDS } from "../page-ids.js";

const { locale, t } = loadPageMessages();

const checkingView = byId(IDS.checkingView, HTMLElement);
const statusView = byId(IDS.statusView, HTMLElement);
const statusHeading = byId(IDS.statusHeading, HTMLElement);
const unavailableView = byId(COMMON_IDS.unavailableView, HTMLElement);
const unavailableHeading = byId(COMMON_IDS.unavailableHeading, HTMLElement);
const problemView = byId(IDS.problemView, HTMLElement);
const problemHeading = byId(IDS.problemHeading, HTMLElement);
const problemBody = byId(IDS.problemBody, HTMLElement);
const views = [checkingView, statusView, problemView, unavailableView];

const stateField = byId(IDS.state, HTMLElement);
const createdField = byId(IDS.created, HTMLElement);
const expiresField = byId(IDS.expires, HTMLElement);
const expiresRow = byId(IDS.expiresRow, HTMLElement);
// One "when it ended" row per way of ending, each with its own label; at most one shows.
const endedRows: Record<Exclude<LinkStatus["state"], "fresh">, { row: HTMLElement; field: HTMLElement }> = {
  consumed: { row: byId(IDS.consumedRow, HTMLElement), field: byId(IDS.consumed, HTMLElement) },
  revoked: { row: byId(IDS.revokedRow, HTMLElement), field: byId(IDS.revoked, HTMLElement) },
  expired: { row: byId(IDS.expiredRow, HTMLElement), field: byId(IDS.expired, HTMLElement) },
};
const refresh = byId(IDS.refresh, HTMLButtonElement);
const revoke = byId(IDS.revoke, HTMLButtonElement);
const confirm = byId(IDS.confirm, HTMLElement);
const confirmYes = byId(IDS.confirmYes, HTMLButtonElement);
const confirmNo = byId(IDS.confirmNo, HTMLButtonElement);
const replace = byId(IDS.replace, HTMLAnchorElement);
const outcome = byId(IDS.outcome, HTMLElement);
const outcomeProblem = byId(IDS.outcomeProblem, HTMLElement);

const STATE_TEXT: Record<LinkStatus["state"], MessageKey> = {
  fresh: "manage.state.fresh",
  consumed: "manage.state.consumed",
  expired: "manage.state.expired",
  revoked: "manage.state.revoked",
};

let busy = false;
/** The status on screen, as last loaded (or as a revoke that the server confirmed changed it). */
let shown: LinkStatus | null = null;

function showUnavailable(moveFocus: boolean): void {
  setTitle(t("unavailable.heading"));
  showView(views, unavailableView, moveFocus ? unavailableHeading : undefined);
}

function render(status: LinkStatus): void {
  shown = status;
  stateField.textContent = t(STATE_TEXT[status.state]);
  createdField.textContent = formatDateTime(status.createdAt, locale);
  const expiresAt = formatDateTime(status.expiresAt, locale);
  // A link that ended (opened, revoked, expired) will not expire any more: its row says when it ended instead.
  expiresRow.hidden = status.state !== "fresh";
  expiresField.textContent =
    status.state === "fresh" ? t("manage.expiresIn", { time: expiresAt, relative: formatRelativeTime(status.expiresAt, Date.now(), locale) }) : "";
  for (const [state, { row, field }] of Object.entries(endedRows)) {
    const shown = status.state === state && status.endedAt !== null;
    field.textContent = shown ? formatDateTime(status.endedAt ?? "", locale) : "";
    row.hidden = !shown;
  }
  revoke.hidden = status.state !== "fresh";
  // "Looked at by a chat preview twice; still unopened": previews and scanners seen, none of which opened it.
  showVisits(statusView, status, t);
  replace.href = replacementHref(status);
  if (revoke.hidden) closeConfirm(false);
  setTitle(t("manage.title"));
}

/**
 * The create page, preset to this link's template, lifetime, countries and networks; the sender types the secret
 * (and any passphrase) again. Nothing is reissued, and nothing secret is in the address.
 */
function replacementHref(status: LinkStatus): string {
  const lifetime = Math.round((Date.parse(status.expiresAt) - Date.parse(status.createdAt)) / 1000);
  const params = new URLSearchParams({ replace: "1" });
  if (Number.isInteger(lifetime) && lifetime > 0) params.set("ttl", String(lifetime));
  const { template, allowCountry, allowIp, passkeyMode, passphraseFallback } = status.policy;
  if (template !== null) params.set("template", template);
  // The passkey rule's kind, never the handle: the sender types it again, like the passphrase.
  if (passkeyMode !== null) params.set("passkey", passkeyMode);
  if (passphraseFallback) params.set("fallback", "1");
  if (allowCountry.length > 0) params.set("countries", allowCountry.join(","));
  if (allowIp.length > 0) params.set("networks", allowIp.join(","));
  return `/?${params.toString()}`;
}

/**
 * Loads the status; `moveFocus` when the person asked for it, so the result is read out. Returns whether the status
 * shown is the one just loaded. A failure keeps a status already on screen (and says the check failed), or, when
 * there is none yet, shows the reason with a way to try again.
 */
async function load(moveFocus: boolean): Promise<boolean> {
  try {
    render(await getStatus(location.href));
    // A fresh status replaces what the last revoke said (and any reload problem it had).
    hideOutcome();
    showView(views, statusView, moveFocus ? statusHeading : undefined);
    return true;
  } catch (err) {
    // A wrong, missing or malformed token and an unknown id all get the same answer, by design.
    if (err instanceof UnavailableError || err instanceof InvalidLinkError) showUnavailable(moveFocus);
    else if (!statusView.hidden) announceError(errorText(err, { t, locale }));
    else {
      announce("");
      problemBody.textContent = errorText(err, { t, locale });
      setTitle(t("manage.problem.heading"));
      showView(views, problemView, moveFocus ? problemHeading : undefined);
    }
    return false;
  }
}

function openConfirm(): void {
  confirm.hidden = false;
  revoke.setAttribute("aria-expanded", "true");
  confirm.focus();
}

function closeConfirm(returnFocus: boolean): void {
  confirm.hidden = true;
  revoke.setAttribute("aria-expanded", "false");
  if (returnFocus) revoke.focus();
}

function hideOutcome(): void {
  outcome.hidden = true;
  showOutcomeProblem(null);
}

/** The second line of the outcome: what went wrong after the revoke (null: nothing). */
function showOutcomeProblem(text: string | null): void {
  outcomeProblem.textContent = text ?? "";
  outcomeProblem.hidden = text === null;
  // Only a shown problem describes the box: a hidden one would still be read through aria-describedby.
  if (text === null) outcome.removeAttribute("aria-describedby");
  else outcome.setAttribute("aria-describedby", outcomeProblem.id);
}

/**
 * The DELETE answered 204, so the link is revoked whatever happens next: the page says so at once, by the status,
 * with focus on that message, and shows the link as revoked (since now, by this device's clock). Then it reloads the
 * status for the server's own times; if that fails, the message says that only this reload failed.
 */
async function showRevoked(): Promise<void> {
  closeConfirm(false);
  if (shown !== null) render({ ...shown, state: "revoked", endedAt: new Date().toISOString() });
  announce("");
  showOutcomeProblem(null);
  outcome.hidden = false;
  outcome.focus();
  try {
    render(await getStatus(location.href));
  } catch (err) {
    const problem = t("manage.revokedReloadFailed", { reason: errorText(err, { t, locale }) });
    showOutcomeProblem(problem);
    // Focus is already on the message; the reload's failure came later, so it is announced too (once).
    announceErrorShownElsewhere(problem);
  }
}

async function onConfirmRevoke(): Promise<void> {
  if (busy) return;
  busy = true;
  confirmYes.setAttribute("aria-disabled", "true");
  try {
    try {
      await revokeLink(location.href);
    } catch (err) {
      if (err instanceof UnavailableError) showUnavailable(true);
      else announceError(errorText(err, { t, locale }));
      return;
    }
    await showRevoked();
  } finally {
    busy = false;
    confirmYes.removeAttribute("aria-disabled");
  }
}

async function onRefresh(): Promise<void> {
  if (busy) return;
  busy = true;
  announce(t("manage.checking"));
  try {
    // Only a status that was just loaded is read out: after a failed check it would pass old news for new.
    if (await load(false)) announce(stateField.textContent ?? "");
  } finally {
    busy = false;
  }
}

/** "Check again" after the first load failed: the status view, with focus on its heading, once it loads. */
async function onRetry(): Promise<void> {
  if (busy) return;
  busy = true;
  announce(t("manage.checking"));
  try {
    await load(true);
  } finally {
    busy = false;
  }
}

wireSkipLink();
wireLanguageSwitch(() => location.hash);
refresh.addEventListener("click", () => void onRefresh());
byId(IDS.problemRetry, HTMLButtonElement).addEventListener("click", () => void onRetry());
revoke.addEventListener("click", openConfirm);
confirmNo.addEventListener("click", () => closeConfirm(true));
confirmYes.addEventListener("click", () => void onConfirmRevoke());
confirm.addEventListener("keydown", (event) => {
  if (event.key === "Escape") closeConfirm(true);
});
// A different manage link pasted over this one changes only the fragment, which does not reload the page.
window.addEventListener("hashchange", () => {
  closeConfirm(false);
  void load(true);
});
void load(false);
