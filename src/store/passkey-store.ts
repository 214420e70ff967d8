// Storage of passkey handles: a recipient enrols one passkey under a handle (through a one-time enrolment link), and
// recipient-bound links name that handle. One credential per handle. Every bearer secret arrives hashed (the
// enrolment token, the handle's manage token); the credential's public key and id are not secrets, but the id is
// looked up by its SHA-256 so the lookup never depends on its encoding.

/** A passkey enrolled under a handle: what verifying an assertion and building WebAuthn options need. */
export interface EnrolledPasskey {
  handle: string;
  /** The WebAuthn credential id (raw bytes). */
  credentialId: Uint8Array;
  /** The COSE public key as the authenticator registered it. */
  publicKey: Uint8Array;
  /** The signature counter last seen (0 for authenticators that do not count). */
  counter: number;
  /** Whether the credential is discoverable (a resident key): then the browser can find it without its id. */
  discoverable: boolean;
  /** Transport hints the browser reported at enrolment ("internal", "hybrid", "usb", ...). */
  transports: string[];
}

/** A new enrolment link for a handle. */
export interface NewEnrolment {
  handle: string;
  /** SHA-256 of the enrolment token (the secret in the enrolment URL). */
  enrolHash: Uint8Array;
  /** SHA-256 of the handle's manage token (status and removal). */
  manageHash: Uint8Array;
  /** When the enrolment link stops working (ms). */
  expiresAt: number;
}

/** The state of a handle, for whoever holds its manage token. */
export interface HandleRecord {
  handle: string;
  manageHash: Uint8Array;
  createdAt: number;
  /** When a passkey was enrolled under it, or null while none is. */
  enrolledAt: number | null;
  /** When the pending enrolment link expires, or null when none is pending. */
  pendingUntil: number | null;
}

/** Outcome of issuing an enrolment link: "taken" when the handle has a passkey or a live enrolment link already. */
export type EnrolmentIssue = "ok" | "taken";

/** The passkey part of the store; both adapters implement it and src/store/contract.ts checks them alike. */
export interface PasskeyStore {
  /**
   * Records a one-time enrolment link for a handle. Refused ("taken") when the handle already has a passkey or an
   * unexpired enrolment link, so nobody can take over a handle someone else is using or about to use; `replace`
   * (the operator's explicit re-enrolment) issues the link anyway, and the old passkey keeps working until the new
   * one is enrolled.
   */
  issueEnrolment(enrolment: NewEnrolment, now: number, replace?: boolean): Promise<EnrolmentIssue>;
  /** The handle an unused, unexpired enrolment token is for, or null. Changes nothing. */
  pendingEnrolment(enrolHash: Uint8Array, now: number): Promise<{ handle: string; expiresAt: number } | null>;
  /**
   * Enrols a passkey with an unused, unexpired enrolment token, atomically and once: the token is spent in the same
   * write. Returns the handle, or null when the token is unknown, used or expired, or the credential is already
   * enrolled under some handle.
   */
  completeEnrolment(enrolHash: Uint8Array, passkey: Omit<EnrolledPasskey, "handle">, now: number): Promise<string | null>;
  /** The passkey enrolled under a handle, or null. */
  getPasskey(handle: string): Promise<EnrolledPasskey | null>;
  /** The passkey with this credential id hash (SHA-256 of the raw id), whatever its handle, or null. */
  findPasskey(credentialIdHash: Uint8Array): Promise<EnrolledPasskey | null>;
  /** Raises the stored signature counter of a credential to `counter` (never lowers it). */
  updatePasskeyCounter(credentialIdHash: Uint8Array, counter: number): Promise<void>;
  /** A handle's record, or null if unknown. */
  getHandle(handle: string): Promise<HandleRecord | null>;
  /** Forgets a handle and its passkey (links naming it can then not be opened until it is enrolled again). */
  removeHandle(handle: string): Promise<boolean>;
}
