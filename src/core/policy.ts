import { fromBase64Url } from "./base64url.js";

// The recipient policy of a link: who may open it and what they must prove, evaluated once, in the session step,
// before anything is redeemed or consumed. Pure: time, the client address and the proofs are passed in, and address
// matching is handed in by the caller (the HTTP layer uses node:net's BlockList), so this module does no I/O.

/**
 * Argon2id parameters of the passphrase proof, the same in the browser and the CLI (hash-wasm). m = 19 MiB, t = 2,
 * p = 1 (the OWASP minimum for Argon2id) keeps a phone under about a second; the output is 64 bytes: the first 32
 * are the proof sent to the server, the last 32 enter the content key of a client-encrypted link and never leave
 * the client.
 */
export const PASSPHRASE_PARAMS = Object.freeze({ algorithm: "argon2id", memory_kib: 19456, iterations: 2, parallelism: 1, hash_length: 64 } as const);

/** Bytes of the per-link passphrase salt and of the proof. */
export const PASSPHRASE_SALT_BYTES = 16;
export const PASSPHRASE_PROOF_BYTES = 32;

/** The passphrase part of a stored policy: the salt the client needs and a SHA-256 of the proof, never the proof. */
export interface PassphrasePolicy {
  /** base64url salt, handed to the recipient's page by GET /api/v1/links/{id}. */
  salt: string;
  /** base64url SHA-256 of the proof. */
  proofHash: string;
}

/**
 * The passkey part of a policy. "required": whoever opens must complete a WebAuthn ceremony with user verification
 * at the click (any authenticator; it proves a person unlocked one, not who they are). "recipient": only the
 * credential enrolled under `handle` opens the link. Stored as {"mode":"required"} or {"mode":"recipient","handle"}.
 */
export type PasskeyPolicy = { mode: "required" } | { mode: "recipient"; handle: string };

/** The rules a link's recipient must satisfy. Every part is optional; an empty policy asks for nothing. */
export interface Policy {
  /** CIDRs (or single addresses) the client must be in; empty or absent: any address. */
  allowIp?: readonly string[];
  /** CIDRs (or single addresses) the client must not be in. */
  denyIp?: readonly string[];
  /**
   * ISO 3166-1 alpha-2 codes the client address must resolve to; empty or absent: any country. An address the
   * country database cannot place (private, loopback, unknown) is refused.
   */
  allowCountry?: readonly string[];
  passphrase?: PassphrasePolicy;
  passkey?: PasskeyPolicy;
  /**
   * With a passkey and a passphrase: the right passphrase may replace the passkey ceremony (and a passkey then
   * replaces the passphrase: either one opens). Without it, a link with both asks for both.
   */
  passphraseFallback?: boolean;
}

/** A WebAuthn ceremony the HTTP layer has already verified (challenge, origin, RP ID, signature, user verification). */
export interface PasskeyProof {
  /** SHA-256 of the credential id that signed. */
  credentialIdHash: Uint8Array;
  /** The handle that credential is enrolled under, or null for a credential made at this click. */
  handle: string | null;
}

/** What the recipient brought to the session step. */
export interface PolicyProofs {
  /** SHA-256 of the passphrase proof the client sent, or null if it sent none. */
  passphraseProofHash: Uint8Array | null;
  /** A verified passkey ceremony, or null when none was sent (or the one sent did not verify). */
  passkey: PasskeyProof | null;
}

/** The facts a policy is judged against. */
export interface PolicyContext {
  /** The client address as the HTTP layer sees it (TRUST_PROXY applies). */
  clientIp: string;
  proofs: PolicyProofs;
  now: number;
  /** True when `ip` falls in one of `cidrs` (each already validated at create). */
  ipIn(cidrs: readonly string[], ip: string): boolean;
  /** The ISO 3166-1 alpha-2 country of `ip`, or null when it has none (private, loopback, not in the database). */
  countryOf(ip: string): string | null;
}

export type PolicyRefusal =
  | "ip-denied"
  | "country-denied"
  | "passphrase-required"
  | "passphrase-incorrect"
  | "passkey-required"
  | "passkey-mismatch";
