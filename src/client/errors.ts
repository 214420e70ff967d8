/**
 * Errors the client library throws. Messages are safe to show and to log: they never contain a link id,
 * a link key, a manage token or a session token, because callers (the CLI, the web pages) print them as is.
 */

/** Base class of every error this library throws on purpose; anything else is a bug or a runtime fault. */
export class OncelinkError extends Error {
  override name = "OncelinkError";
}

/**
 * The server answered with a JSON error (`{"error": CODE, "message": TEXT}`) or an unexpected status.
 * `code` is the stable upper-snake code (`POW_INVALID`, `SESSION_INVALID`, ...) or `HTTP_<status>` when the
 * answer carried none (a proxy's error page, say).
 */
export class OncelinkApiError extends OncelinkError {
  override name = "OncelinkApiError";
  readonly status: number;
  readonly code: string;
  /** Seconds the server asked to wait before trying again (its `Retry-After`, e.g. on 429), or null. */
  readonly retryAfterSeconds: number | null;

  constructor(status: number, code: string, message: string, retryAfterSeconds: number | null = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * The server could not be reached, or the connection broke before its whole answer arrived (a network failure, not
 * an answer). The message names the server's origin only.
 */
export class ServerUnreachableError extends OncelinkError {
  override name = "ServerUnreachableError";
}

/**
 * `409 UPLOAD_PART_OUT_OF_ORDER`: a file part that is not the one the upload expects. `nextPart` is the one it does
 * expect (null when the answer did not say): after a part sent again, `part + 1` means an earlier try had stored it.
 */
export class UploadPartOutOfOrderError extends OncelinkApiError {
  override name = "UploadPartOutOfOrderError";
  readonly nextPart: number | null;

  constructor(message: string, nextPart: number | null) {
    super(409, "UPLOAD_PART_OUT_OF_ORDER", message);
    this.nextPart = nextPart;
  }
}

/**
 * A file could not be sent: one of its parts failed every time it was sent, each time in a way a retry could have
 * cured (the connection broke, the server or a proxy answered 5xx, the part arrived cut off). `cause` holds the last
 * failure. The upload was cancelled and no link was made.
 */
export class FileUploadFailedError extends OncelinkError {
  override name = "FileUploadFailedError";
  /** How many times the failing part was sent. */
  readonly tries: number;

  constructor(tries: number, cause: OncelinkError) {
    super(
      `The file could not be sent: a part of it failed ${tries === 1 ? "once" : `${tries} times in a row`} (${cause.message.replace(/\.$/, "")}). The upload was cancelled and no link was made.`,
      { cause },
    );
    this.tries = tries;
  }
}

/**
 * The link is unknown, already opened, expired or revoked (the server does not say which, on purpose),
 * or a manage token is wrong, which the server answers the same way.
 */
export class UnavailableError extends OncelinkApiError {
  override name = "UnavailableError";

  constructor(message = "This link is no longer available.") {
    super(404, "UNAVAILABLE", message);
  }
}

/** The text given is not an oncelink recipient or manage link. */
export class InvalidLinkError extends OncelinkError {
  override name = "InvalidLinkError";
}

/**
 * The link was made by an encrypting client but its `#key` part is missing. Thrown before anything is spent:
 * the link stays openable with the complete URL.
 */
export class LinkKeyMissingError extends OncelinkError {
  override name = "LinkKeyMissingError";

  constructor() {
    super("This link is missing its key (the part after #); ask the sender for the complete link. It was not opened.");
  }
}

/**
 * The link asks for something this client cannot provide yet (a passphrase, a passkey). Thrown before
 * anything is spent.
 */
/** The link needs a passphrase and none was given (nothing was spent, no try was counted). */
export class PassphraseRequiredError extends OncelinkError {
  override name = "PassphraseRequiredError";

  constructor() {
    super("This link needs a passphrase. It was not opened.");
  }
}

/**
 * The passphrase was wrong. With `attemptsLeft` above 0 the link is still unopened and that many more wrong tries
 * destroy it; at 0 this was the last try and the link has just been destroyed (nobody opened it).
 */
export class PassphraseIncorrectError extends OncelinkApiError {
  override name = "PassphraseIncorrectError";
  readonly attemptsLeft: number;

  constructor(attemptsLeft: number) {
    super(
      403,
      "PASSPHRASE_INCORRECT",
      attemptsLeft === 0
        ? "The passphrase is not right, and that was the last try: the link has been destroyed without being opened. Ask the sender for a new link."
        : `The passphrase is not right. The link is still unopened; ${attemptsLeft} ${attemptsLeft === 1 ? "try" : "tries"} left.`,
    );
    this.attemptsLeft = attemptsLeft;
  }
}

/**
 * The link asks for a passkey and this client cannot run the ceremony (no `passkey` function: the CLI, or a page
 * without WebAuthn). Thrown before anything is spent. `passphraseFallback`: the link's passphrase may be used instead.
 */
export class PasskeyRequiredError extends OncelinkError {
  override name = "PasskeyRequiredError";
  readonly passphraseFallback: boolean;

  constructor(passphraseFallback: boolean) {
    super(
      passphraseFallback
        ? "This link needs a passkey, or its passphrase instead. It was not opened."
        : "This link needs a passkey, which only a web browser can provide: open it in a browser. It was not opened.",
    );
    this.passphraseFallback = passphraseFallback;
  }
}

/** The passkey ceremony ran but the server did not accept it (not the recipient's passkey). The link is unopened. */
export class PasskeyIncorrectError extends OncelinkApiError {
  override name = "PasskeyIncorrectError";

  constructor(message = "That passkey does not open this link. The link is still unopened.") {
    super(403, "PASSKEY_INCORRECT", message);
  }
}

/**
 * The passkey ceremony did not complete in the browser: cancelled, timed out, no matching passkey on this device, or
 * no authenticator. `cause` holds what the browser threw. Nothing was spent.
 */
export class PasskeyCeremonyError extends OncelinkError {
  override name = "PasskeyCeremonyError";

  constructor(cause: unknown) {
    super("The passkey step did not complete. The link was not opened.", { cause });
  }
}

export class UnsupportedRequirementError extends OncelinkError {
  override name = "UnsupportedRequirementError";
}

/**
 * The server asked for a second confirmation of this open (its friction decision), and none was given: no
 * `confirm` callback, or it answered no. Thrown before anything is spent.
 */
export class ConfirmationDeclinedError extends OncelinkError {
  override name = "ConfirmationDeclinedError";

  constructor() {
    super("This open needs a second confirmation, and it was not given. The link was not opened.");
  }
}

/**
 * The content was released (so the link is now used up) but the key in the URL does not decrypt it:
 * the key was altered, or the stored bytes were.
 */
export class DecryptionError extends OncelinkError {
  override name = "DecryptionError";

  constructor() {
    super("The content could not be decrypted with the key in this link; the link is now used up.");
  }
}

/**
 * A file link's stream was cut off or altered after the link was used up (the connection dropped mid-download, or
 * the stored bytes were damaged). Discard everything received: it is not the sender's file. The link cannot be
 * opened again.
 */
export class FileIntegrityError extends OncelinkError {
  override name = "FileIntegrityError";
  /** What was wrong: "truncated", "trailing-data", "format" or "mismatch" (see FileStreamFailure). */
  readonly reason: string;

  constructor(reason: string) {
    super(
      reason === "truncated"
        ? "The file was cut off before its end; the link is now used up. Discard what was received and ask the sender for a new link."
        : "The file did not arrive intact; the link is now used up. Discard what was received and ask the sender for a new link.",
    );
    this.reason = reason;
  }
}

/**
 * The consume step failed in a way that does not prove the link is still unspent: the connection dropped, a proxy
 * answered 502/504, or the answer (JSON or file stream) was cut off or malformed. The server may well have used the
 * link up, so a retry would most likely say "no longer available": the recipient should ask for a new link. Only the
 * server's own `404 UNAVAILABLE`, `401 SESSION_INVALID` and `503 SHUTTING_DOWN` answers are not reported this way
 * (they mean nothing was spent by this attempt). `cause` holds what failed underneath, for debugging; it is not shown.
 */
export class ContentNotReceivedError extends OncelinkError {
  override name = "ContentNotReceivedError";

  constructor(cause?: unknown) {
    super(
      "This attempt may have used the link up, but the content did not arrive whole (the connection or the answer broke off). Ask the sender for a new link.",
      { cause },
    );
  }
}
