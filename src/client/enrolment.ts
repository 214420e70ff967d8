import { jsonInit, readJsonObject, resolveFetch, sendApiRequest, unexpectedAnswer, type RequestOptions } from "./api-request.js";
import { OncelinkError } from "./errors.js";
import { normalizeServerUrl } from "./link-urls.js";

/** A pending enrolment link, as its page sees it: the handle it is for and the passkey options to create. */
export interface Enrolment {
  handle: string;
  /** ISO-8601 time after which the enrolment link no longer works. */
  expiresAt: string;
  /** PublicKeyCredentialCreationOptionsJSON for navigator.credentials.create. */
  options: Record<string, unknown>;
}

/** A new enrolment link for a handle. `enrolUrl` is for the recipient; `manageToken` stays with the issuer. */
export interface IssuedEnrolment {
  handle: string;
  enrolUrl: string;
  manageToken: string;
  expiresAt: string;
}

function serverOf(server: string): string {
  const normalized = normalizeServerUrl(server);
  if (normalized === null) throw new OncelinkError("The server address must be an http:// or https:// URL.");
  return normalized;
}

/**
 * Issues a one-time enrolment link for a new handle (`POST /api/v1/enrolments`): send it to the recipient, who opens it
 * in a browser and creates a passkey. Then links made with `passkey: { handle }` open only with that passkey.
 * @throws {OncelinkApiError} HANDLE_INVALID, or HANDLE_TAKEN when the handle has a passkey or a live enrolment link
 * @example const { enrolUrl } = await issueEnrolment({ server: "https://s.example", handle: "alice@example.org" });
 */
export async function issueEnrolment(opts: RequestOptions & { server: string; handle: string; ttl?: number }): Promise<IssuedEnrolment> {
  const body: { handle: string; ttl?: number } = { handle: opts.handle };
  if (opts.ttl !== undefined) body.ttl = opts.ttl;
  const answer = await readJsonObject(
    await sendApiRequest(resolveFetch(opts), `${serverOf(opts.server)}/api/v1/enrolments`, jsonInit("POST", body)),
    "enrolment",
  );
  const { handle, enrol_url: enrolUrl, manage_token: manageToken, expires_at: expiresAt } = answer;
  if (typeof handle !== "string" || typeof enrolUrl !== "string" || typeof manageToken !== "string" || typeof expiresAt !== "string") {
    throw unexpectedAnswer("enrolment");
  }
  return { handle, enrolUrl, manageToken, expiresAt };
}

/**
 * The handle and passkey options of an enrolment token (non-consuming).
 * @throws {UnavailableError} the token is unknown, used or expired
 */
export async function fetchEnrolment(opts: RequestOptions & { server: string; token: string }): Promise<Enrolment> {
  const answer = await readJsonObject(
    await sendApiRequest(resolveFetch(opts), `${serverOf(opts.server)}/api/v1/enrolments/${encodeURIComponent(opts.token)}/options`, jsonInit("POST", {})),
    "enrolment",
  );
  const { handle, expires_at: expiresAt, options } = answer;
  if (typeof handle !== "string" || typeof expiresAt !== "string" || typeof options !== "object" || options === null) {
    throw unexpectedAnswer("enrolment");
  }
  return { handle, expiresAt, options: options as Record<string, unknown> };
}

/**
 * Sends the credential a browser created for an enrolment token; spends the token. Returns the handle.
 * @throws {UnavailableError} the token is unknown, used or expired
 * @throws {OncelinkApiError} ENROLMENT_INVALID when the passkey did not verify (nothing saved, the token still works)
 */
export async function completeEnrolment(opts: RequestOptions & { server: string; token: string; response: unknown }): Promise<string> {
  const answer = await readJsonObject(
    await sendApiRequest(
      resolveFetch(opts),
      `${serverOf(opts.server)}/api/v1/enrolments/${encodeURIComponent(opts.token)}`,
      jsonInit("POST", { response: opts.response }),
    ),
    "enrolment",
  );
  if (typeof answer.handle !== "string") throw unexpectedAnswer("enrolment");
  return answer.handle;
}
