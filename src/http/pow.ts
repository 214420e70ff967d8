import { randomInt } from "node:crypto";
import { createChallenge, type Challenge, type ChallengeParameters, type Solution } from "altcha-lib";
import { deriveKey } from "altcha-lib/algorithms/sha";
import { toBase64Url } from "../core/base64url.js";
import { powMaxNumber, type FrictionLevel } from "../core/friction.js";
import { hmacSha256, safeEqual, sha256 } from "../crypto/hash.js";

/** Issues and checks ALTCHA v2 proof-of-work challenges bound to one link. */
export interface PowService {
  /**
   * A new signed challenge for the link with this id hash. Above friction "none" the work is RAISED_POW_FACTOR
   * times larger; the level is signed into the challenge (`data.f`), so the session step knows what it asked for.
   */
  issue(linkIdHash: Uint8Array, now: number, friction?: FrictionLevel): Promise<Challenge>;
  /**
   * Checks a payload for the link; on success returns the challenge's single-use hash, its expiry (the caller
   * records it atomically with the session) and the friction level it was issued at, otherwise null.
   */
  verify(payload: unknown, linkIdHash: Uint8Array, now: number): Promise<VerifiedPow | null>;
  /**
   * Checks an issued challenge (not a solution) for the link: our signature, this link, unexpired. Returns the same
   * single-use hash that `verify` will return for its solution, or null. Lets a passkey ceremony be bound to the
   * challenge before the work is done.
   */
  inspect(challenge: unknown, linkIdHash: Uint8Array, now: number): { challengeHash: Uint8Array; expiresAt: number } | null;
}

/** A proof of work that checked out. */
export interface VerifiedPow {
  challengeHash: Uint8Array;
  expiresAt: number;
  friction: FrictionLevel;
}

const FRICTION_LEVELS: ReadonlySet<string> = new Set<FrictionLevel>(["none", "raised", "confirm"]);

interface Payload {
  challenge: Challenge;
  solution: Solution;
}

const HEX = /^(?:[0-9a-f]{2})+$/;
const MAX_COUNTER = 0xffffffff;

/**
 * Bounds of the parameters of a real challenge (ours carry 8 fields, `data` 2): scalars, and scalars one level down
 * in `data` only. Short strings: ours are hex nonces and salts, a base64url tag and a friction level.
 */
const MAX_PARAMETER_FIELDS = 16;
const MAX_PARAMETER_TEXT = 512;

type Scalar = string | number | boolean | null;

function isScalar(value: unknown): value is Scalar {
  return value === null || typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value)) ||
    (typeof value === "string" && value.length <= MAX_PARAMETER_TEXT);
}

/** The fields of a plain object with at most MAX_PARAMETER_FIELDS of them, else null. */
function fieldsOf(value: unknown): [string, unknown][] | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const fields = Object.entries(value);
  return fields.length <= MAX_PARAMETER_FIELDS ? fields : null;
}

/**
 * Whether client-sent parameters have the shape of a real challenge's, checked two levels down and no further: the
 * signature check walks them recursively (canonicalJson, JSON.stringify), and a body of deeply nested objects or
 * arrays would overflow the stack there (a RangeError, a 500) before the signature could refuse them.
 */
function isParametersShape(value: unknown): value is ChallengeParameters {
  const fields = fieldsOf(value);
  if (fields === null) return false;
  return fields.every(([name, field]) => isScalar(field) || (name === "data" && (fieldsOf(field)?.every(([, v]) => isScalar(v)) ?? false)));
}

/**
 * ALTCHA's canonical form of the signed parameters: keys sorted at every level, undefined values dropped. Recursive:
 * only for our own parameters, or client-sent ones that passed isParametersShape (two levels at most).
 */
function canonicalJson(value: unknown): string {
  const sort = (v: unknown): unknown =>
    typeof v === "object" && v !== null && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
            .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
        )
      : v;
  return JSON.stringify(sort(value));
}

function parsePayload(payload: unknown): Payload | null {
  let value: unknown = payload;
  if (typeof payload === "string") {
    if (payload.length > 8192) return null;
    try {
      value = JSON.parse(Buffer.from(payload, "base64").toString("utf8"));
    } catch {
      return null;
    }
  }
  if (typeof value !== "object" || value === null) return null;
  const { challenge, solution } = value as Record<string, unknown>;
  if (typeof challenge !== "object" || challenge === null || typeof solution !== "object" || solution === null) return null;
  const { parameters, signature } = challenge as Record<string, unknown>;
  if (typeof parameters !== "object" || parameters === null || typeof signature !== "string") return null;
  const { counter, derivedKey } = solution as Record<string, unknown>;
  if (typeof derivedKey !== "string" || !HEX.test(derivedKey) || derivedKey.length > 256) return null;
  if (typeof counter !== "number" || !Number.isInteger(counter) || counter < 0 || counter > MAX_COUNTER) return null;
  return { challenge: challenge as Challenge, solution: { counter, derivedKey } };
}

