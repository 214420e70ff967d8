/**
 * Every expected failure the API can report, with its HTTP status and a plain default message.
 * Codes are stable: clients and scripts branch on them.
 */
export const ERRORS = {
  UNAVAILABLE: { status: 404, message: "This link is no longer available." },
  NOT_FOUND: { status: 404, message: "Nothing is here." },
  BAD_REQUEST: { status: 400, message: "The request is malformed." },
  VALIDATION_FAILED: { status: 400, message: "The request does not match the expected shape." },
  CONTENT_MISSING: { status: 400, message: "Send exactly one of content or ciphertext." },
  CONTENT_EMPTY: { status: 400, message: "The secret is empty." },
  TTL_INVALID: { status: 400, message: "The lifetime is outside the allowed range." },
  CIPHERTEXT_INVALID: { status: 400, message: "The ciphertext is not valid base64url in the oncelink format." },
  POW_INVALID: { status: 400, message: "The proof of work is missing, wrong or expired." },
  POW_REPLAYED: { status: 409, message: "That proof of work was already used. Start again." },
  SESSION_INVALID: { status: 401, message: "The session is missing, expired or already used." },
  DEVICE_KEY_INVALID: { status: 400, message: "The device key is not a P-256 public key in raw base64url form." },
  CONFIRMATION_REQUIRED: { status: 428, message: "This open needs a second confirmation. Send it with \"confirm\": true." },
  POLICY_INVALID: { status: 400, message: "The policy is malformed: check the address ranges and the passphrase proof." },
  POLICY_DENIED: { status: 403, message: "This link cannot be opened from here." },
  COUNTRY_DENIED: { status: 403, message: "This link cannot be opened from this country or network." },
  TEMPLATE_UNKNOWN: { status: 400, message: "There is no policy template of that name." },
  TEMPLATE_CONFLICT: { status: 400, message: "The request asks for less than its policy template requires." },
  POLICY_MINIMUM: { status: 400, message: "The request asks for less than this server requires of every link." },
  PASSPHRASE_REQUIRED: { status: 403, message: "This link needs a passphrase." },
  PASSPHRASE_INCORRECT: { status: 403, message: "The passphrase is not right. The link is still unopened." },
  PASSKEY_REQUIRED: { status: 403, message: "This link needs a passkey. The link is still unopened." },
  PASSKEY_INCORRECT: { status: 403, message: "That passkey does not open this link. The link is still unopened." },
  PASSKEY_NOT_REQUIRED: { status: 400, message: "This link does not ask for a passkey." },
  DEVICE_KEY_REQUIRED: { status: 400, message: "A passkey open needs a device_key, so the session can be bound to this device." },
  HANDLE_INVALID: { status: 400, message: "A handle is 3 to 64 characters: letters, digits, and . _ @ -" },
  HANDLE_UNKNOWN: { status: 400, message: "No passkey is enrolled under that handle yet. Send the recipient an enrolment link first." },
  HANDLE_TAKEN: { status: 409, message: "That handle already has a passkey or a pending enrolment link." },
  ENROLMENT_INVALID: { status: 400, message: "The passkey could not be verified. Nothing was saved; try again." },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: "Send JSON." },
  PAYLOAD_TOO_LARGE: { status: 413, message: "The request is larger than this server accepts." },
  FILE_TOO_LARGE: { status: 413, message: "The file is larger than this server accepts. Nothing of it was kept." },
  STORAGE_FULL: { status: 413, message: "The server has no room for this file right now. Nothing of it was kept." },
  UPLOAD_UNAVAILABLE: { status: 404, message: "This upload is unknown, finished, cancelled or expired." },
  UPLOAD_PART_OUT_OF_ORDER: { status: 409, message: "Send the parts of an upload in order, starting at 0." },
  UPLOAD_PART_SUPERSEDED: {
    status: 409,
    message: "This part was sent again by a newer request, which took it over. This request's bytes were not kept.",
  },
  UPLOAD_BUSY: { status: 409, message: "A part of this upload is still being sent. Wait for it to finish." },
  FILE_RECIPIENTS_UNSUPPORTED: { status: 400, message: "A file link has one recipient. Upload the file once for each recipient." },
  UPLOAD_INTERRUPTED: { status: 400, message: "The part did not arrive whole. Send it again." },
  RATE_LIMITED: { status: 429, message: "Too many requests. Wait a moment and try again." },
  NOT_READY: { status: 503, message: "The service is not ready." },
  SHUTTING_DOWN: { status: 503, message: "This server is shutting down. Try again in a moment." },
  HEADERS_TOO_LARGE: { status: 431, message: "The request headers are larger than this server accepts." },
  REQUEST_TIMEOUT: { status: 408, message: "The request took too long to arrive." },
  EXPECTATION_FAILED: { status: 417, message: "This server does not support that Expect header." },
  INTERNAL: { status: 500, message: "Something went wrong on our side." },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

/** The JSON body of every error response. */
export interface ErrorBody {
  error: ErrorCode;
  message: string;
}

/** Builds the body for an error code; the message is the registry's unless a safe one is given. */
export function errorBody(code: ErrorCode, message?: string): ErrorBody {
  return { error: code, message: message ?? ERRORS[code].message };
}
