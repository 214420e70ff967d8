import { randomInt } from "node:crypto";
import { createChallenge, verifySolution, type Challenge, type Solution } from "altcha-lib";
import { deriveKey } from "altcha-lib/algorithms/sha";
import { toBase64Url } from "../core/base64url.js";
import { hmacSha256, sha256 } from "../crypto/hash.js";

/** Issues and checks ALTCHA v2 proof-of-work challenges bound to one link. */
export interface PowService {
  /** A new challenge for the link with this id hash. */
  issue(linkIdHash: Uint8Array, now: number): Promise<Challenge>;
  /**
   * Checks a payload for the link; on success returns the challenge's single-use hash and its expiry
   * (the caller records it atomically with the session), otherwise null.
   */
  verify(payload: unknown, linkIdHash: Uint8Array, now: number): Promise<{ challengeHash: Uint8Array; expiresAt: number } | null>;
}

interface Payload {
  challenge: Challenge;
  solution: Solution;
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
  const { challenge, solution } = value as Partial<Payload>;
  if (typeof challenge !== "object" || challenge === null || typeof solution !== "object" || solution === null) return null;
  const params = (challenge as Challenge).parameters;
  if (typeof params !== "object" || params === null || typeof (challenge as Challenge).signature !== "string") return null;
  return { challenge: challenge as Challenge, solution: solution as Solution };
}

/**
 * Builds the proof-of-work service. SHA-256 with node:crypto hashing: altcha's PBKDF2 mode costs the server
 * ~7 ms per verification, and WebCrypto hashing a thread-pool round trip per call.
 */
export function createPowService(opts: { hmacKey: Uint8Array; maxNumber: number; ttlSeconds: number }): PowService {
  const secret = toBase64Url(opts.hmacKey);
  const bindKey = hmacSha256(opts.hmacKey, "bind");
  // The binding tag is keyed, so a challenge says nothing about the link to anyone without the server key.
  const bindTag = (linkIdHash: Uint8Array) => toBase64Url(hmacSha256(bindKey, linkIdHash).subarray(0, 16));
  return {
    async issue(linkIdHash, now) {
      return createChallenge({
        algorithm: "SHA-256",
        cost: 1,
        counter: randomInt(0, opts.maxNumber + 1),
        deriveKey,
        expiresAt: Math.floor(now / 1000) + opts.ttlSeconds,
        hmacSignatureSecret: secret,
        data: { l: bindTag(linkIdHash) },
      });
    },
    async verify(payload, linkIdHash, now) {
      const parsed = parsePayload(payload);
      if (!parsed) return null;
      const params = parsed.challenge.parameters;
      if (params.algorithm !== "SHA-256" || params.cost !== 1 || params.data?.l !== bindTag(linkIdHash)) return null;
      const expiresAt = typeof params.expiresAt === "number" ? params.expiresAt * 1000 : 0;
      if (expiresAt <= now) return null;
      let result;
      try {
        result = await verifySolution({
          challenge: parsed.challenge,
          solution: parsed.solution,
          deriveKey,
          hmacSignatureSecret: secret,
        });
      } catch {
        return null;
      }
      if (!result.verified) return null;
      return { challengeHash: sha256(parsed.challenge.signature!), expiresAt };
    },
  };
}
