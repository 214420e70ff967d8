// Request classification: who (probably) sent a request, from its method and headers alone. Pure: no I/O, no clock.
// It decides only how much friction a request meets and what is recorded about it; it never denies a person,
// because every signal here can be wrong (a person behind an unusual browser) or forged (a scanner that lies).
import { isbot } from "isbot";

/** Classes a signature in the previewer registry can assign. "person" exempts an agent that would look automated. */
export type RegistryClass = "chat-preview" | "mail-scanner" | "office-app" | "person";

/**
 * What is recorded on a link when an automated visit is seen. Classes only: never an address, an agent string or
 * anything else about who it was.
 * - chat-preview: a chat or social app unfurling the link (Slack, Teams, WhatsApp, iMessage, ...)
 * - mail-scanner: a mail security gateway checking the link (Safe Links, Proofpoint, Mimecast, ...)
 * - office-app: an office suite probing the link (Word, Outlook, the WebDAV redirector)
 * - prefetch: a browser prefetching or prerendering the page before anyone clicked
 * - probe: a HEAD, OPTIONS or Range request (link checkers, gateways)
 * - automated: anything else that is not a browser (a blank agent, a library, a crawler, a headless browser)
 */
export type VisitKind = "chat-preview" | "mail-scanner" | "office-app" | "prefetch" | "probe" | "automated";

/** Every VisitKind, in the order the sender's page lists them. */
export const VISIT_KINDS: readonly VisitKind[] = ["chat-preview", "mail-scanner", "office-app", "prefetch", "probe", "automated"];

/** The class of a request: a person's browser, or one kind of automated visit. */
export type RequestClass = "person" | VisitKind;

/** One compiled registry entry. */
export interface PreviewerSignature {
  pattern: RegExp;
  class: RegistryClass;
}

/** A parsed registry, ready for `classifyRequest`. */
export interface PreviewerRegistry {
  signatures: readonly PreviewerSignature[];
  /** All patterns in one expression, so the common case (no match) costs one regex run. */
  any: RegExp | null;
}

/** Request headers as Node presents them: lower-case names, a string or (for repeated headers) an array. */
export type RequestHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** How a request's Sec-Fetch-* metadata (sent by every current browser) looks. */
export type SecFetchShape =
  /** No Sec-Fetch-Site: not a current browser (a library, an old browser, a scanner). */
  | "absent"
  /** `same-origin` + `cors` + `empty`: what our own page's fetch() sends. */
  | "page-fetch"
  /** A top-level navigation (`navigate` + `document`): someone or something opened the URL itself. */
  | "navigation"
  /** Anything else (cross-site fetches, subresources, frames). */
  | "other";

/** What classification saw in a request; the friction decision reads these too. */
export interface RequestSignals {
  method: string;
  /** The registry class of the User-Agent, or null when no signature matched. */
  registry: RegistryClass | null;
  /** isbot recognises the User-Agent as automated (a library, crawler or headless browser). */
  bot: boolean;
  /** No User-Agent at all, or an empty one. */
  blankAgent: boolean;
  /** A prefetch/prerender marker: Sec-Purpose, Purpose, X-Purpose or X-Moz. */
  prefetch: boolean;
  /** HEAD, OPTIONS, or a Range header. */
  probe: boolean;
  secFetch: SecFetchShape;
}

const REGISTRY_CLASSES: ReadonlySet<string> = new Set<RegistryClass>(["chat-preview", "mail-scanner", "office-app", "person"]);
/** Agents longer than this are looked at only up to here: the header is attacker-controlled. */
const MAX_AGENT_CHARS = 512;
const MAX_PATTERN_CHARS = 500;

/** A registry file that cannot be used, with a message that names the problem (never echoes whole entries). */
export class RegistryError extends Error {
  override name = "RegistryError";
}

/**
 * Parses registry JSON (already decoded): either an array of `{pattern, class}` entries or an object whose
 * `previewers` field is one. `pattern` is a case-insensitive JavaScript regular expression matched against the
 * User-Agent; an optional `name` documents the entry. Throws RegistryError for anything malformed.
 * @example parseRegistryEntries([{ pattern: "Slackbot", class: "chat-preview" }])
 */
