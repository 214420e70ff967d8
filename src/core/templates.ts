// Policy templates (README, "Templates and minimums") and the operator's instance-wide minimums. A template is a named set of
// defaults for a new link; the sender may make any part of it stricter, never weaker. Minimums apply to every link,
// with or without a template. Pure: the operator's file is read by the caller and handed in as parsed JSON.
import { parseCountryCodes } from "./countries.js";
import { parseDuration } from "./link.js";
import type { PreviewPolicy } from "./link-policy.js";
import type { PasskeyPolicy, PassphrasePolicy, Policy } from "./policy.js";

/** A named set of defaults for a new link. */
export interface PolicyTemplate {
  /** Lower-case id used by the API (`"template": "standard"`) and the CLI (`--template standard`). */
  readonly id: string;
  readonly builtIn: boolean;
  /** Operator templates: display names by locale ("en" always present). Built-ins: null (the page catalogs name them). */
  readonly name: Readonly<Record<string, string>> | null;
  /** Lifetime of a link made with it, and the longest a sender may choose with it. */
  readonly ttlSeconds: number;
  /** The sender must set a passphrase. */
  readonly passphrase: boolean;
  /** The recipient must prove a passkey. */
  readonly passkey: boolean;
  readonly preview: PreviewPolicy;
  /** Countries the link opens in; the sender may only narrow them. Empty: none fixed. */
  readonly allowCountry: readonly string[];
  /** The sender must name the countries (a region allowlist is enforced). */
  readonly countryRequired: boolean;
  /** Networks the link opens from; the sender may only narrow them. Empty: none fixed. */
  readonly allowIp: readonly string[];
  /** Networks the link never opens from; the sender may add more. */
  readonly denyIp: readonly string[];
}

/** What every link of this instance must have, whatever the sender or the template says. */
export interface PolicyMinimums {
  readonly passphrase: boolean;
  readonly passkey: boolean;
  /** Longest lifetime of any link; null: only MAX_TTL applies. */
  readonly maxTtlSeconds: number | null;
  /** "none": no link shows previewers a card. */
  readonly preview: PreviewPolicy | null;
  /** Every link opens only in (a subset of) these countries; empty: no country rule. */
  readonly allowCountry: readonly string[];
}

/** Templates, the page's preselected one, and the minimums: the whole policy setup of an instance. */
export interface PolicySetup {
  readonly templates: readonly PolicyTemplate[];
  /** The template the create page preselects; null: the sender's own settings. */
  readonly defaultTemplate: string | null;
  readonly minimums: PolicyMinimums;
}

const HOUR = 3600;

/** Most links one create may issue (a link for each of a recipient's devices, with room to spare). */
export const MAX_RECIPIENTS = 10;

/** Blueprint section 27. Device binding at the gesture and the manage page's record of the open apply to every link. */
export const BUILT_IN_TEMPLATES: readonly PolicyTemplate[] = Object.freeze([
  builtIn("lightweight", { ttlSeconds: 7 * 24 * HOUR, preview: "card" }),
  builtIn("standard", { ttlSeconds: 72 * HOUR, passphrase: true, preview: "card" }),
  builtIn("ultra-secure", { ttlSeconds: 24 * HOUR, passkey: true, preview: "none", countryRequired: true }),
]);

function builtIn(id: string, parts: Partial<PolicyTemplate> & { ttlSeconds: number }): PolicyTemplate {
  return Object.freeze({
    id,
    builtIn: true,
    name: null,
    passphrase: false,
    passkey: false,
    preview: "card" as PreviewPolicy,
    allowCountry: [],
    countryRequired: false,
    allowIp: [],
    denyIp: [],
    ...parts,
  });
}

export const NO_MINIMUMS: PolicyMinimums = Object.freeze({ passphrase: false, passkey: false, maxTtlSeconds: null, preview: null, allowCountry: [] });

/** Lifetime limits of the server (MIN_TTL, MAX_TTL) and its default. */
export interface SetupLimits {
  minTtlSeconds: number;
  maxTtlSeconds: number;
  defaultTtlSeconds: number;
  /** True when every entry is a valid CIDR or address (the HTTP layer's parser). */
  validCidrs(list: readonly string[]): boolean;
}

