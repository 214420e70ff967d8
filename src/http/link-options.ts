import type { Static } from "@fastify/type-provider-typebox";
import type { Config } from "../config.js";
import type { ErrorCode } from "../core/errors.js";
import { resolveTtl } from "../core/link.js";
import { policyText } from "../core/link-policy.js";
import { PASSPHRASE_PROOF_BYTES, policyFields, type Policy } from "../core/policy.js";
import { sha256 } from "../crypto/hash.js";
import { validCidrs } from "./ip-rules.js";
import type { LinkOptionsBody } from "./schemas.js";

/** A new link's lifetime and stored policy text, or the error that refuses them. */
export type LinkOptions = { ok: true; ttlSeconds: number; policy: string } | { ok: false; code: ErrorCode; message?: string };

/**
 * Checks the options every new link takes (`ttl`, `preview`, `policy`), shared by text links (`POST /api/v1/links`)
 * and file links (`POST /api/v1/files/{upload}/finish`): the recipient policy is validated and stored as its hashes.
 * @example const options = linkOptions(request.body, config); if (!options.ok) return sendError(reply, options.code);
 */
export function linkOptions(body: Static<typeof LinkOptionsBody>, config: Config): LinkOptions {
  const { ttl, preview, policy: policyBody } = body;
  const recipientPolicy: Policy = {};
  if (policyBody !== undefined) {
    const { allow_ip: allowIp = [], deny_ip: denyIp = [], passphrase } = policyBody;
    if (!validCidrs(allowIp) || !validCidrs(denyIp)) return { ok: false, code: "POLICY_INVALID" };
    if (allowIp.length > 0) recipientPolicy.allowIp = allowIp.map((c) => c.trim());
    if (denyIp.length > 0) recipientPolicy.denyIp = denyIp.map((c) => c.trim());
    if (passphrase !== undefined) {
      const proof = Buffer.from(passphrase.proof, "base64url");
      if (proof.length !== PASSPHRASE_PROOF_BYTES || proof.toString("base64url") !== passphrase.proof) return { ok: false, code: "POLICY_INVALID" };
      recipientPolicy.passphrase = { salt: passphrase.salt, proofHash: sha256(proof).toString("base64url") };
    }
  }
  const ttlSeconds = resolveTtl(ttl, {
    defaultSeconds: config.defaultTtlSeconds,
    maxSeconds: config.maxTtlSeconds,
    minSeconds: config.minTtlSeconds,
  });
  if (ttlSeconds === null) {
    return { ok: false, code: "TTL_INVALID", message: `The lifetime must be between ${config.minTtlSeconds} and ${config.maxTtlSeconds} seconds.` };
  }
  return { ok: true, ttlSeconds, policy: policyText({ preview }, policyFields(recipientPolicy)) };
}
