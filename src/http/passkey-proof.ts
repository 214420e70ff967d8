import type { PasskeyPolicy, PasskeyProof } from "../core/policy.js";
import { sha256 } from "../crypto/hash.js";
import type { LinkStore } from "../store/link-store.js";
import { responseCredentialId, type PasskeyService } from "./webauthn.js";

/** What the session step learned from a ceremony response. */
export interface CeremonyOutcome {
  /** The verified ceremony, for evaluatePolicy; null when none was sent or it did not verify. */
  proof: PasskeyProof | null;
  /** A ceremony was sent and did not verify (wrong challenge, origin, signature, no user verification, unknown key). */
  rejected: boolean;
  /** For an enrolled credential that verified: its new signature counter, stored once the session is minted. */
  counter: number | null;
}

const NONE: CeremonyOutcome = { proof: null, rejected: false, counter: null };

/**
 * Verifies the passkey ceremony of a session request against the challenge of this open (bound to the link, the
 * proof-of-work challenge and the device key). A "required" link expects a fresh registration; a recipient link an
 * assertion by an enrolled credential, which is looked up by its id whatever handle it belongs to, so that a valid
 * passkey of someone else is recognised as such (and refused by the policy as the wrong one).
 */
export async function verifyOpenCeremony(
  passkeys: PasskeyService,
  store: LinkStore,
  rule: PasskeyPolicy,
  response: unknown,
  challenge: Uint8Array,
): Promise<CeremonyOutcome> {
  if (response === undefined) return NONE;
  const rejected: CeremonyOutcome = { proof: null, rejected: true, counter: null };
  if (rule.mode === "required") {
    const credential = await passkeys.verifyCreation(response, challenge);
    if (credential === null) return rejected;
    return { proof: { credentialIdHash: sha256(credential.credentialId), handle: null }, rejected: false, counter: null };
  }
  const credentialId = responseCredentialId(response);
  if (credentialId === null) return rejected;
  const credentialIdHash = sha256(credentialId);
  const enrolled = await store.findPasskey(credentialIdHash);
  if (enrolled === null) return rejected;
  const assertion = await passkeys.verifyAssertion(response, challenge, enrolled);
  if (assertion === null) return rejected;
  return { proof: { credentialIdHash, handle: enrolled.handle }, rejected: false, counter: assertion.newCounter };
}
