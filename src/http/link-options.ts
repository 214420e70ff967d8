import type { Static } from "@fastify/type-provider-typebox";
import type { Config } from "../config.js";
import { parseCountryCodes } from "../core/countries.js";
import type { ErrorCode } from "../core/errors.js";
import { policyText } from "../core/link-policy.js";
import { PASSPHRASE_PROOF_BYTES, normalizePasskeyHandle, policyFields } from "../core/policy.js";
import { resolveCreate, type CreateChoices, type PolicySetup } from "../core/templates.js";
import { sha256 } from "../crypto/hash.js";
import type { PasskeyStore } from "../store/passkey-store.js";
import { cidrWithin, validCidrs } from "./ip-rules.js";
import type { LinkOptionsBody } from "./schemas.js";

/** A new link's lifetime, stored policy text and number of recipients, or the error that refuses them. */
export type LinkOptions =
  | { ok: true; ttlSeconds: number; policy: string; recipients: number }
  | { ok: false; code: ErrorCode; message?: string };

/**
 * Checks the options every new link takes (`ttl`, `preview`, `policy`, `template`, `recipients`, `passkey`,
 * `passkey_handle`, `passphrase_fallback`), shared by text links (`POST /api/v1/links`) and file links
 * (`POST /api/v1/files/{upload}/finish`), so both honour the same template, instance minimums, address and country
 * rules, passphrase and passkey: the sender's choices are checked for shape, the template fills what they leave
 * out, anything weaker than the template or the minimums is refused, and the recipient policy is stored as its
 * hashes (never the passphrase proof itself). A passkey handle must already be enrolled (`passkeys.getPasskey`).
 * @example const options = await linkOptions(request.body, config, deps.policySetup, store); if (!options.ok) return sendError(reply, options.code);
 */
export async function linkOptions(
  body: Static<typeof LinkOptionsBody>,
  config: Config,
  setup: PolicySetup,
  passkeys: Pick<PasskeyStore, "getPasskey">,
): Promise<LinkOptions> {
  const {
    ttl,
    preview,
    policy: policyBody,
    template,
    recipients = 1,
    passkey,
    passkey_handle: handleText,
    passphrase_fallback: fallback,
  } = body;
  const choices: CreateChoices = {};
  if (template !== undefined) choices.template = template;
  if (ttl !== undefined) choices.ttl = ttl;
  if (preview !== undefined) choices.preview = preview;
  if (passkey !== undefined && handleText !== undefined) {
    return { ok: false, code: "POLICY_INVALID", message: "Send passkey or passkey_handle, not both." };
  }
  if (passkey === "required") choices.passkey = { mode: "required" };
  if (handleText !== undefined) {
    const handle = normalizePasskeyHandle(handleText);
    if (handle === null) return { ok: false, code: "HANDLE_INVALID" };
    // Only an enrolled handle: a link for a free handle would open for whoever enrolled it first.
    if ((await passkeys.getPasskey(handle)) === null) return { ok: false, code: "HANDLE_UNKNOWN" };
    choices.passkey = { mode: "recipient", handle };
  }
  if (fallback === true) choices.passphraseFallback = true;
  if (policyBody !== undefined) {
    const { allow_ip: allowIp = [], deny_ip: denyIp = [], allow_country: allowCountry, passphrase } = policyBody;
    if (!validCidrs(allowIp) || !validCidrs(denyIp)) return { ok: false, code: "POLICY_INVALID" };
    if (allowIp.length > 0) choices.allowIp = allowIp.map((c) => c.trim());
    if (denyIp.length > 0) choices.denyIp = denyIp.map((c) => c.trim());
    if (allowCountry !== undefined) {
      const codes = parseCountryCodes(allowCountry);
      if (codes === null) return { ok: false, code: "POLICY_INVALID", message: "The countries must be ISO 3166-1 alpha-2 codes such as DE or FR." };
      choices.allowCountry = codes;
    }
    if (passphrase !== undefined) {
      const proof = Buffer.from(passphrase.proof, "base64url");
      if (proof.length !== PASSPHRASE_PROOF_BYTES || proof.toString("base64url") !== passphrase.proof) return { ok: false, code: "POLICY_INVALID" };
      choices.passphrase = { salt: passphrase.salt, proofHash: sha256(proof).toString("base64url") };
    }
  }
  // The template's values fill what the request left out; the minimums bind every link. Weaker is refused.
  const resolved = resolveCreate(
    choices,
    setup,
    { minTtlSeconds: config.minTtlSeconds, maxTtlSeconds: config.maxTtlSeconds, defaultTtlSeconds: config.defaultTtlSeconds },
    cidrWithin,
  );
  if (!resolved.ok) return { ok: false, code: resolved.code, message: resolved.message };
  return {
    ok: true,
    ttlSeconds: resolved.ttlSeconds,
    policy: policyText({ preview: resolved.preview, template: resolved.template }, policyFields(resolved.policy)),
    recipients,
  };
}