export type SetupResult = { ok: true; setup: PolicySetup } | { ok: false; problem: string };

const TEMPLATE_ID = /^[a-z0-9][a-z0-9-]{0,31}$/;
const LOCALE_TAG = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;
const TEMPLATE_KEYS = ["id", "name", "ttl", "passphrase", "passkey", "preview", "allow_country", "country_required", "allow_ip", "deny_ip"];
const MINIMUM_KEYS = ["passphrase", "passkey", "max_ttl", "preview", "allow_country"];
const MAX_TEMPLATES = 32;

class SetupProblem extends Error {}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function onlyKeys(where: string, value: Record<string, unknown>, allowed: readonly string[]): void {
  const unknown = Object.keys(value).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) throw new SetupProblem(`${where}: unknown field ${JSON.stringify(unknown[0])} (allowed: ${allowed.join(", ")})`);
}

function bool(where: string, value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== "boolean") throw new SetupProblem(`${where} must be true or false`);
  return value;
}

function ttl(where: string, value: unknown, limits: SetupLimits): number {
  const seconds = typeof value === "string" ? parseDuration(value) : typeof value === "number" && Number.isInteger(value) ? value : null;
  if (seconds === null) throw new SetupProblem(`${where} must be a duration such as "24h" or "7d"`);
  if (seconds < limits.minTtlSeconds || seconds > limits.maxTtlSeconds) {
    throw new SetupProblem(`${where} must be between ${limits.minTtlSeconds}s and MAX_TTL (${limits.maxTtlSeconds}s), got ${seconds}s`);
  }
  return seconds;
}

function preview(where: string, value: unknown): PreviewPolicy | null {
  if (value === undefined) return null;
  if (value !== "card" && value !== "none") throw new SetupProblem(`${where} must be "card" or "none"`);
  return value;
}

function countries(where: string, value: unknown): string[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) && value.every((v) => typeof v === "string") ? parseCountryCodes(value as string[]) : null;
  if (list === null) throw new SetupProblem(`${where} must be a list of ISO 3166-1 alpha-2 country codes such as ["DE", "FR"]`);
  return list;
}

function cidrs(where: string, value: unknown, limits: SetupLimits): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > 64 || !value.every((v) => typeof v === "string") || !limits.validCidrs(value as string[])) {
    throw new SetupProblem(`${where} must be a list of at most 64 IPv4/IPv6 CIDRs or addresses`);
  }
  return (value as string[]).map((c) => c.trim());
}

function names(where: string, value: unknown): Record<string, string> {
  if (typeof value === "string" && value.trim() !== "" && value.length <= 60) return { en: value.trim() };
  if (!isRecord(value) || typeof value.en !== "string") throw new SetupProblem(`${where} must be a text, or an object of texts by language with at least "en"`);
  const out: Record<string, string> = {};
  for (const [locale, text] of Object.entries(value)) {
    if (!LOCALE_TAG.test(locale) || typeof text !== "string" || text.trim() === "" || text.length > 60) {
      throw new SetupProblem(`${where}.${locale} must be a non-empty text of at most 60 characters under a language tag such as "en" or "de"`);
    }
    out[locale] = text.trim();
  }
  return out;
}

function parseMinimums(value: unknown, limits: SetupLimits): PolicyMinimums {
  if (value === undefined) return NO_MINIMUMS;
  if (!isRecord(value)) throw new SetupProblem("minimums must be an object");
  onlyKeys("minimums", value, MINIMUM_KEYS);
  return Object.freeze({
    passphrase: bool("minimums.passphrase", value.passphrase),
    passkey: bool("minimums.passkey", value.passkey),
    maxTtlSeconds: value.max_ttl === undefined ? null : ttl("minimums.max_ttl", value.max_ttl, limits),
    preview: preview("minimums.preview", value.preview),
    allowCountry: countries("minimums.allow_country", value.allow_country),
  });
}

