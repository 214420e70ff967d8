import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { isSecretShape, newSecret } from "../../core/ids.js";
import { effectiveState } from "../../core/link.js";
import { normalizePasskeyHandle, parsePolicy } from "../../core/policy.js";
import { deviceBinding, parseDevicePublicKey } from "../../crypto/device-key.js";
import { safeEqual, sha256 } from "../../crypto/hash.js";
import type { RouteDeps } from "../deps.js";
import { sendError } from "../errors.js";
import { linkMetaAt } from "../link-meta.js";
import {
  CeremonyResponse,
  EnrolmentCompleteBody,
  EnrolmentCompleteResponse,
  EnrolmentCreateBody,
  EnrolmentCreateResponse,
  EnrolmentOptionsResponse,
  EnrolTokenParams,
  HandleParams,
  HandleStatusResponse,
  PasskeyChallengeBody,
} from "../passkey-schemas.js";
import { rateLimitFor } from "../rate-limit.js";
import { HANDLE_SECURITY } from "../openapi-security.js";
import { LinkParams, errors } from "../schemas.js";

/** How long an enrolment link works unless the issuer says otherwise, and the bounds of what it may say. */
export const ENROLMENT_TTL = Object.freeze({ defaultSeconds: 7 * 86_400, minSeconds: 60, maxSeconds: 30 * 86_400 });

// Small bodies only: a ceremony response is a few kilobytes.
const SMALL_BODY = 32 * 1024;

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Registers the passkey routes: the WebAuthn options of an open (`POST /api/v1/links/{id}/passkey`), and enrolment
 * (issue a one-time enrolment link for a handle, let the recipient enrol a passkey with it, and the issuer's view of
 * the handle). The session step itself, which verifies the ceremony, lives with the other open steps.
 */
