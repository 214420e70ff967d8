// The browser side of a passkey ceremony, through @simplewebauthn/browser: it turns the server's JSON options into
// navigator.credentials.create / get and the credential back into JSON. Loaded by the open and enrol pages only.
import {
  browserSupportsWebAuthn,
  startAuthentication,
  startRegistration,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
} from "@simplewebauthn/browser";
import type { PasskeyCeremonyRequest } from "../../client/index.js";

/** Why a ceremony did not produce a credential: the person cancelled (or no passkey matched), or no WebAuthn here. */
export type CeremonyFailure = "cancelled" | "unsupported";

/** Whether this browser can run a WebAuthn ceremony on this page at all. */
export function passkeysSupported(): boolean {
  return browserSupportsWebAuthn();
}

/**
 * Runs the ceremony the server asked for and returns the credential as JSON. User verification is whatever the
 * options require (the server always requires it).
 * @example const response = await runCeremony({ ceremony: "get", options });
 */
export async function runCeremony(request: PasskeyCeremonyRequest): Promise<unknown> {
  if (request.ceremony === "create") {
    return startRegistration({ optionsJSON: request.options as unknown as PublicKeyCredentialCreationOptionsJSON });
  }
  return startAuthentication({ optionsJSON: request.options as unknown as PublicKeyCredentialRequestOptionsJSON });
}

/** Sorts a ceremony failure: no WebAuthn on this page, or anything the person or the authenticator declined. */
export function ceremonyFailure(err: unknown): CeremonyFailure {
  if (!passkeysSupported()) return "unsupported";
  const name = (err as { name?: unknown } | null)?.name;
  const code = (err as { code?: unknown } | null)?.code;
  if (name === "NotSupportedError" || code === "ERROR_INVALID_DOMAIN" || code === "ERROR_INVALID_RP_ID") return "unsupported";
  return "cancelled";
}

/**
 * Tells the browser's passkey manager that a throwaway credential (made only to open one "passkey required" link)
 * will never be accepted again, so it can drop it instead of listing it forever (Signal API, where supported).
 */
export function forgetThrowawayCredential(rpId: string, credentialId: string): void {
  const signal = (globalThis.PublicKeyCredential as unknown as { signalUnknownCredential?: (o: object) => Promise<void> } | undefined)
    ?.signalUnknownCredential;
  if (typeof signal !== "function") return;
  signal.call(globalThis.PublicKeyCredential, { rpId, credentialId }).catch(() => undefined);
}
