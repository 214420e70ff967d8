import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from "@simplewebauthn/server";
import type * as SimpleWebAuthnServer from "@simplewebauthn/server";
import { hmacSha256, sha256 } from "../crypto/hash.js";
import type { EnrolledPasskey } from "../store/passkey-store.js";

// WebAuthn for the two passkey rules, verified with @simplewebauthn/server. Every challenge is derived, not stored:
// an HMAC under a server key over what it must be bound to. The challenge of an open covers the link, the
// proof-of-work challenge (which the session step redeems exactly once, so the WebAuthn challenge is single-use too)
// and the device key the session will be bound to; the challenge of an enrolment covers its one-time token, which the
// enrolment spends. Nothing about a ceremony has to be remembered between the two requests, on any node.

// Loaded on first use: the library and its ASN.1 dependencies cost ~0.5 s of start-up, which every server start and
// operator command would pay for a feature most links never touch.
let library: Promise<typeof SimpleWebAuthnServer> | null = null;
const simpleWebAuthn = () => (library ??= import("@simplewebauthn/server"));

/** COSE algorithms offered at registration: Ed25519, P-256 and RSA (what @simplewebauthn verifies without extras). */
const ALGORITHMS = [-8, -7, -257];
/** How long the browser lets the person take over the passkey prompt. */
const CEREMONY_TIMEOUT_MS = 120_000;

/** A credential a registration ceremony produced. */
export interface NewCredential {
  credentialId: Uint8Array;
  publicKey: Uint8Array;
  counter: number;
  /** What the browser reported through the credProps extension (a hint for building later options only). */
  discoverable: boolean;
  transports: string[];
}

/** A verified assertion: the credential that signed and its new signature counter. */
export interface VerifiedAssertion {
  newCounter: number;
}

/** The ceremony a page must run: "create" (navigator.credentials.create) or "get". */
export type CeremonyOptions =
  | { ceremony: "create"; options: PublicKeyCredentialCreationOptionsJSON }
  | { ceremony: "get"; options: PublicKeyCredentialRequestOptionsJSON };

export interface PasskeyService {
  /** The relying party: the host of PUBLIC_URL, and its origin. */
  readonly rpId: string;
  readonly origin: string;
  /** The challenge of an open: bound to the link, the proof-of-work challenge and the device key's binding. */
  openChallenge(linkIdHash: Uint8Array, powChallengeHash: Uint8Array, deviceBinding: Uint8Array): Buffer;
  /** The challenge of an enrolment: bound to its one-time token (by hash). */
  enrolChallenge(enrolHash: Uint8Array): Buffer;
  /**
   * Options for "passkey required": a registration with user verification, a throwaway user and no attestation.
   * Registering is the one ceremony that works for a recipient we never met; the credential is discarded.
   */
  openCreationOptions(challenge: Uint8Array): Promise<CeremonyOptions>;
  /** Options for a recipient-bound link: an assertion with user verification, by the handle's credential. */
  openRequestOptions(challenge: Uint8Array, passkey: EnrolledPasskey | null): Promise<CeremonyOptions>;
  /** Options for enrolling a passkey under `handle` (resident key preferred, user verification required). */
  enrolOptions(challenge: Uint8Array, handle: string): Promise<CeremonyOptions>;
  /** Verifies a registration against `challenge` (user verification required); null for anything that fails. */
  verifyCreation(response: unknown, challenge: Uint8Array): Promise<NewCredential | null>;
  /** Verifies an assertion by `passkey` against `challenge` (user verification required); null on any failure. */
  verifyAssertion(response: unknown, challenge: Uint8Array, passkey: EnrolledPasskey): Promise<VerifiedAssertion | null>;
}

/** The raw credential id a ceremony response names (its `rawId`, else `id`), or null when it is not base64url. */
export function responseCredentialId(response: unknown): Buffer | null {
  if (typeof response !== "object" || response === null) return null;
  const { rawId, id } = response as Record<string, unknown>;
  const text = typeof rawId === "string" ? rawId : id;
  if (typeof text !== "string" || text.length === 0 || text.length > 1400 || !/^[A-Za-z0-9_-]+$/.test(text)) return null;
  const bytes = Buffer.from(text, "base64url");
  return bytes.toString("base64url") === text ? bytes : null;
}

/** The binding of a passkey session: the device key and the credential together (32 bytes, the token's slot). */
export function passkeyBinding(deviceKeyRaw: Uint8Array, credentialIdHash: Uint8Array): Buffer {
  return sha256(Buffer.concat([Buffer.from("oncelink/passkey-binding/v1\n"), deviceKeyRaw, credentialIdHash]));
}

/**
 * Builds the passkey service for the server at `publicUrl` (its host is the RP ID; browsers accept a domain name,
 * `localhost` included, but not an IP address). `hmacKey` is a subkey of the keyring.
 */