/** The ALTCHA v2 password for a counter: the nonce bytes followed by the counter as a big-endian uint32. */
function password(nonceHex: string, counter: number): Uint8Array {
  const nonce = Buffer.from(nonceHex, "hex");
  const out = Buffer.alloc(nonce.length + 4);
  nonce.copy(out);
  out.writeUInt32BE(counter, nonce.length);
  return out;
}

/** The HMAC secret, in altcha-lib's string form, derived from the service key. */
export function altchaSecret(hmacKey: Uint8Array): string {
  return hmacSha256(hmacKey, "altcha-signature").toString("hex");
}

/**
 * Builds the proof-of-work service: ALTCHA v2 challenges (SHA-256, deterministic mode) made with altcha-lib and
 * signed and verified here with node:crypto. altcha-lib signs with WebCrypto, and in Node every `crypto.subtle`
 * call is a thread-pool round trip (0.5-1 ms per verification, measured), which would cap the session step near
 * 1-2k/s; its PBKDF2 mode costs ~7 ms. The signature format is altcha's own (HMAC-SHA-256 over the canonical JSON
 * of the parameters, hex), so altcha-lib's `verifySolution` accepts these challenges too (tested).
 */
export function createPowService(opts: { hmacKey: Uint8Array; maxNumber: number; ttlSeconds: number }): PowService {
  // altcha-lib takes its HMAC secret as a string and uses its UTF-8 bytes; keeping that convention lets altcha's
  // own verifier check our signatures (see pow.test.ts).
  const signKey = Buffer.from(altchaSecret(opts.hmacKey), "utf8");
  const bindKey = hmacSha256(opts.hmacKey, "bind");
  // Keyed, so a challenge says nothing about the link to anyone without the server key.
  const bindTag = (linkIdHash: Uint8Array) => toBase64Url(hmacSha256(bindKey, linkIdHash).subarray(0, 16));
  const sign = (parameters: ChallengeParameters) => hmacSha256(signKey, canonicalJson(parameters)).toString("hex");
  /** Whether client-sent parameters are ours, unchanged; anything out of shape is refused before it is walked. */
  const signedByUs = (parameters: unknown, signature: string): parameters is ChallengeParameters =>
    HEX.test(signature) && isParametersShape(parameters) &&
    safeEqual(Buffer.from(sign(parameters), "hex"), Buffer.from(signature, "hex"));

  return {
    async issue(linkIdHash, now, friction = "none") {
      const { parameters } = await createChallenge({
        algorithm: "SHA-256",
        cost: 1,
        counter: randomInt(0, powMaxNumber(opts.maxNumber, friction) + 1),
        deriveKey,
        expiresAt: Math.floor(now / 1000) + opts.ttlSeconds,
        data: { l: bindTag(linkIdHash), f: friction },
      });
      const canonical = JSON.parse(canonicalJson(parameters)) as ChallengeParameters;
      return { parameters: canonical, signature: sign(canonical) };
    },

    inspect(challenge, linkIdHash, now) {
      if (typeof challenge !== "object" || challenge === null) return null;
      const { parameters: params, signature } = challenge as Record<string, unknown>;
      if (typeof signature !== "string" || !signedByUs(params, signature)) return null;
      if (params.algorithm !== "SHA-256" || params.cost !== 1 || params.data?.l !== bindTag(linkIdHash)) return null;
      const expiresAt = typeof params.expiresAt === "number" ? params.expiresAt * 1000 : 0;
      if (expiresAt <= now) return null;
      return { challengeHash: sha256(signature), expiresAt };
    },

    async verify(payload, linkIdHash, now) {
      const parsed = parsePayload(payload);
      if (!parsed) return null;
      const { parameters, signature } = parsed.challenge;
      if (typeof signature !== "string" || !signedByUs(parameters, signature)) return null;
      // The parameters are ours (signed): only now are their fields worth reading.
      if (parameters.algorithm !== "SHA-256" || parameters.cost !== 1 || parameters.data?.l !== bindTag(linkIdHash)) return null;
      const expiresAt = typeof parameters.expiresAt === "number" ? parameters.expiresAt * 1000 : 0;
      if (expiresAt <= now) return null;
      const { derivedKey } = await deriveKey(
        parameters,
        Buffer.from(parameters.salt, "hex"),
        password(parameters.nonce, parsed.solution.counter),
      );
      const key = Buffer.from(derivedKey);
      const prefix = Buffer.from(parameters.keyPrefix, "hex");
      if (!safeEqual(key, Buffer.from(parsed.solution.derivedKey, "hex"))) return null;
      if (!safeEqual(key.subarray(0, prefix.length), prefix)) return null;
      const f = parameters.data?.f;
      const level: FrictionLevel = typeof f === "string" && FRICTION_LEVELS.has(f) ? (f as FrictionLevel) : "none";
      return { challengeHash: sha256(signature), expiresAt, friction: level };
    },
  };
}