export type PolicyDecision = { ok: true } | { ok: false; reason: PolicyRefusal };

/** Compares two byte strings in time that depends only on their lengths. */
function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** The passphrase check on its own: a missing proof is "required", a different one "incorrect". */
function checkPassphrase(passphrase: PassphrasePolicy, proofHash: Uint8Array | null): PolicyDecision {
  if (proofHash === null) return { ok: false, reason: "passphrase-required" };
  const stored = fromBase64Url(passphrase.proofHash);
  if (stored === null || !constantTimeEqual(proofHash, stored)) return { ok: false, reason: "passphrase-incorrect" };
  return { ok: true };
}

/** Whether a verified ceremony satisfies the link's passkey rule; a recipient link wants its handle's credential. */
function passkeyMatches(rule: PasskeyPolicy, proof: PasskeyProof): boolean {
  if (rule.mode === "required") return proof.credentialIdHash.length === 32;
  // Handles are at least 3 characters, so the fail-closed "" of a malformed stored policy matches nobody.
  return rule.handle.length >= 3 && proof.handle === rule.handle;
}

/**
 * THE policy decision of the session step. Where the client is comes first (address rules, then its country: a
 * refused place learns nothing about a passphrase or a passkey), then the passkey, then the passphrase. A link with
 * both a passkey and a passphrase asks for both, unless its policy allows the fallback: then either one opens it. A
 * passkey rule opens only with a verified ceremony (fail closed). A refusal changes nothing; counting a wrong
 * passphrase is the caller's job.
 * @example evaluatePolicy({ denyIp: ["10.0.0.0/8"] }, ctx).ok // false when ctx.clientIp is 10.1.2.3
 */
export function evaluatePolicy(policy: Readonly<Policy>, context: PolicyContext): PolicyDecision {
  const { clientIp, proofs, ipIn } = context;
  if (policy.denyIp !== undefined && policy.denyIp.length > 0 && ipIn(policy.denyIp, clientIp)) return { ok: false, reason: "ip-denied" };
  if (policy.allowIp !== undefined && policy.allowIp.length > 0 && !ipIn(policy.allowIp, clientIp)) return { ok: false, reason: "ip-denied" };
  if (policy.allowCountry !== undefined && policy.allowCountry.length > 0) {
    const country = context.countryOf(clientIp);
    if (country === null || !policy.allowCountry.includes(country)) return { ok: false, reason: "country-denied" };
  }
  const fallback = policy.passphraseFallback === true && policy.passphrase !== undefined;
  if (policy.passkey !== undefined) {
    const ceremony = proofs.passkey;
    if (ceremony !== null) {
      if (!passkeyMatches(policy.passkey, ceremony)) return { ok: false, reason: "passkey-mismatch" };
      // Either factor opens a fallback link: the passkey did.
      if (fallback) return { ok: true };
    } else if (fallback && proofs.passphraseProofHash !== null) {
      return checkPassphrase(policy.passphrase!, proofs.passphraseProofHash);
    } else {
      return { ok: false, reason: "passkey-required" };
    }
  }
  if (policy.passphrase !== undefined) return checkPassphrase(policy.passphrase, proofs.passphraseProofHash);
  return { ok: true };
}

/** What a recipient's page is told about a link's passkey rule: the kind of ceremony, never the handle. */
export interface PasskeyRequirement {
  mode: "required" | "recipient";
  /** The passphrase may replace the passkey (and is then not mixed into the content key). */
  passphrase_fallback: boolean;
}

/** What a recipient's page is told it will be asked. */
export interface PolicyRequirements {
  passphrase?: { salt: string; params: typeof PASSPHRASE_PARAMS };
  passkey?: PasskeyRequirement;
}

/**
 * What the recipient's page is told it will be asked: never the address or country lists, never the proof hash,
 * never a passkey handle.
 */