export function parseRegistryEntries(json: unknown): PreviewerSignature[] {
  const list = Array.isArray(json) ? json : (json as { previewers?: unknown } | null)?.previewers;
  if (!Array.isArray(list)) throw new RegistryError('expected an array of {"pattern", "class"} entries, or {"previewers": [...]}');
  return list.map((entry: unknown, index) => {
    if (typeof entry !== "object" || entry === null) throw new RegistryError(`entry ${index} is not an object`);
    const { pattern, class: cls } = entry as Record<string, unknown>;
    if (typeof pattern !== "string" || pattern === "" || pattern.length > MAX_PATTERN_CHARS) {
      throw new RegistryError(`entry ${index}: "pattern" must be a non-empty string of at most ${MAX_PATTERN_CHARS} characters`);
    }
    if (typeof cls !== "string" || !REGISTRY_CLASSES.has(cls)) {
      throw new RegistryError(`entry ${index}: "class" must be one of ${[...REGISTRY_CLASSES].join(", ")}`);
    }
    try {
      return { pattern: new RegExp(pattern, "i"), class: cls as RegistryClass };
    } catch {
      throw new RegistryError(`entry ${index}: "pattern" is not a valid regular expression`);
    }
  });
}

/**
 * Builds a registry from signature lists; earlier lists win (an operator's extra file goes first, so it can
 * reclassify or exempt an agent the built-in list names).
 */
export function buildRegistry(...lists: ReadonlyArray<readonly PreviewerSignature[]>): PreviewerRegistry {
  const signatures = lists.flat();
  // Joined patterns renumber their groups, so a pattern with a backreference is only ever run on its own.
  const joinable = signatures.length > 0 && !signatures.some((s) => /\\[1-9]|\\k</.test(s.pattern.source));
  const any = joinable ? new RegExp(signatures.map((s) => `(?:${s.pattern.source})`).join("|"), "i") : null;
  return { signatures, any };
}

/** The first header value, or "" when absent. */
function header(headers: RequestHeaders, name: string): string {
  const value = headers[name];
  return (Array.isArray(value) ? value[0] : value) ?? "";
}

const PREFETCH_VALUE = /prefetch|prerender|preview/i;

/** True when the request says it is a prefetch or prerender (Chrome, Firefox, Safari and the spec's names). */
function isPrefetch(headers: RequestHeaders): boolean {
  for (const name of ["sec-purpose", "purpose", "x-purpose", "x-moz"]) {
    if (PREFETCH_VALUE.test(header(headers, name).slice(0, 100))) return true;
  }
  return false;
}

function secFetchShape(headers: RequestHeaders): SecFetchShape {
  const site = header(headers, "sec-fetch-site");
  const mode = header(headers, "sec-fetch-mode");
  const dest = header(headers, "sec-fetch-dest");
  // Browsers send all three. Node's fetch (undici) sends Sec-Fetch-Mode alone: that is a library, not a browser.
  if (site === "") return "absent";
  if (site === "same-origin" && mode === "cors" && dest === "empty") return "page-fetch";
  if (mode === "navigate" && (dest === "document" || dest === "")) return "navigation";
  return "other";
}

/** The registry class of an agent string, or null. */
export function matchRegistry(registry: PreviewerRegistry, agent: string): RegistryClass | null {
  if (registry.any !== null && !registry.any.test(agent)) return null;
  for (const signature of registry.signatures) if (signature.pattern.test(agent)) return signature.class;
  return null;
}

/**
 * Reads the classification signals of a request: method and headers in, facts out.
 * @example readSignals("GET", { "user-agent": "Slackbot-LinkExpanding 1.0" }, registry).registry // "chat-preview"
 */
export function readSignals(method: string, headers: RequestHeaders, registry: PreviewerRegistry): RequestSignals {
  const agent = header(headers, "user-agent").slice(0, MAX_AGENT_CHARS).trim();
  const registryClass = agent === "" ? null : matchRegistry(registry, agent);
  const upper = method.toUpperCase();
  return {
    method: upper,
    registry: registryClass,
    bot: agent !== "" && registryClass !== "person" && isbot(agent),
    blankAgent: agent === "",
    prefetch: isPrefetch(headers),
    probe: upper === "HEAD" || upper === "OPTIONS" || header(headers, "range") !== "",
    secFetch: secFetchShape(headers),
  };
}

/**
 * The class of a request from its signals. Who it is wins over how it asked (a Slackbot HEAD is a chat preview),
 * then a prefetch marker, then a probe method, then any other automation; everything else is a person.
 * Browsers without Sec-Fetch-* headers (older Safari) still count as people here: that signal only adds friction
 * at the reveal step (see `decideFriction`).
 */
export function classOfSignals(signals: RequestSignals): RequestClass {
  if (signals.registry !== null && signals.registry !== "person") return signals.registry;
  if (signals.prefetch) return "prefetch";
  if (signals.probe) return "probe";
  if (signals.blankAgent || signals.bot) return "automated";
  return "person";
}

/**
 * Classifies a request from its method and headers.
 * @example classifyRequest("HEAD", { "user-agent": "Microsoft Office Existence Discovery" }, registry) // "office-app"
 */
export function classifyRequest(method: string, headers: RequestHeaders, registry: PreviewerRegistry): RequestClass {
  return classOfSignals(readSignals(method, headers, registry));
}