function parseTemplate(value: unknown, index: number, limits: SetupLimits, minimums: PolicyMinimums): PolicyTemplate {
  const where = `templates[${index}]`;
  if (!isRecord(value)) throw new SetupProblem(`${where} must be an object`);
  onlyKeys(where, value, TEMPLATE_KEYS);
  if (typeof value.id !== "string" || !TEMPLATE_ID.test(value.id)) {
    throw new SetupProblem(`${where}.id must be 1 to 32 lower-case letters, digits or dashes, such as "hr-offer"`);
  }
  const at = `template "${value.id}"`;
  const template: PolicyTemplate = Object.freeze({
    id: value.id,
    builtIn: false,
    name: Object.freeze(names(`${at}: name`, value.name)),
    ttlSeconds: ttl(`${at}: ttl`, value.ttl, limits),
    passphrase: bool(`${at}: passphrase`, value.passphrase),
    passkey: bool(`${at}: passkey`, value.passkey),
    preview: preview(`${at}: preview`, value.preview) ?? "card",
    allowCountry: countries(`${at}: allow_country`, value.allow_country),
    countryRequired: bool(`${at}: country_required`, value.country_required),
    allowIp: cidrs(`${at}: allow_ip`, value.allow_ip, limits),
    denyIp: cidrs(`${at}: deny_ip`, value.deny_ip, limits),
  });
  // The operator wrote both in one file: a template weaker than the minimums is a contradiction, not a wish.
  const weaker =
    minimums.passphrase && !template.passphrase
      ? "a passphrase"
      : minimums.passkey && !template.passkey
        ? "a passkey"
        : minimums.maxTtlSeconds !== null && template.ttlSeconds > minimums.maxTtlSeconds
          ? `a lifetime of at most ${minimums.maxTtlSeconds}s`
          : minimums.preview === "none" && template.preview !== "none"
            ? 'preview "none"'
            : minimums.allowCountry.length > 0 && template.allowCountry.some((c) => !minimums.allowCountry.includes(c))
              ? `countries within ${minimums.allowCountry.join(", ")}`
              : null;
  if (weaker !== null) throw new SetupProblem(`${at} is weaker than the minimums, which require ${weaker}`);
  return template;
}

/** A built-in template raised to the minimums and held within MAX_TTL, so what the page says is what a link gets. */
function raiseBuiltIn(template: PolicyTemplate, limits: SetupLimits, minimums: PolicyMinimums): PolicyTemplate {
  return Object.freeze({
    ...template,
    ttlSeconds: Math.max(limits.minTtlSeconds, Math.min(template.ttlSeconds, limits.maxTtlSeconds, minimums.maxTtlSeconds ?? Infinity)),
    passphrase: template.passphrase || minimums.passphrase,
    passkey: template.passkey || minimums.passkey,
    preview: minimums.preview === "none" ? "none" : template.preview,
  });
}

/**
 * Reads the operator's policy file (already parsed JSON; `undefined` when there is none) into the instance's setup:
 * the built-in templates (raised to the minimums), the operator's templates after them, the default and the
 * minimums. Unknown fields, bad values and contradictions are problems, each named so the operator can fix it.
 * @example parsePolicySetup({ minimums: { passphrase: true } }, limits).ok // true
 */
export function parsePolicySetup(value: unknown, limits: SetupLimits): SetupResult {
  try {
    if (value !== undefined && !isRecord(value)) throw new SetupProblem("the file must hold one JSON object");
    const file = value ?? {};
    onlyKeys("the policy file", file, ["templates", "minimums", "default_template"]);
    const minimums = parseMinimums(file.minimums, limits);
    if (file.templates !== undefined && (!Array.isArray(file.templates) || file.templates.length > MAX_TEMPLATES)) {
      throw new SetupProblem(`templates must be a list of at most ${MAX_TEMPLATES} templates`);
    }
    const own = ((file.templates as unknown[] | undefined) ?? []).map((t, i) => parseTemplate(t, i, limits, minimums));
    const templates = [...BUILT_IN_TEMPLATES.map((t) => raiseBuiltIn(t, limits, minimums)), ...own];
    const ids = new Set<string>();
    for (const t of templates) {
      if (ids.has(t.id)) throw new SetupProblem(`template id "${t.id}" is used twice (the built-in ids are lightweight, standard and ultra-secure)`);
      ids.add(t.id);
    }
    const defaultTemplate = file.default_template ?? null;
    if (defaultTemplate !== null && (typeof defaultTemplate !== "string" || !ids.has(defaultTemplate))) {
      throw new SetupProblem(`default_template must be the id of a template (${[...ids].join(", ")})`);
    }
    return { ok: true, setup: Object.freeze({ templates: Object.freeze(templates), defaultTemplate, minimums }) };
  } catch (err) {
    if (err instanceof SetupProblem) return { ok: false, problem: err.message };
    throw err;
  }
}

