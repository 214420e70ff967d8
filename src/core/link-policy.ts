// The per-link policy, stored as JSON text beside each link (the `policy` column). Only what this module knows is
// read; unknown fields are kept by whoever wrote them and ignored here, so other policy parts can grow alongside.

/** What a known link previewer gets for this link: the generic card, or the plain interstitial with no card. */
export type PreviewPolicy = "card" | "none";

/** The parts of a link's policy this module reads. */
export interface LinkPolicy {
  preview: PreviewPolicy;
  /** The template the link was made with (for the sender's "make a replacement"), or null. */
  template: string | null;
}

/** The policy of a link created with no choices: previewers get the generic card. */
export const DEFAULT_POLICY: Readonly<LinkPolicy> = Object.freeze({ preview: "card", template: null });

/**
 * Reads a stored policy. Malformed text or fields fall back to the defaults: a policy is written only by us, so a
 * bad value is a bug, and the safe reading of "preview" is the generic card (it says nothing about the link).
 * @example parseLinkPolicy('{"preview":"none"}').preview // "none"
 */
export function parseLinkPolicy(text: string): LinkPolicy {
  if (text === "{}" || text === "") return DEFAULT_POLICY;
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== "object" || value === null) return DEFAULT_POLICY;
    const { preview, template } = value as Record<string, unknown>;
    return { preview: preview === "none" ? "none" : "card", template: typeof template === "string" ? template : null };
  } catch {
    return DEFAULT_POLICY;
  }
}

/**
 * The policy text to store for a new link's choices; the defaults are stored as "{}" (the same as before any
 * choice existed), so only a deliberate choice shows up in the column.
 * `extra` carries the recipient-policy fields of ./policy.ts (allow_ip, deny_ip, passphrase).
 * @example policyText({ preview: "none" }) // '{"preview":"none"}'
 */
export function policyText(choices: Partial<LinkPolicy>, extra: Record<string, unknown> = {}): string {
  const out: Record<string, unknown> = {};
  if (choices.preview !== undefined && choices.preview !== DEFAULT_POLICY.preview) out.preview = choices.preview;
  if (typeof choices.template === "string") out.template = choices.template;
  return JSON.stringify({ ...out, ...extra });
}
