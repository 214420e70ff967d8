// Plain words for a policy template, shared by the create page (in the browser) and GET /api/v1/templates (on the
// server), so both say the same thing. Built from the template's facts after the minimums raised them: what the
// summary says is what a link made with it gets.
import type { MessageKey } from "./i18n/en.js";
import { formatDuration, type MessageParams } from "./i18n/format.js";
import type { TemplateFacts } from "./page-settings.js";

type Translate = (key: MessageKey, params?: MessageParams) => string;

const BUILT_IN_NAMES: Readonly<Record<string, MessageKey>> = {
  lightweight: "create.template.lightweight",
  standard: "create.template.standard",
  "ultra-secure": "create.template.ultraSecure",
};

/** The template's name in `locale`: the catalog's for a built-in, the operator's (else its English one) otherwise. */
export function templateName(facts: Pick<TemplateFacts, "id" | "name">, t: Translate, locale: string): string {
  if (facts.name !== null) {
    const primary = locale.split("-")[0]!;
    return facts.name[locale] ?? facts.name[primary] ?? facts.name.en ?? facts.id;
  }
  const key = BUILT_IN_NAMES[facts.id];
  return key === undefined ? facts.id : t(key);
}

/**
 * Country names in `locale` (Intl.DisplayNames), joined as a list: ["DE", "FR"] -> "Germany and France".
 * Unknown codes stay as written.
 */
export function countryList(codes: readonly string[], locale: string): string {
  let names: string[];
  try {
    const display = new Intl.DisplayNames([locale], { type: "region" });
    names = codes.map((c) => display.of(c) ?? c);
  } catch {
    names = [...codes];
  }
  try {
    return new Intl.ListFormat(locale, { style: "long", type: "conjunction" }).format(names);
  } catch {
    return names.join(", ");
  }
}

/**
 * One or two sentences on what the template asks of the recipient, where the link opens and how long it lives,
 * e.g. "The recipient must type a passphrase that you send another way. Deleted after 3 days if nobody opens it."
 */
export function templateSummary(facts: TemplateFacts, t: Translate, locale: string): string {
  const parts: string[] = [];
  if (facts.passkey) parts.push(t("create.summary.passkey"));
  if (facts.passphrase) parts.push(t("create.summary.passphrase"));
  if (!facts.passkey && !facts.passphrase) parts.push(t("create.summary.noPassphrase"));
  if (facts.allowCountry.length > 0) parts.push(t("create.summary.countries", { countries: countryList(facts.allowCountry, locale) }));
  else if (facts.countryRequired) parts.push(t("create.summary.countriesChosen"));
  if (facts.networks) parts.push(t("create.summary.networks"));
  if (facts.preview === "none") parts.push(t("create.summary.noPreview"));
  parts.push(t("create.summary.ttl", { duration: formatDuration(facts.ttl, locale) }));
  return parts.join(" ");
}
