import { readJsonObject, resolveFetch, sendApiRequest, unexpectedAnswer, type RequestOptions } from "./api-request.js";
import { OncelinkError } from "./errors.js";
import { normalizeServerUrl } from "./link-urls.js";

/** A policy template a server offers, with its plain summary (in the language asked for, else English). */
export interface PolicyTemplateInfo {
  id: string;
  name: string;
  summary: string;
  builtIn: boolean;
  /** Lifetime in seconds, and the longest a sender may choose with it. */
  ttl: number;
  passphrase: boolean;
  passkey: boolean;
  /** Countries the template fixes; the sender may narrow them. */
  allowCountry: string[];
  /** The sender must name the countries. */
  countryRequired: boolean;
}

/** The templates of a server, its default, and what it requires of every link. */
export interface ServerTemplates {
  templates: PolicyTemplateInfo[];
  defaultTemplate: string | null;
  minimums: { passphrase: boolean; passkey: boolean; maxTtl: number | null; allowCountry: string[] };
  maxRecipients: number;
}

/**
 * Lists a server's policy templates (`GET /api/v1/templates`).
 * @example (await listTemplates({ server: "https://s.example" })).templates.map((t) => t.id) // ["lightweight", ...]
 */
export async function listTemplates(opts: RequestOptions & { server: string; language?: string }): Promise<ServerTemplates> {
  const server = normalizeServerUrl(opts.server);
  if (server === null) throw new OncelinkError("The server address must be an http:// or https:// URL.");
  const headers: Record<string, string> = { accept: "application/json" };
  if (opts.language !== undefined) headers["accept-language"] = opts.language;
  const answer = await readJsonObject(await sendApiRequest(resolveFetch(opts), `${server}/api/v1/templates`, { headers }), "templates");
  const { templates, default_template: defaultTemplate, minimums, max_recipients: maxRecipients } = answer;
  if (!Array.isArray(templates) || typeof minimums !== "object" || minimums === null) throw unexpectedAnswer("templates");
  const m = minimums as Record<string, unknown>;
  return {
    templates: templates.map((entry: unknown) => {
      const t = (typeof entry === "object" && entry !== null ? entry : {}) as Record<string, unknown>;
      if (typeof t.id !== "string" || typeof t.name !== "string" || typeof t.summary !== "string" || typeof t.ttl !== "number") {
        throw unexpectedAnswer("templates");
      }
      return {
        id: t.id,
        name: t.name,
        summary: t.summary,
        builtIn: t.built_in === true,
        ttl: t.ttl,
        passphrase: t.passphrase === true,
        passkey: t.passkey === true,
        allowCountry: Array.isArray(t.allow_country) ? t.allow_country.filter((c): c is string => typeof c === "string") : [],
        countryRequired: t.country_required === true,
      };
    }),
    defaultTemplate: typeof defaultTemplate === "string" ? defaultTemplate : null,
    minimums: {
      passphrase: m.passphrase === true,
      passkey: m.passkey === true,
      maxTtl: typeof m.max_ttl === "number" ? m.max_ttl : null,
      allowCountry: Array.isArray(m.allow_country) ? m.allow_country.filter((c): c is string => typeof c === "string") : [],
    },
    maxRecipients: typeof maxRecipients === "number" ? maxRecipients : 1,
  };
}
