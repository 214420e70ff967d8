// The recipient's page: one document for every link (nothing about the id is in it), with a view per state.
import { formatDuration, type Catalog } from "../i18n/index.js";
import { OPEN_IDS as IDS } from "../page-ids.js";
import type { PageSettings } from "../page-settings.js";
import { liveRegions, msg, noscript, unavailableSection } from "./html.js";

/** The open page's `<main>` content. */
export function openMain(c: Catalog, locale: string, settings: PageSettings): string {
  const m = (key: Parameters<typeof msg>[1], params?: Parameters<typeof msg>[2]): string => msg(c, key, params);
  const clearAfter = settings.clipboardClearSeconds;
  return [
    noscript(c),
    // Visible until the non-consuming check answers; it is the only view a client without JavaScript sees.
    `<section id="${IDS.checkingView}" class="view" aria-busy="true">`,
    `<h1>${m("open.checking")}</h1>`,
    `</section>`,
    // No timer runs here: the person may take as long as they need (screen readers, switch access) before Reveal.
    `<section id="${IDS.freshView}" class="view" aria-labelledby="${IDS.freshHeading}" hidden>`,
    `<h1 id="${IDS.freshHeading}" tabindex="-1">${m("open.fresh.heading")}</h1>`,
    `<p id="${IDS.freshBody}">${m("open.fresh.body")}</p>`,
    `<p id="${IDS.freshHint}" class="hint">${m("open.fresh.hint")}</p>`,
    // What the link's policy will ask for (passkey, passphrase, or either one), filled in by the script from the
    // non-consuming check; never where it may be opened. One list, drawn by one function (entries/open.ts).
    `<ul id="${IDS.requirements}" class="notice requirements" aria-label="${m("open.requires.label")}" hidden>`,
    `<li id="${IDS.requiresPasskey}" hidden></li>`,
    `<li id="${IDS.requiresPassphrase}" hidden></li>`,
    `<li id="${IDS.requiresEither}" hidden></li>`,
    `</ul>`,
    // A link that lets its passphrase replace the passkey: the person picks one before the Reveal.
    `<div id="${IDS.factorSwitch}" class="actions" hidden>` +
      `<button type="button" id="${IDS.usePassphrase}" aria-controls="${IDS.passphraseField}" hidden>${m("open.passkey.usePassphrase")}</button>` +
      `<button type="button" id="${IDS.usePasskey}" aria-controls="${IDS.passphraseField}" hidden>${m("open.passkey.usePasskey")}</button>` +
      `</div>`,
    // Shown by the script when the link asks for a passphrase: typed before the Reveal, sent only as an Argon2id proof.
    // A password field outside a form makes Chrome guess at it (and log that it is not in a form), and
    // autocomplete="off" is ignored for passwords. "one-time-code" is what Chromium's password manager honours here:
    // its form parser treats such a field as not a password at all, so it neither fills a saved password into it nor
    // offers to save what was typed (1Password and Safari read it as a one-time code too). "new-password" would
    // offer to generate one and to save it, and "current-password" to fill and save the site's password: both wrong
    // for a passphrase that opens one link once. The input has no name, so even a script's form.submit() could not
    // put it in a URL; the script cancels every submit (Enter is handled as a trusted key press instead).
    `<form id="${IDS.passphraseField}" class="field" novalidate hidden>`,
    `<label for="${IDS.passphrase}">${m("open.passphrase.label")}</label>`,
    `<p id="open-passphrase-hint" class="hint">${m("open.passphrase.hint")}</p>`,
    `<input id="${IDS.passphrase}" type="password" autocomplete="one-time-code" spellcheck="false" autocapitalize="off" aria-describedby="open-passphrase-hint">`,
    `</form>`,
    `<div class="actions"><button type="button" id="${IDS.reveal}" class="primary">${m("open.reveal")}</button></div>`,
    `</section>`,
    `<section id="${IDS.incompleteView}" class="view" aria-labelledby="${IDS.incompleteHeading}" hidden>`,
    `<h1 id="${IDS.incompleteHeading}" tabindex="-1">${m("open.incomplete.heading")}</h1>`,
    `<p>${m("open.incomplete.body")}</p>`,
    `</section>`,
    `<section id="${IDS.revealedView}" class="view stack" aria-labelledby="${IDS.revealedHeading}" hidden>`,
    `<h1 id="${IDS.revealedHeading}" tabindex="-1">${m("open.revealed.heading")}</h1>`,
    `<p class="notice">${m("open.revealed.disabled")}</p>`,
    `<div id="${IDS.textBlock}" class="field" hidden>`,
    `<label for="${IDS.secret}">${m("open.revealed.secret.label")}</label>`,
    `<textarea id="${IDS.secret}" class="secret" rows="8" readonly spellcheck="false" autocomplete="off"` +
      `${clearAfter > 0 ? ` aria-describedby="${IDS.clipboardHint}"` : ""}></textarea>`,
    clearAfter > 0
      ? `<p id="${IDS.clipboardHint}" class="hint">${m("open.revealed.clipboardHint", { duration: formatDuration(clearAfter, locale) })}</p>`
      : "",
    `<div class="actions">`,
    `<button type="button" id="${IDS.copySecret}" class="primary">${m("open.revealed.copy")}</button>`,
    `<button type="button" id="${IDS.downloadText}">${m("open.revealed.download")}</button>`,
    `</div>`,
    `</div>`,
    // A file: what the recipient needs to verify it. Every value is set as text by the script.
    `<div id="${IDS.fileBlock}" class="stack" hidden>`,
    `<dl class="facts">`,
    `<div><dt>${m("open.file.name")}</dt><dd id="${IDS.fileName}"></dd></div>`,
    `<div><dt>${m("open.file.size")}</dt><dd id="${IDS.fileSize}"></dd></div>`,
    `<div><dt>${m("open.file.sha256")}</dt><dd><code id="${IDS.fileSha}" class="hash"></code></dd></div>`,
    `<div><dt>${m("open.file.check")}</dt><dd id="${IDS.fileCheck}"></dd></div>`,
    `</dl>`,
    `<p id="${IDS.fileSaved}" class="notice" hidden></p>`,
    `<div class="actions">`,
    `<button type="button" id="${IDS.saveFile}" class="primary" hidden>${m("open.revealed.save")}</button>`,
    `<button type="button" id="${IDS.copyFileSha}">${m("open.file.copySha")}</button>`,
    `</div>`,
    `</div>`,
    `<p id="${IDS.textReminder}" class="private">${m("open.revealed.reminder")}</p>`,
    `<p id="${IDS.fileReminder}" class="private" hidden>${m("open.file.reminder")}</p>`,
    `<div class="actions"><button type="button" id="${IDS.hideSecret}">${m("open.revealed.hide")}</button></div>`,
    `</section>`,
    `<section id="${IDS.doneView}" class="view" aria-labelledby="${IDS.doneHeading}" hidden>`,
    `<h1 id="${IDS.doneHeading}" tabindex="-1">${m("open.done.heading")}</h1>`,
    `<p>${m("open.done.body")}</p>`,
    `</section>`,
    // Heading and text are filled from the catalog by the script: the same view serves several failures.
    `<section id="${IDS.problemView}" class="view" aria-labelledby="${IDS.problemHeading}" hidden>`,
    `<h1 id="${IDS.problemHeading}" tabindex="-1"></h1>`,
    `<p id="${IDS.problemBody}"></p>`,
    `<div class="actions"><button type="button" id="${IDS.problemRetry}" hidden>${m("open.problem.retry")}</button></div>`,
    `</section>`,
    unavailableSection(c, true),
    liveRegions(),
  ]
    .filter((line) => line !== "")
    .join("\n");
}