/** What a sender asked for at create, already checked for shape (CIDRs valid, country codes normalized). */
export interface CreateChoices {
  template?: string;
  ttl?: number;
  preview?: PreviewPolicy;
  allowIp?: readonly string[];
  denyIp?: readonly string[];
  allowCountry?: readonly string[];
  passphrase?: PassphrasePolicy;
  /** A passkey rule the sender chose (a specific recipient's passkey is stricter than "required"). */
  passkey?: PasskeyPolicy;
  /** Either the passphrase or the passkey opens the link (weaker than asking for both, or for either one alone). */
  passphraseFallback?: boolean;
}

export type CreateRefusal = "TEMPLATE_UNKNOWN" | "TEMPLATE_CONFLICT" | "POLICY_MINIMUM" | "TTL_INVALID";

/** A new link's lifetime, preview and recipient policy, or why the request is refused (with a plain message). */
export type ResolvedCreate =
  | { ok: true; ttlSeconds: number; preview: PreviewPolicy; template: string | null; policy: Policy }
  | { ok: false; code: CreateRefusal; message: string };

const refuse = (code: CreateRefusal, message: string): ResolvedCreate => ({ ok: false, code, message });

/**
 * Applies a template and the minimums to a sender's choices. What the sender left out comes from the template, then
 * from the minimums; what the sender chose may only be stricter than both. A choice weaker than the template is
 * TEMPLATE_CONFLICT, one weaker than the minimums POLICY_MINIMUM (refused rather than silently raised, so an API
 * user learns what the instance demands). A passphrase cannot be made up by the server: a template or minimum that
 * needs one refuses a create without it.
 * `cidrWithin(inner, outers)` says whether a CIDR lies inside one of `outers` (the HTTP layer's parser).
 */
