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
    `<div class="actions">`,
    `<button type="button" id="${IDS.refresh}">${m("manage.refresh")}</button>`,
    `<button type="button" id="${IDS.revoke}" class="danger" aria-expanded="false" aria-controls="${IDS.confirm}" hidden>${m("manage.revoke")}</button>`,
    `</div>`,
    `<section id="${IDS.confirm}" class="confirm" aria-labelledby="${IDS.confirmHeading}" hidden>`,
    `<h2 id="${IDS.confirmHeading}" tabindex="-1">${m("manage.confirm.heading")}</h2>`,
    `<p>${m("manage.confirm.body")}</p>`,
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
