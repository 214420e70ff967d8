// Server settings the page scripts need, passed in the page's JSON data block next to the messages. They are the
// same for every request (never derived from a link), so pages stay cacheable per locale.

import { BUILT_IN_TEMPLATES, MAX_RECIPIENTS, NO_MINIMUMS, type PolicySetup } from "../core/templates.js";

/** A policy template as the create page shows it: its facts, never its network ranges. */
export interface TemplateFacts {
  readonly id: string;
  readonly builtIn: boolean;
  /** Operator templates: names by locale ("en" always present); built-ins: null (named by the catalogs). */
  readonly name: Readonly<Record<string, string>> | null;
  readonly ttl: number;
  readonly passphrase: boolean;
  readonly passkey: boolean;
  readonly preview: "card" | "none";
  readonly allowCountry: readonly string[];
  readonly countryRequired: boolean;
  /** The template limits networks (the ranges stay on the server). */
  readonly networks: boolean;
}

/** The instance's templates and minimums, for the create page. */
export interface PolicySettings {
  readonly templates: readonly TemplateFacts[];
  /** The template preselected on the create page; null: the sender's own settings. */
  readonly defaultTemplate: string | null;
  readonly minimums: {
    readonly passphrase: boolean;
    readonly passkey: boolean;
    readonly maxTtl: number | null;
    readonly preview: "card" | "none" | null;
    readonly allowCountry: readonly string[];
  };
  /** Most links one create may issue. */
  readonly maxRecipients: number;
}

/** What the server tells its pages. */
export interface PageSettings {
  /** Seconds after which a secret copied on the reveal page is cleared from the clipboard; 0 never clears. */
  readonly clipboardClearSeconds: number;
  /** Lifetimes (seconds) a sender may choose: the server's MIN/MAX and the preselected default. */
  readonly ttl: { readonly min: number; readonly max: number; readonly default: number };
  /** MAX_FILE_BYTES: the largest file the create page offers to send (the server enforces it too). */
  readonly maxFileBytes: number;
  /**
   * MAX_SECRET_BYTES: the largest text link the server takes, counted on what is sent (the encrypted envelope, a few
   * bytes more than the text); the create page says so at the field before sending anything larger.
   */
  readonly maxSecretBytes: number;
  /** PASSPHRASE_MAX_ATTEMPTS: the wrong passphrase that deletes a link is the Nth; the create page says how many. */
  readonly passphraseMaxAttempts: number;
  readonly policy: PolicySettings;
}

/** The create page's view of a policy setup (see src/core/templates.ts). */
export function policySettingsFrom(setup: PolicySetup, maxRecipients: number): PolicySettings {
  return {
    templates: setup.templates.map((t) => ({
      id: t.id,
      builtIn: t.builtIn,
      name: t.name,
      ttl: t.ttlSeconds,
      passphrase: t.passphrase,
      passkey: t.passkey,
      preview: t.preview,
      allowCountry: t.allowCountry,
      countryRequired: t.countryRequired,
      networks: t.allowIp.length > 0 || t.denyIp.length > 0,
    })),
    defaultTemplate: setup.defaultTemplate,
    minimums: {
      passphrase: setup.minimums.passphrase,
      passkey: setup.minimums.passkey,
      maxTtl: setup.minimums.maxTtlSeconds,
      preview: setup.minimums.preview,
      allowCountry: setup.minimums.allowCountry,
    },
    maxRecipients,
  };
}

/** The policy settings of a server started with no configuration: the three built-in templates, no minimums. */
export const DEFAULT_POLICY_SETTINGS: PolicySettings = Object.freeze(
  policySettingsFrom({ templates: BUILT_IN_TEMPLATES, defaultTemplate: null, minimums: NO_MINIMUMS }, MAX_RECIPIENTS),
);

