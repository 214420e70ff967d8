// The language switcher is a list of plain `?lang=xx` links (they work without script on the unavailable page).
// Followed as they are, they would drop the URL fragment, which holds the link's key or the manage token, and the
// page's own query (the create page's replacement settings); the page scripts route them through here so both
// come along.
import { COMMON_IDS } from "../page-ids.js";

/** What a page adds to a language switch, beyond its fragment. */
export interface LanguageSwitchOptions {
  /**
   * Query parameters that carry the page's current, non-secret choices into the reloaded page (null removes one),
   * read at the moment of the switch. Never a secret: the address reaches the server and the history.
   */
  carry?: () => Readonly<Record<string, string | null>>;
  /** Asked before the switch (the reload would clear what was typed); false stays on the page. */
  confirm?: (link: HTMLAnchorElement) => Promise<boolean>;
}

/**
 * Makes the language links keep the page's fragment. `fragment` returns it (with `#`) or "" — the open page keeps
 * the key in memory after removing it from the address bar, so it passes its own function.
 * `location.replace` keeps the switch out of the history: Back returns to where the person came from.
 */
export function wireLanguageSwitch(fragment: () => string, opts: LanguageSwitchOptions = {}): void {
  const nav = document.getElementById(COMMON_IDS.languageNav);
  nav?.addEventListener("click", (event) => {
    const link = event.target instanceof Element ? event.target.closest("a") : null;
    if (link === null || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    event.preventDefault();
    const go = () => {
      // The page's own query comes along too (the create page's replacement settings); only `lang` changes.
      const target = new URL(location.href);
      for (const [name, value] of Object.entries(opts.carry?.() ?? {})) {
        if (value === null) target.searchParams.delete(name);
        else target.searchParams.set(name, value);
      }
      for (const [name, value] of new URL(link.href).searchParams) target.searchParams.set(name, value);
      target.hash = fragment();
      location.replace(target.href);
    };
    if (opts.confirm === undefined) go();
    else void opts.confirm(link).then((ok) => ok && go());
  });
}

/**
 * Shows or hides the switcher. Pages hide it while they show something only once (a revealed secret, freshly made
 * links), because reloading the page in another language would lose it for good.
 */
export function setLanguageSwitchVisible(visible: boolean): void {
  const nav = document.getElementById(COMMON_IDS.languageNav);
  if (nav) nav.hidden = !visible;
}
