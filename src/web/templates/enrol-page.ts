// The enrolment page: a recipient sets up a passkey under the handle an enrolment link names. One document for every
// token (the script reads it from the path), so serving it looks nothing up.
import type { Catalog } from "../i18n/index.js";
import { ENROL_IDS as IDS } from "../page-ids.js";
import { liveRegions, msg, noscript } from "./html.js";

/** The enrol page's `<main>` content. */
export function enrolMain(c: Catalog): string {
  const m = (key: Parameters<typeof msg>[1]): string => msg(c, key);
  return [
    noscript(c),
    `<section id="${IDS.checkingView}" class="view" aria-busy="true">`,
    `<h1>${m("enrol.checking")}</h1>`,
    `</section>`,
    // The heading names the handle; the script fills it from the catalog once the server said which handle it is.
    `<section id="${IDS.readyView}" class="view" aria-labelledby="${IDS.readyHeading}" hidden>`,
    `<h1 id="${IDS.readyHeading}" tabindex="-1"></h1>`,
    `<p>${m("enrol.body")}</p>`,
    `<p id="${IDS.expires}" class="hint"></p>`,
    `<div class="actions"><button type="button" id="${IDS.create}" class="primary">${m("enrol.create")}</button></div>`,
    `</section>`,
    `<section id="${IDS.doneView}" class="view" aria-labelledby="${IDS.doneHeading}" hidden>`,
    `<h1 id="${IDS.doneHeading}" tabindex="-1">${m("enrol.done.heading")}</h1>`,
    `<p id="${IDS.doneBody}"></p>`,
    `</section>`,
    `<section id="${IDS.deadView}" class="view" aria-labelledby="${IDS.deadHeading}" hidden>`,
    `<h1 id="${IDS.deadHeading}" tabindex="-1">${m("enrol.unavailable.heading")}</h1>`,
    `<p>${m("enrol.unavailable.body")}</p>`,
    `</section>`,
    `<section id="${IDS.problemView}" class="view" aria-labelledby="${IDS.problemHeading}" hidden>`,
    // Only a failed check lands here (the server could not be reached): the open page's words fit it.
    `<h1 id="${IDS.problemHeading}" tabindex="-1">${m("open.problem.checkHeading")}</h1>`,
    `<p id="${IDS.problemBody}"></p>`,
    `<div class="actions"><button type="button" id="${IDS.problemRetry}">${m("open.problem.retry")}</button></div>`,
    `</section>`,
    liveRegions(),
  ].join("\n");
}