/** The settings of a server started with no configuration (see src/config.ts). */
export const DEFAULT_PAGE_SETTINGS: PageSettings = Object.freeze({
  clipboardClearSeconds: 60,
  ttl: Object.freeze({ min: 60, max: 30 * 86_400, default: 86_400 }),
  maxFileBytes: 1024 ** 3,
  maxSecretBytes: 1024 ** 2,
  passphraseMaxAttempts: 5,
  policy: DEFAULT_POLICY_SETTINGS,
});

const isCount = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0;

/**
 * Checks settings read from the page (the data block is ours, but a page must not break on a malformed one):
 * anything missing or out of shape falls back to the defaults, field by field.
 */
export function parsePageSettings(value: unknown): PageSettings {
  const v = typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
  const ttl = typeof v.ttl === "object" && v.ttl !== null ? (v.ttl as Record<string, unknown>) : {};
  const d = DEFAULT_PAGE_SETTINGS;
  const min = isCount(ttl.min) && ttl.min > 0 ? ttl.min : d.ttl.min;
  const max = isCount(ttl.max) && ttl.max >= min ? ttl.max : Math.max(min, d.ttl.max);
  const def = isCount(ttl.default) && ttl.default >= min && ttl.default <= max ? ttl.default : Math.min(Math.max(d.ttl.default, min), max);
  return {
    clipboardClearSeconds: isCount(v.clipboardClearSeconds) ? v.clipboardClearSeconds : d.clipboardClearSeconds,
    ttl: { min, max, default: def },
    maxFileBytes: isCount(v.maxFileBytes) && v.maxFileBytes > 0 ? v.maxFileBytes : d.maxFileBytes,
    maxSecretBytes: isCount(v.maxSecretBytes) && v.maxSecretBytes > 0 ? v.maxSecretBytes : d.maxSecretBytes,
    passphraseMaxAttempts: isCount(v.passphraseMaxAttempts) && v.passphraseMaxAttempts > 0 ? v.passphraseMaxAttempts : d.passphraseMaxAttempts,
    policy: parsePolicySettings(v.policy),
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const codes = (v: unknown): string[] => (Array.isArray(v) ? v.filter((c): c is string => typeof c === "string" && /^[A-Z]{2}$/.test(c)) : []);
const previewOf = (v: unknown): "card" | "none" => (v === "none" ? "none" : "card");

function parseTemplateFacts(v: unknown): TemplateFacts | null {
  if (!isRecord(v) || typeof v.id !== "string" || !isCount(v.ttl) || v.ttl === 0) return null;
  const name = isRecord(v.name) && typeof v.name.en === "string" ? (Object.fromEntries(Object.entries(v.name).filter(([, n]) => typeof n === "string")) as Record<string, string>) : null;
  return {
    id: v.id,
    builtIn: v.builtIn === true,
    name,
    ttl: v.ttl,
    passphrase: v.passphrase === true,
    passkey: v.passkey === true,
    preview: previewOf(v.preview),
    allowCountry: codes(v.allowCountry),
    countryRequired: v.countryRequired === true,
    networks: v.networks === true,
  };
}

/** The policy part of the settings, checked field by field like the rest (an unreadable template is left out). */
function parsePolicySettings(value: unknown): PolicySettings {
  if (!isRecord(value)) return DEFAULT_POLICY_SETTINGS;
  const templates = Array.isArray(value.templates) ? value.templates.map(parseTemplateFacts).filter((t): t is TemplateFacts => t !== null) : [];
  const m = isRecord(value.minimums) ? value.minimums : {};
  const defaultTemplate = typeof value.defaultTemplate === "string" && templates.some((t) => t.id === value.defaultTemplate) ? value.defaultTemplate : null;
  return {
    templates,
    defaultTemplate,
    minimums: {
      passphrase: m.passphrase === true,
      passkey: m.passkey === true,
      maxTtl: isCount(m.maxTtl) && m.maxTtl > 0 ? m.maxTtl : null,
      preview: m.preview === "none" || m.preview === "card" ? m.preview : null,
      allowCountry: codes(m.allowCountry),
    },
    maxRecipients: isCount(value.maxRecipients) && value.maxRecipients >= 1 ? value.maxRecipients : 1,
  };
}
