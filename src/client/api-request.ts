import {
  OncelinkApiError,
  OncelinkError,
  PasskeyIncorrectError,
  PassphraseIncorrectError,
  ServerUnreachableError,
  UnavailableError,
  UploadPartOutOfOrderError,
} from "./errors.js";

/** The fetch the library uses; injectable so tests and integrators can supply their own. */
export type FetchFunction = typeof fetch;

/** Options shared by every call that talks to a server. */
export interface RequestOptions {
  /** Replaces the global fetch (tests, proxies, custom agents). */
  fetch?: FetchFunction;
}

/** Resolves the fetch to use. The default is wrapped: browsers reject `fetch` called with a foreign `this`. */
export function resolveFetch(opts: RequestOptions | undefined): FetchFunction {
  return opts?.fetch ?? ((input, init) => globalThis.fetch(input, init));
}

/**
 * Sends one API request and returns the response when its status is 2xx; otherwise throws the mapped error:
 * `404 UNAVAILABLE` becomes `UnavailableError`, everything else `OncelinkApiError`. A network failure becomes
 * a `ServerUnreachableError` naming the server's origin only (the path holds the link id).
 *
 * Redirects are never followed: a hop would carry the manage token over plain http, or (307/308) re-send a
 * passphrase proof or session body to another origin, and a cross-origin hop drops the token, which would then
 * read as "no such link". A 3xx is an `OncelinkError` naming where it pointed (origin only).
 */
export async function sendApiRequest(fetchFn: FetchFunction, url: string, init: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await fetchFn(url, { ...init, redirect: "manual" });
  } catch (err) {
    throw unreachable(url, err);
  }
  if (response.ok) return response;
  if (isRedirect(response)) throw redirectError(url, response);
  throw await errorFromResponse(response);
}

/** The error for a request that got no answer (or lost it midway): the server's origin and the cause's code only. */
export function unreachable(url: string, err: unknown): ServerUnreachableError {
  return new ServerUnreachableError(`Could not reach the oncelink server at ${new URL(url).origin}${describeCause(err)}.`);
}

/** A redirect answer: a 3xx (Node), or the status-0 "opaqueredirect" a browser returns under `redirect: "manual"`. */
export function isRedirect(response: Response): boolean {
  return response.type === "opaqueredirect" || (response.status >= 300 && response.status < 400);
}

/** The error for a redirect: names both origins, never a path (it can hold the link id) or a query. */
function redirectError(url: string, response: Response): OncelinkError {
  // The body is not needed; release the connection.
  void response.body?.cancel().catch(() => undefined);
  const from = new URL(url).origin;
  let to: string | null = null;
  const location = response.headers.get("location");
  if (location !== null) {
    try {
      const target = new URL(location, url);
      if (target.protocol === "http:" || target.protocol === "https:") to = target.origin;
    } catch {
      // An unparsable Location: say only that there was a redirect.
    }
  }
  const where = to === null ? "elsewhere" : to === from ? "another path on the same server" : to;
  return new OncelinkError(
    `The oncelink server at ${from} answered with a redirect to ${where}; redirects are not followed (they could send the request's secrets elsewhere). Use the server's address exactly${to !== null && to !== from ? ` (perhaps ${to})` : ""}.`,
  );
}

/** Reads a JSON object from a successful response; anything else is a protocol error naming `what`. */
export async function readJsonObject(response: Response, what: string): Promise<Record<string, unknown>> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw unexpectedAnswer(what);
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw unexpectedAnswer(what);
  return body as Record<string, unknown>;
}

/** The error for a 2xx answer that does not have the shape docs/protocol.md pins. */
export function unexpectedAnswer(what: string): OncelinkError {
  return new OncelinkError(`The server sent an unexpected answer to ${what}; is this an oncelink server?`);
}

/** JSON request headers and body. */
export function jsonInit(method: string, body: unknown, headers: Record<string, string> = {}): RequestInit {
  return {
    method,
    headers: { "content-type": "application/json", accept: "application/json", ...headers },
    body: JSON.stringify(body),
  };
}

async function errorFromResponse(response: Response): Promise<OncelinkApiError> {
  let code = `HTTP_${response.status}`;
  let message = `The server answered ${response.status}${response.statusText ? ` ${response.statusText}` : ""}.`;
  try {
    const body: unknown = await response.json();
    if (typeof body === "object" && body !== null) {
      const fields = body as Record<string, unknown>;
      if (typeof fields.error === "string" && /^[A-Z][A-Z0-9_]{0,63}$/.test(fields.error)) code = fields.error;
      // The server's messages come from its error registry, so they carry no secrets; keep them one line.
      if (typeof fields.message === "string" && fields.message !== "") message = oneLine(fields.message);
      if (code === "PASSPHRASE_INCORRECT" && typeof fields.attempts_left === "number" && Number.isInteger(fields.attempts_left)) {
        return new PassphraseIncorrectError(Math.max(0, fields.attempts_left));
      }
      if (code === "UPLOAD_PART_OUT_OF_ORDER" && response.status === 409) {
        const next = fields.next_part;
        return new UploadPartOutOfOrderError(message, typeof next === "number" && Number.isSafeInteger(next) && next >= 0 ? next : null);
      }
    }
  } catch {
    // Not JSON (a proxy's HTML error page): keep the status-based message.
  }
  if (response.status === 404 && code === "UNAVAILABLE") return new UnavailableError(message);
  if (response.status === 403 && code === "PASSKEY_INCORRECT") return new PasskeyIncorrectError(message);
  return new OncelinkApiError(response.status, code, message, retryAfterSeconds(response.headers.get("retry-after")));
}

/** A Retry-After header (RFC 9110 section 10.2.3: delay-seconds or an HTTP-date) as whole seconds from now, or null. */
function retryAfterSeconds(value: string | null): number | null {
  if (value === null) return null;
  const text = value.trim();
  if (/^\d{1,9}$/.test(text)) return Number(text);
  // An HTTP-date always names a weekday: "Sun, 06 Nov 1994 08:49:37 GMT". Plain numbers were handled above.
  if (!/^[A-Za-z]{3},/.test(text)) return null;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

function describeCause(err: unknown): string {
  // undici puts the useful part in `cause`: a code (ECONNREFUSED, ENOTFOUND) or a short reason ("bad port").
  const cause = err instanceof Error ? (err as Error & { cause?: unknown }).cause : undefined;
  if (typeof cause !== "object" || cause === null) return "";
  const { code, message } = cause as { code?: unknown; message?: unknown };
  if (typeof code === "string") return ` (${code})`;
  // A reason that could quote the request URL (and so the link id) is left out.
  if (typeof message === "string" && message.length <= 60 && !message.includes("/")) return ` (${message})`;
  return "";
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim().slice(0, 300);
}