export function resolveCreate(
  choices: CreateChoices,
  setup: PolicySetup,
  limits: Omit<SetupLimits, "validCidrs">,
  cidrWithin: (inner: string, outers: readonly string[]) => boolean,
): ResolvedCreate {
  const { minimums } = setup;
  let template: PolicyTemplate | null = null;
  if (choices.template !== undefined) {
    template = setup.templates.find((t) => t.id === choices.template) ?? null;
    if (template === null) return refuse("TEMPLATE_UNKNOWN", `There is no template of that name. Known: ${setup.templates.map((t) => t.id).join(", ")}.`);
  }
  const what = template === null ? "" : ` (template "${template.id}")`;

  // Lifetime: the server's range first, then the template's and the instance's ceilings.
  if (choices.ttl !== undefined && (!Number.isInteger(choices.ttl) || choices.ttl < limits.minTtlSeconds || choices.ttl > limits.maxTtlSeconds)) {
    return refuse("TTL_INVALID", `The lifetime must be between ${limits.minTtlSeconds} and ${limits.maxTtlSeconds} seconds.`);
  }
  if (template !== null && choices.ttl !== undefined && choices.ttl > template.ttlSeconds) {
    return refuse("TEMPLATE_CONFLICT", `This template allows a lifetime of at most ${template.ttlSeconds} seconds.`);
  }
  if (minimums.maxTtlSeconds !== null && choices.ttl !== undefined && choices.ttl > minimums.maxTtlSeconds) {
    return refuse("POLICY_MINIMUM", `This server allows a lifetime of at most ${minimums.maxTtlSeconds} seconds.`);
  }
  const ttlSeconds = Math.min(choices.ttl ?? template?.ttlSeconds ?? limits.defaultTtlSeconds, minimums.maxTtlSeconds ?? Infinity);

  // Preview: "none" is the stricter value.
  if (choices.preview === "card" && template?.preview === "none") return refuse("TEMPLATE_CONFLICT", `This template shows previewers no card${what}.`);
  if (choices.preview === "card" && minimums.preview === "none") return refuse("POLICY_MINIMUM", "This server shows previewers no card.");
  const preview: PreviewPolicy = minimums.preview === "none" ? "none" : (choices.preview ?? template?.preview ?? "card");

  if (choices.passphrase === undefined && template?.passphrase) return refuse("TEMPLATE_CONFLICT", `This template needs a passphrase${what}.`);
  if (choices.passphrase === undefined && minimums.passphrase) return refuse("POLICY_MINIMUM", "This server needs a passphrase on every link.");

  // Passkey: "required" or a recipient's handle both meet a template or minimum that needs one (left out, the
  // template's "required" applies). The fallback lets either factor open the link alone, so it is weaker than a
  // template or minimum that asks for a passkey or a passphrase.
  if (choices.passphraseFallback === true && template !== null && (template.passkey || template.passphrase)) {
    const asks = template.passkey ? "a passkey" : "a passphrase";
    return refuse("TEMPLATE_CONFLICT", `This template asks for ${asks}; passphrase_fallback would let another factor open the link instead${what}.`);
  }
  if (choices.passphraseFallback === true && (minimums.passkey || minimums.passphrase)) {
    return refuse("POLICY_MINIMUM", `This server asks for ${minimums.passkey ? "a passkey" : "a passphrase"} on every link; passphrase_fallback would let another factor open it instead.`);
  }

  // Countries: a sender's list must lie within the template's and the minimum's lists; absent, theirs apply.
  const sent = choices.allowCountry !== undefined && choices.allowCountry.length > 0 ? choices.allowCountry : null;
  if (sent !== null && template !== null && template.allowCountry.length > 0 && sent.some((c) => !template.allowCountry.includes(c))) {
    return refuse("TEMPLATE_CONFLICT", `This template opens only in ${template.allowCountry.join(", ")}; choose among them.`);
  }
  if (sent !== null && minimums.allowCountry.length > 0 && sent.some((c) => !minimums.allowCountry.includes(c))) {
    return refuse("POLICY_MINIMUM", `Links on this server open only in ${minimums.allowCountry.join(", ")}; choose among them.`);
  }
  const allowCountry = sent ?? (template !== null && template.allowCountry.length > 0 ? template.allowCountry : minimums.allowCountry);
  if (template?.countryRequired && allowCountry.length === 0) {
    return refuse("TEMPLATE_CONFLICT", `This template needs the countries the link may be opened in (allow_country)${what}.`);
  }

  // Networks: the sender may narrow the template's allow list and add to its deny list.
  const sentAllow = choices.allowIp ?? [];
  if (template !== null && template.allowIp.length > 0 && sentAllow.some((c) => !cidrWithin(c, template.allowIp))) {
    return refuse("TEMPLATE_CONFLICT", `This template opens only from certain networks; a network you name must lie within them${what}.`);
  }
  const allowIp = sentAllow.length > 0 ? sentAllow : (template?.allowIp ?? []);
  const denyIp = [...new Set([...(template?.denyIp ?? []), ...(choices.denyIp ?? [])])];

  const policy: Policy = {};
  if (allowIp.length > 0) policy.allowIp = [...allowIp];
  if (denyIp.length > 0) policy.denyIp = denyIp;
  if (allowCountry.length > 0) policy.allowCountry = [...allowCountry];
  if (choices.passkey !== undefined) policy.passkey = choices.passkey;
  else if (template?.passkey || minimums.passkey) policy.passkey = { mode: "required" };
  if (choices.passphrase !== undefined) policy.passphrase = choices.passphrase;
  if (choices.passphraseFallback === true) policy.passphraseFallback = true;
  return { ok: true, ttlSeconds, preview, template: template?.id ?? null, policy };
}