export function policyRequirements(policy: Readonly<Policy>): PolicyRequirements {
  const out: PolicyRequirements = {};
  if (policy.passphrase !== undefined) out.passphrase = { salt: policy.passphrase.salt, params: PASSPHRASE_PARAMS };
  if (policy.passkey !== undefined) {
    out.passkey = { mode: policy.passkey.mode, passphrase_fallback: policy.passphraseFallback === true && policy.passphrase !== undefined };
  }
  return out;
}

const stringList = (value: unknown): string[] | undefined =>
  Array.isArray(value) && value.every((v) => typeof v === "string") ? (value as string[]) : undefined;

/**
 * Reads the recipient policy from a link's stored policy JSON (keys allow_ip, deny_ip, allow_country, passphrase
 * {salt, proof_hash}, passkey {mode, handle}, passphrase_fallback).
 * Malformed text is a bug (only we write it): it yields a policy that refuses every address rather than none.
 */
export function parsePolicy(text: string): Policy {
  if (text === "{}" || text === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { denyIp: ["0.0.0.0/0", "::/0"] };
  }
  if (typeof value !== "object" || value === null) return { denyIp: ["0.0.0.0/0", "::/0"] };
  const record = value as Record<string, unknown>;
  const policy: Policy = {};
  const allow = stringList(record.allow_ip);
  const deny = stringList(record.deny_ip);
  if (allow) policy.allowIp = allow;
  if (deny) policy.denyIp = deny;
  if (record.allow_country !== undefined) {
    // A country rule we cannot read must still refuse: an impossible code matches no address.
    policy.allowCountry = stringList(record.allow_country) ?? ["--"];
  }
  const pass = record.passphrase as Record<string, unknown> | undefined;
  if (pass && typeof pass.salt === "string" && typeof pass.proof_hash === "string") {
    policy.passphrase = { salt: pass.salt, proofHash: pass.proof_hash };
  }
  if (record.passkey !== undefined) policy.passkey = parsePasskeyPolicy(record.passkey);
  if (record.passphrase_fallback === true) policy.passphraseFallback = true;
  return policy;
}

/**
 * The stored passkey rule. Anything unreadable fails closed: a recipient rule whose empty handle matches no
 * credential, so the link cannot be opened rather than opened without a passkey.
 */
function parsePasskeyPolicy(value: unknown): PasskeyPolicy {
  if (typeof value === "object" && value !== null) {
    const { mode, handle } = value as Record<string, unknown>;
    if (mode === "required") return { mode: "required" };
    if (mode === "recipient" && typeof handle === "string" && isPasskeyHandle(handle)) return { mode: "recipient", handle };
  }
  return { mode: "recipient", handle: "" };
}

/** Shape of a passkey handle: 3 to 64 characters of a-z, 0-9, ".", "_", "@" and "-" (already case-folded). */
export const PASSKEY_HANDLE = /^[a-z0-9._@-]{3,64}$/;

/** True for a well-formed, case-folded handle. */
export function isPasskeyHandle(text: string): boolean {
  return PASSKEY_HANDLE.test(text);
}

/**
 * A handle as a sender or an operator typed it, case-folded and checked; null when it is not a valid handle.
 * @example normalizePasskeyHandle(" Alice@Example.org ") // "alice@example.org"
 */
export function normalizePasskeyHandle(text: string): string | null {
  const folded = text.trim().toLowerCase();
  return isPasskeyHandle(folded) ? folded : null;
}

/** The stored JSON fields of a recipient policy, to merge into the link's policy text. */
export function policyFields(policy: Readonly<Policy>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (policy.allowIp && policy.allowIp.length > 0) out.allow_ip = policy.allowIp;
  if (policy.denyIp && policy.denyIp.length > 0) out.deny_ip = policy.denyIp;
  if (policy.allowCountry && policy.allowCountry.length > 0) out.allow_country = policy.allowCountry;
  if (policy.passphrase) out.passphrase = { salt: policy.passphrase.salt, proof_hash: policy.passphrase.proofHash };
  if (policy.passkey) out.passkey = policy.passkey.mode === "required" ? { mode: "required" } : { mode: "recipient", handle: policy.passkey.handle };
  if (policy.passphraseFallback === true) out.passphrase_fallback = true;
  return out;
}
