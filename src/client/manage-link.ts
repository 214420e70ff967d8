import type { LinkState } from "../core/link.js";
import { readJsonObject, resolveFetch, sendApiRequest, unexpectedAnswer, type RequestOptions } from "./api-request.js";
import { InvalidLinkError } from "./errors.js";
import { parseManageUrl, type ManageUrl } from "./link-urls.js";

/**
 * An automated visit the server saw on the link: its class ("chat-preview", "mail-scanner", "office-app",
 * "prefetch", "probe", "automated"; a newer server may add others) and when. Never who it was.
 */
export interface LinkVisit {
  kind: string;
  at: string;
}

/** The sender's view of a link. Times are ISO-8601 strings as the server sent them. */
export interface LinkStatus {
  state: LinkState;
  createdAt: string;
  expiresAt: string;
  /** When the link was opened; null unless the state is "consumed". */
  consumedAt: string | null;
  /** When the link ended, whichever way (opened, revoked or expired); null while fresh. */
  endedAt: string | null;
  /** Automated visits (previews, scanners, prefetches), oldest first; none of them opened the link. */
  events: LinkVisit[];
  /** The link's policy as its sender chose it (never the passphrase), for a replacement with the same settings. */
  policy: LinkPolicySummary;
}

/** The sender's view of a link's policy. */
export interface LinkPolicySummary {
  template: string | null;
  passphrase: boolean;
  passkey: boolean;
  /** The passkey rule's kind ("required": any passkey; "recipient": the one enrolled under a handle), or null. */
  passkeyMode: "required" | "recipient" | null;
  /** Either the passphrase or the passkey opens the link. */
  passphraseFallback: boolean;
  preview: "card" | "none";
  allowCountry: string[];
  allowIp: string[];
  denyIp: string[];
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);

/** The `policy` of a status answer; an older server sends none (then nothing carries over). */
function parsePolicySummary(value: unknown): LinkPolicySummary {
  const p = typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
  return {
    template: typeof p.template === "string" ? p.template : null,
    passphrase: p.passphrase === true,
    passkey: p.passkey === true,
    passkeyMode: p.passkey_mode === "required" || p.passkey_mode === "recipient" ? p.passkey_mode : null,
    passphraseFallback: p.passphrase_fallback === true,
    preview: p.preview === "none" ? "none" : "card",
    allowCountry: strings(p.allow_country),
    allowIp: strings(p.allow_ip),
    denyIp: strings(p.deny_ip),
  };
}

const STATES: ReadonlySet<string> = new Set<LinkState>(["fresh", "consumed", "expired", "revoked"]);

/**
 * Reads a link's state with its manage link. Never changes anything.
 * @throws {InvalidLinkError} not a manage link
 * @throws {UnavailableError} unknown link or wrong manage token (the server does not say which)
 * @example const { state } = await getStatus(link.manageUrl); // "fresh" until someone opens it
 */
export async function getStatus(manageUrl: string, opts?: RequestOptions): Promise<LinkStatus> {
  const link = requireManageUrl(manageUrl);
  const response = await sendApiRequest(resolveFetch(opts), `${link.server}/api/v1/links/${link.id}/status`, {
    headers: { authorization: `Bearer ${link.token}`, accept: "application/json" },
  });
  const answer = await readJsonObject(response, "status");
  const { state, created_at: createdAt, expires_at: expiresAt, consumed_at: consumedAt, ended_at: endedAt, events, policy } = answer;
  if (
    typeof state !== "string" ||
    !STATES.has(state) ||
    typeof createdAt !== "string" ||
    typeof expiresAt !== "string" ||
    !isOptionalTime(consumedAt) ||
    !isOptionalTime(endedAt)
  ) {
    throw unexpectedAnswer("status");
  }
  return {
    state: state as LinkState,
    createdAt,
    expiresAt,
    consumedAt: consumedAt ?? null,
    // An older server sends no ended_at; then only an opened link's end time is known.
    endedAt: endedAt === undefined ? (consumedAt ?? null) : endedAt,
    events: parseVisits(events),
    policy: parsePolicySummary(policy),
  };
}

function isOptionalTime(value: unknown): value is string | null | undefined {
  return value === null || value === undefined || typeof value === "string";
}

/** The `events` of a status answer; an older server sends none, and malformed entries are skipped. */
function parseVisits(value: unknown): LinkVisit[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry: unknown) => {
    if (typeof entry !== "object" || entry === null) return [];
    const { kind, at } = entry as Record<string, unknown>;
    return typeof kind === "string" && typeof at === "string" ? [{ kind, at }] : [];
  });
}

/**
 * Revokes a link with its manage link: the server destroys the content, and the recipient link stops working.
 * Revoking twice is harmless.
 * @throws {InvalidLinkError} not a manage link
 * @throws {UnavailableError} unknown link or wrong manage token
 * @example await revokeLink(link.manageUrl);
 */
export async function revokeLink(manageUrl: string, opts?: RequestOptions): Promise<void> {
  const link = requireManageUrl(manageUrl);
  const response = await sendApiRequest(resolveFetch(opts), `${link.server}/api/v1/links/${link.id}`, {
    method: "DELETE",
    headers: { authorization: `Bearer ${link.token}` },
  });
  // Drain the (empty) body so the connection goes back to the pool.
  await response.arrayBuffer();
}

function requireManageUrl(manageUrl: string): ManageUrl {
  const link = parseManageUrl(manageUrl);
  if (link === null) throw new InvalidLinkError("This is not a complete oncelink manage link (expected …/m/ID#TOKEN).");
  return link;
}