export function registerPasskeyRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { config, store, pow, passkeys, metrics } = deps;
  const unavailable = (reply: FastifyReply) => sendError(reply, "UNAVAILABLE");

  api.post(
    "/api/v1/links/:id/passkey",
    {
      schema: {
        summary: "WebAuthn options for opening a passkey link (non-consuming), bound to a proof-of-work challenge and a device key",
        tags: ["open"],
        params: LinkParams,
        body: PasskeyChallengeBody,
        response: { 200: CeremonyResponse, ...errors(400, 404, 429) },
      },
      bodyLimit: SMALL_BODY,
      config: rateLimitFor(config.rateLimitOpen),
    },
    async (request, reply) => {
      const { id } = request.params;
      if (!isSecretShape(id)) return unavailable(reply);
      const idHash = sha256(id);
      const now = deps.now();
      const meta = await linkMetaAt(store, idHash, now);
      if (!meta || effectiveState(meta, now) !== "fresh") return unavailable(reply);
      const rule = parsePolicy(meta.policy).passkey;
      if (rule === undefined) return sendError(reply, "PASSKEY_NOT_REQUIRED");
      // The challenge may still be unsolved: the ceremony runs right after the click, the proof of work after it.
      const issued = pow.inspect(request.body.challenge, idHash, now);
      if (issued === null) return sendError(reply, "POW_INVALID");
      const deviceKey = parseDevicePublicKey(request.body.device_key);
      if (deviceKey === null) return sendError(reply, "DEVICE_KEY_INVALID");
      const challenge = passkeys.openChallenge(idHash, issued.challengeHash, deviceBinding(deviceKey.raw));
      if (rule.mode === "required") return passkeys.openCreationOptions(challenge);
      return passkeys.openRequestOptions(challenge, rule.handle === "" ? null : await store.getPasskey(rule.handle));
    },
  );

  api.post(
    "/api/v1/enrolments",
    {
      schema: {
        summary: "Issue a one-time enrolment link for a new handle",
        tags: ["passkeys"],
        body: EnrolmentCreateBody,
        response: { 201: EnrolmentCreateResponse, ...errors(400, 409, 429) },
      },
      bodyLimit: SMALL_BODY,
      config: rateLimitFor(config.rateLimitCreate),
    },
    async (request, reply) => {
      const handle = normalizePasskeyHandle(request.body.handle);
      if (handle === null) return sendError(reply, "HANDLE_INVALID");
      const ttl = request.body.ttl ?? ENROLMENT_TTL.defaultSeconds;
      if (ttl < ENROLMENT_TTL.minSeconds || ttl > ENROLMENT_TTL.maxSeconds) {
        return sendError(reply, "TTL_INVALID", `An enrolment link lives between ${ENROLMENT_TTL.minSeconds} and ${ENROLMENT_TTL.maxSeconds} seconds.`);
      }
      const issued = await issueEnrolment(deps, handle, ttl, false);
      if (issued === null) return sendError(reply, "HANDLE_TAKEN");
      return reply.code(201).send({ handle, enrol_url: issued.enrolUrl, manage_token: issued.manageToken, expires_at: iso(issued.expiresAt) });
    },
  );

  /** The handle a live enrolment token is for, or null (unknown, used, expired and malformed look the same). */
  async function pending(token: string): Promise<{ enrolHash: Buffer; handle: string; expiresAt: number } | null> {
    if (!isSecretShape(token)) return null;
    const enrolHash = sha256(token);
    const found = await store.pendingEnrolment(enrolHash, deps.now());
    return found === null ? null : { enrolHash, ...found };
  }

  api.post(
    "/api/v1/enrolments/:token/options",
    {
      schema: {
        summary: "WebAuthn registration options for an enrolment link (non-consuming)",
        tags: ["passkeys"],
        params: EnrolTokenParams,
        response: { 200: EnrolmentOptionsResponse, ...errors(404, 429) },
      },
      config: rateLimitFor(config.rateLimitOpen),
    },
    async (request, reply) => {
      const enrolment = await pending(request.params.token);
      if (enrolment === null) return unavailable(reply);
      const { options } = await passkeys.enrolOptions(passkeys.enrolChallenge(enrolment.enrolHash), enrolment.handle);
      return { handle: enrolment.handle, expires_at: iso(enrolment.expiresAt), ceremony: "create" as const, options };
    },
  );

  api.post(
    "/api/v1/enrolments/:token",
    {
      schema: {
        summary: "Enrol a passkey with an enrolment link (spends the link)",
        tags: ["passkeys"],
        params: EnrolTokenParams,
        body: EnrolmentCompleteBody,
        response: { 201: EnrolmentCompleteResponse, ...errors(400, 404, 429) },
      },
      bodyLimit: SMALL_BODY,
      config: rateLimitFor(config.rateLimitOpen),
    },
    async (request, reply) => {
      const enrolment = await pending(request.params.token);
      if (enrolment === null) return unavailable(reply);
      const credential = await passkeys.verifyCreation(request.body.response, passkeys.enrolChallenge(enrolment.enrolHash));
      if (credential === null) return sendError(reply, "ENROLMENT_INVALID");
      const handle = await store.completeEnrolment(enrolment.enrolHash, credential, deps.now());
      if (handle === null) return unavailable(reply);
      metrics.passkeyEnrolled.inc();
      return reply.code(201).send({ handle });
    },
  );

  /** The handle's record when the request carries its manage token; null otherwise (answered like an unknown one). */
  async function authorizeIssuer(request: FastifyRequest, handleText: string) {
    const header = request.headers.authorization;
    const token = typeof header === "string" && header.startsWith("Bearer ") ? header.slice(7).trim() : null;
    const handle = normalizePasskeyHandle(handleText);
    if (token === null || !isSecretShape(token) || handle === null) return null;
    const record = await store.getHandle(handle);
    return record !== null && safeEqual(sha256(token), record.manageHash) ? record : null;
  }

  api.get(
    "/api/v1/handles/:handle",
    {
      schema: {
        summary: "The issuer's view of a handle",
        tags: ["passkeys"],
        params: HandleParams,
        security: HANDLE_SECURITY,
        response: { 200: HandleStatusResponse, ...errors(404) },
      },
    },
    async (request, reply) => {
      const record = await authorizeIssuer(request, request.params.handle);
      if (record === null) return unavailable(reply);
      const state =
        record.enrolledAt !== null ? ("enrolled" as const) : record.pendingUntil !== null && record.pendingUntil > deps.now() ? ("pending" as const) : ("expired" as const);
      return {
        handle: record.handle,
        state,
        created_at: iso(record.createdAt),
        enrolled_at: record.enrolledAt === null ? null : iso(record.enrolledAt),
      };
    },
  );

  api.delete(
    "/api/v1/handles/:handle",
    {
      schema: {
        summary: "Remove a handle and its passkey (links naming it stop opening until it is enrolled again)",
        tags: ["passkeys"],
        params: HandleParams,
        security: HANDLE_SECURITY,
        response: { 204: { type: "null", description: "Removed" }, ...errors(404) },
      },
    },
    async (request, reply) => {
      const record = await authorizeIssuer(request, request.params.handle);
      if (record === null) return unavailable(reply);
      await store.removeHandle(record.handle);
      return reply.code(204).send(null);
    },
  );
}

/**
 * Issues an enrolment link for `handle`: a fresh one-time token (stored as its hash) and a manage token for the
 * issuer. Null when the handle is taken (a passkey or a live enrolment link) and `replace` is not set. Shared by the
 * API and the operator's `oncelink enrol`.
 */
export async function issueEnrolment(
  deps: Pick<RouteDeps, "store" | "random" | "now" | "config">,
  handle: string,
  ttlSeconds: number,
  replace: boolean,
): Promise<{ enrolUrl: string; manageToken: string; expiresAt: number } | null> {
  const token = newSecret(deps.random);
  const manageToken = newSecret(deps.random);
  const now = deps.now();
  const expiresAt = now + ttlSeconds * 1000;
  const result = await deps.store.issueEnrolment({ handle, enrolHash: sha256(token), manageHash: sha256(manageToken), expiresAt }, now, replace);
  if (result !== "ok") return null;
  return { enrolUrl: `${deps.config.publicUrl}/enrol/${token}`, manageToken, expiresAt };
}
