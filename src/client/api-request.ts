import { OncelinkApiError, OncelinkError, PasskeyIncorrectError, PassphraseIncorrectError, UnavailableError } from "./errors.js";

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
 * an `OncelinkError` naming the server's origin only (the path holds the link id).
 */
export async function sendApiRequest(fetchFn: FetchFunction, url: string, init: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await fetchFn(url, init);
  } catch (err) {
    throw new OncelinkError(`Could not reach the oncelink server at ${new URL(url).origin}${describeCause(err)}.`);
  }
  if (response.ok) return response;
  throw await errorFromResponse(response);
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
    }
  } catch {
    // Not JSON (a proxy's HTML error page): keep the status-based message.
  }
  if (response.status === 404 && code === "UNAVAILABLE") return new UnavailableError(message);
  if (response.status === 403 && code === "PASSKEY_INCORRECT") return new PasskeyIncorrectError(message);
  return new OncelinkApiError(response.status, code, message);
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