export function createPasskeyService(opts: { publicUrl: string; hmacKey: Uint8Array }): PasskeyService {
  const url = new URL(opts.publicUrl);
  const rpId = url.hostname;
  const origin = url.origin;
  const challengeKey = hmacSha256(opts.hmacKey, "challenge");
  const userKey = hmacSha256(opts.hmacKey, "user-handle");
  const derive = (label: string, ...parts: Uint8Array[]) => {
    // Fixed-length parts only, after a label: no two inputs can run together.
    return hmacSha256(challengeKey, Buffer.concat([Buffer.from(label), ...parts]));
  };
  const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64url");

  return {
    rpId,
    origin,

    openChallenge(linkIdHash, powChallengeHash, deviceBinding) {
      return derive("open/v1\n", linkIdHash, powChallengeHash, deviceBinding);
    },

    enrolChallenge(enrolHash) {
      return derive("enrol/v1\n", enrolHash);
    },

    async openCreationOptions(challenge) {
      const { generateRegistrationOptions } = await simpleWebAuthn();
      const options = await generateRegistrationOptions({
        rpName: "oncelink",
        rpID: rpId,
        userName: "oncelink one-time link",
        userDisplayName: "oncelink one-time link",
        challenge: new Uint8Array(challenge),
        timeout: CEREMONY_TIMEOUT_MS,
        attestationType: "none",
        authenticatorSelection: { residentKey: "discouraged", userVerification: "required" },
        supportedAlgorithmIDs: ALGORITHMS,
      });
      return { ceremony: "create", options };
    },

    async openRequestOptions(challenge, passkey) {
      // A discoverable credential is found by the browser without its id: the id (which would tie links to the same
      // recipient together) then stays off the wire, and the person picks among their passkeys for this site.
      const allow = passkey !== null && !passkey.discoverable ? [{ id: b64(passkey.credentialId), transports: passkey.transports }] : [];
      const { generateAuthenticationOptions } = await simpleWebAuthn();
      const options = await generateAuthenticationOptions({
        rpID: rpId,
        challenge: new Uint8Array(challenge),
        timeout: CEREMONY_TIMEOUT_MS,
        userVerification: "required",
        allowCredentials: allow,
      });
      return { ceremony: "get", options };
    },

    async enrolOptions(challenge, handle) {
      const { generateRegistrationOptions } = await simpleWebAuthn();
      const options = await generateRegistrationOptions({
        rpName: "oncelink",
        rpID: rpId,
        userName: handle,
        userDisplayName: handle,
        // Keyed, so the user handle an authenticator stores says nothing outside this server.
        userID: new Uint8Array(hmacSha256(userKey, handle).subarray(0, 16)),
        challenge: new Uint8Array(challenge),
        timeout: CEREMONY_TIMEOUT_MS,
        attestationType: "none",
        authenticatorSelection: { residentKey: "preferred", userVerification: "required" },
        supportedAlgorithmIDs: ALGORITHMS,
      });
      return { ceremony: "create", options };
    },

    async verifyCreation(response, challenge) {
      const { verifyRegistrationResponse } = await simpleWebAuthn();
      try {
        const verified = await verifyRegistrationResponse({
          response: response as RegistrationResponseJSON,
          expectedChallenge: b64(challenge),
          expectedOrigin: origin,
          expectedRPID: rpId,
          requireUserVerification: true,
          supportedAlgorithmIDs: ALGORITHMS,
        });
        if (!verified.verified || !verified.registrationInfo.userVerified) return null;
        const { credential } = verified.registrationInfo;
        const rk = (response as { clientExtensionResults?: { credProps?: { rk?: unknown } } }).clientExtensionResults?.credProps?.rk;
        const transports = ((response as { response?: { transports?: unknown } }).response?.transports ?? []) as unknown[];
        return {
          credentialId: Buffer.from(credential.id, "base64url"),
          publicKey: credential.publicKey,
          counter: credential.counter,
          discoverable: rk === true,
          transports: transports.filter((t): t is string => typeof t === "string" && /^[a-z-]{1,16}$/.test(t)).slice(0, 8),
        };
      } catch {
        // The library throws on every kind of mismatch (challenge, origin, RP ID, flags, signature, format).
        return null;
      }
    },

    async verifyAssertion(response, challenge, passkey) {
      const { verifyAuthenticationResponse } = await simpleWebAuthn();
      try {
        const verified = await verifyAuthenticationResponse({
          response: response as AuthenticationResponseJSON,
          expectedChallenge: b64(challenge),
          expectedOrigin: origin,
          expectedRPID: rpId,
          credential: { id: b64(passkey.credentialId), publicKey: new Uint8Array(passkey.publicKey), counter: passkey.counter, transports: passkey.transports },
          requireUserVerification: true,
        });
        if (!verified.verified || !verified.authenticationInfo.userVerified) return null;
        return { newCounter: verified.authenticationInfo.newCounter };
      } catch {
        return null;
      }
    },
  };
}
