// The sender's page for one link: status, revoke (with a confirmation step) and a way to make a replacement.
import type { Catalog, MessageKey } from "../i18n/index.js";
import { MANAGE_IDS as IDS } from "../page-ids.js";
import { liveRegions, msg, noscript, unavailableSection } from "./html.js";

/** The manage page's `<main>` content. */
export function manageMain(c: Catalog): string {
  const m = (key: MessageKey): string => msg(c, key);
  const fact = (label: MessageKey, id: string, rowId?: string, hidden = true): string =>
    `<div${rowId ? ` id="${rowId}"${hidden ? " hidden" : ""}` : ""}><dt>${m(label)}</dt><dd id="${id}"></dd></div>`;
  return [
    noscript(c),
    `<section id="${IDS.checkingView}" class="view" aria-busy="true">`,
    `<h1>${m("manage.checking")}</h1>`,
    `</section>`,
    `<section id="${IDS.statusView}" class="view stack" aria-labelledby="${IDS.statusHeading}" hidden>`,
    `<h1 id="${IDS.statusHeading}" tabindex="-1">${m("manage.heading")}</h1>`,
    `<p>${m("manage.intro")}</p>`,
    `<dl class="facts">`,
    fact("manage.state.label", IDS.state),
    fact("manage.created", IDS.created),
    // Only while the link is fresh: an opened, revoked or expired link shows when it ended instead.
    fact("manage.expires", IDS.expires, IDS.expiresRow, false),
    fact("manage.consumed", IDS.consumed, IDS.consumedRow),
    fact("manage.revokedOn", IDS.revoked, IDS.revokedRow),
    fact("manage.expiredOn", IDS.expired, IDS.expiredRow),
    `</dl>`,
    // What a revoke did, right by the status it changed (not at the bottom of the page, past the replacement). Focus
    // moves here after the revoke: the box is named by its first sentence and described by the second, which says
    // when only the reload after the revoke failed.
    `<div id="${IDS.outcome}" class="notice outcome" role="group" tabindex="-1" aria-labelledby="${IDS.outcomeDone}" hidden>`,
    `<p id="${IDS.outcomeDone}">${m("manage.revoked")}</p>`,
    `<p id="${IDS.outcomeProblem}" class="problem" hidden></p>`,
    `</div>`,
    `<div class="actions">`,
    `<button type="button" id="${IDS.refresh}">${m("manage.refresh")}</button>`,
    `<button type="button" id="${IDS.revoke}" class="danger" aria-expanded="false" aria-controls="${IDS.confirm}" hidden>${m("manage.revoke")}</button>`,
    `</div>`,
    // Focus goes to the box itself, labelled by its question and described by what revoking does, so a screen
    // reader reads both (a focused heading alone would read only the question).
    `<section id="${IDS.confirm}" class="confirm" tabindex="-1" aria-labelledby="${IDS.confirmHeading}" aria-describedby="${IDS.confirmBody}" hidden>`,
    `<h2 id="${IDS.confirmHeading}">${m("manage.confirm.heading")}</h2>`,
    `<p id="${IDS.confirmBody}">${m("manage.confirm.body")}</p>`,
    `<div class="actions">`,
    `<button type="button" id="${IDS.confirmYes}" class="danger">${m("manage.confirm.yes")}</button>`,
    `<button type="button" id="${IDS.confirmNo}">${m("manage.confirm.no")}</button>`,
    `</div>`,
    `</section>`,
    // A plain link to the create page: the sender types the secret again; nothing is ever reissued for them.
    `<section class="replace" aria-labelledby="replace-heading">`,
    `<h2 id="replace-heading">${m("manage.replace.heading")}</h2>`,
    `<p>${m("manage.replace.body")}</p>`,
    `<p><a id="${IDS.replace}" class="button" href="/">${m("manage.replace.action")}</a></p>`,
    `</section>`,
    `</section>`,
    // The status could not be loaded (the server was not reached): the reason, and a way to try again.
    `<section id="${IDS.problemView}" class="view" aria-labelledby="${IDS.problemHeading}" hidden>`,
    `<h1 id="${IDS.problemHeading}" tabindex="-1">${m("manage.problem.heading")}</h1>`,
    `<p id="${IDS.problemBody}"></p>`,
    `<div class="actions"><button type="button" id="${IDS.problemRetry}">${m("manage.refresh")}</button></div>`,
    `</section>`,
    unavailableSection(c, true),
    liveRegions(),
  ].join("\n");
}
