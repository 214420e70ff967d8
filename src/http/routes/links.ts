import { parseCookie, stringifySetCookie } from "cookie";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Static, TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { readSignals } from "../../core/classify.js";
import { DEVICE_KEY_HEADER, DEVICE_SIGNATURE_HEADER, PASSKEY_CREDENTIAL_HEADER, deviceProofMessage } from "../../core/device-proof.js";
import { errorBody } from "../../core/errors.js";
import { decideFriction } from "../../core/friction.js";
import { isSecretShape, newSecret } from "../../core/ids.js";
import { effectiveEndedAt, effectiveState, type LinkMeta } from "../../core/link.js";
import { parseLinkPolicy } from "../../core/link-policy.js";
import { evaluatePolicy, parsePolicy, policyRequirements } from "../../core/policy.js";
import { isEnvelopeShape } from "../../crypto/client-layer.js";
import { deviceBinding, parseDevicePublicKey, verifyDeviceProof } from "../../crypto/device-key.js";
import { logTag, safeEqual, sha256 } from "../../crypto/hash.js";
import { openContent, sealContent } from "../../crypto/server-layer.js";
import { MAX_SESSION_TOKEN_CHARS, mintSessionToken, verifySessionToken } from "../../crypto/session-token.js";
import type { RouteDeps } from "../deps.js";
import { sendError } from "../errors.js";
import { ipIn } from "../ip-rules.js";
import { MANAGE_SECURITY, SESSION_COOKIE, SESSION_SECURITY } from "../openapi-security.js";
import { linkMetaAt } from "../link-meta.js";
import { linkOptions } from "../link-options.js";
import { verifyOpenCeremony } from "../passkey-proof.js";
import { passkeyBinding, responseCredentialId } from "../webauthn.js";
import { rateLimitFor } from "../rate-limit.js";
import { sendFileContent } from "./files.js";
import {
  ChallengeQuery,
  ChallengeResponse,
  ConsumeHeaders,
  ConsumeOk,
  CreateLinkBody,
  CreateLinkResponse,
  LinkInfoResponse,
  LinkParams,
  SessionBody,
  SessionResponse,
  StatusResponse,
  errors,
} from "../schemas.js";

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Largest session-step body: a proof of work (8 KiB as text, less as an object) and a passkey ceremony response
 * (under 43 KiB at its schema's maxima, a few KiB in practice), with room to spare; far below the create limit.
 */
const SESSION_BODY = 64 * 1024;

/** The token of `Authorization: <scheme> <token>`, or null. */
function authorization(request: FastifyRequest, scheme: "Bearer" | "Session"): string | null {
  const header = request.headers.authorization;
  if (typeof header !== "string" || !header.startsWith(`${scheme} `)) return null;
  return header.slice(scheme.length + 1).trim();
}

/** The session cookie the session step set, if the request carries it. */
function sessionCookie(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  return header === undefined ? undefined : parseCookie(header)[SESSION_COOKIE];
}

/** A single-valued request header, or undefined (a repeated header is refused rather than guessed at). */
function singleHeader(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === "string" ? value : undefined;
}

/** The session token of a consume: the Authorization header, else the cookie the session step set. */
function sessionToken(request: FastifyRequest): string | null {
  const token = authorization(request, "Session") ?? sessionCookie(request) ?? null;
  return token !== null && token.length <= MAX_SESSION_TOKEN_CHARS ? token : null;
}

/**
 * The consume's 200 body, with exactly the one field ConsumeResponse allows, escaped by the engine's JSON.stringify:
 * the schema serializer escapes strings in a JavaScript loop, which costs ~1 us per KiB of secret.
 */
function serializeConsumeBody(body: { content?: string; ciphertext?: string }): string {
  return body.content !== undefined ? `{"content":${JSON.stringify(body.content)}}` : `{"ciphertext":${JSON.stringify(body.ciphertext ?? "")}}`;
}

/** Registers the link API: create, the non-consuming open steps, the consume, and the sender's status/revoke. */
export function registerLinkRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { config, store, keyring, metrics, pow, previewers, deviceKeys, passkeys } = deps;
  const cookieSecure = config.publicUrl.startsWith("https:");

  /** Loads a link for the sender if the manage token matches; otherwise null (answered like an unknown id). */
  async function authorizeSender(request: FastifyRequest, id: string): Promise<{ idHash: Buffer; meta: LinkMeta } | null> {
    const token = authorization(request, "Bearer");
    if (!isSecretShape(id) || token === null || !isSecretShape(token)) return null;
    const idHash = sha256(id);
    const meta = await linkMetaAt(store, idHash, deps.now());
    if (!meta || !safeEqual(sha256(token), meta.manageHash)) return null;
    return { idHash, meta };
  }

  /** The id hash of a link a recipient may still open, or null. Never decided from a cache. */
  async function freshLink(id: string): Promise<{ idHash: Buffer; meta: LinkMeta } | null> {
    if (!isSecretShape(id)) return null;
    const idHash = sha256(id);
    const now = deps.now();
    const meta = await linkMetaAt(store, idHash, now);
    if (!meta || effectiveState(meta, now) !== "fresh") return null;
    return { idHash, meta };
  }

  const unavailable = (reply: FastifyReply) => sendError(reply, "UNAVAILABLE");
  // Tags are computed only when an info line will really be written: this runs on the hottest paths.
  const infoEnabled = ["trace", "debug", "info"].includes(app.log.level);
  const logEvent = (request: FastifyRequest, event: string, idHash: Uint8Array) => {
    if (infoEnabled) request.log.info({ event, link: logTag(deps.logKey, idHash) }, event);
  };

  api.post(
    "/api/v1/links",
    {
      schema: {
        summary: "Create a one-time link",
        tags: ["links"],
        body: CreateLinkBody,
        response: { 201: CreateLinkResponse, ...errors(400, 413, 415, 429) },
      },
      config: rateLimitFor(config.rateLimitCreate),
    },
    async (request, reply) => {
      const { content, ciphertext } = request.body;
      if ((content === undefined) === (ciphertext === undefined)) return sendError(reply, "CONTENT_MISSING");
      let plaintext: Uint8Array;
      if (content !== undefined) {
        plaintext = Buffer.from(content, "utf8");
      } else {
        // Buffer's decoder is C++ and fast on a megabyte, but lenient: the re-encoding check keeps one spelling per
        // ciphertext (the schema already limited the alphabet).
        const envelope = Buffer.from(ciphertext!, "base64url");
        if (envelope.toString("base64url") !== ciphertext || !isEnvelopeShape(envelope)) return sendError(reply, "CIPHERTEXT_INVALID");
        plaintext = envelope;
      }
      if (plaintext.length === 0) return sendError(reply, "CONTENT_EMPTY");
      if (plaintext.length > config.maxSecretBytes) return sendError(reply, "PAYLOAD_TOO_LARGE");
      // One place for every new link's options (text here, files at their finish): template, minimums, rules.
      const options = await linkOptions(request.body, config, deps.policySetup, store);
      if (!options.ok) return sendError(reply, options.code, options.message);
      const now = deps.now();
      const expiresAt = now + options.ttlSeconds * 1000;
      const kind = content !== undefined ? "text" : "ciphertext";
      // One link per recipient, each with its own id, manage token and data key; the writes share a commit.
      const links = await Promise.all(
        Array.from({ length: options.recipients }, async () => {
          const id = newSecret(deps.random);
          const manageToken = newSecret(deps.random);
          const idHash = sha256(id);
          const sealed = sealContent(keyring, plaintext, idHash);
          await store.createLink({
            idHash,
            manageHash: sha256(manageToken),
            kind,
            keyVersion: sealed.keyVersion,
            wrappedKey: sealed.wrappedKey,
            sealed: sealed.sealed,
            policy: options.policy,
            createdAt: now,
            expiresAt,
          });
          logEvent(request, "link.created", idHash);
          return {
            id,
            url: `${config.publicUrl}/l/${id}`,
            manage_url: `${config.publicUrl}/m/${id}#${manageToken}`,
            expires_at: iso(expiresAt),
          };
        }),
      );
      metrics.linksCreated.inc({ encryption: content !== undefined ? "server" : "client" }, options.recipients);
      return reply.code(201).send({ ...links[0]!, links });
    },
  );

  api.get(
    "/api/v1/links/:id",
    {
      schema: {
        summary: "What a recipient's page needs to draw itself (non-consuming)",
        tags: ["open"],
        params: LinkParams,
        response: { 200: LinkInfoResponse, ...errors(404) },
      },
    },
    async (request, reply) => {
      const link = await freshLink(request.params.id);
      if (!link) return unavailable(reply);
      return {
        state: "fresh" as const,
        expires_at: iso(link.meta.expiresAt),
        encryption: link.meta.kind === "text" ? ("server" as const) : ("client" as const),
        ...(link.meta.kind === "file" ? { content: "file" as const } : {}),
        requires: { pow: true, ...policyRequirements(parsePolicy(link.meta.policy)) },
      };
    },
  );

  api.get(
    "/api/v1/links/:id/challenge",
    {
      schema: {
        summary: "A proof-of-work challenge bound to this link (non-consuming); its difficulty follows the friction decision",
        tags: ["open"],
        params: LinkParams,
        querystring: ChallengeQuery,
        response: { 200: ChallengeResponse, ...errors(400, 404, 429) },
      },
      config: rateLimitFor(config.rateLimitOpen),
    },
    async (request, reply) => {
      const link = await freshLink(request.params.id);
      if (!link) return unavailable(reply);
      const { webdriver, gesture_ms: gestureMs } = request.query;
      // The request's own headers (server-observed) and the page's report of the click (self-reported): both can
      // only make the challenge harder or add a confirmation, never refuse it.
      const friction = decideFriction(readSignals(request.method, request.headers, previewers), {
        webdriver: webdriver === undefined ? null : webdriver === "true",
        gestureMs: gestureMs === undefined ? null : Number(gestureMs),
      });
      metrics.challengesIssued.inc({ friction: friction.level });
      const challenge = await pow.issue(link.idHash, deps.now(), friction.level);
      return { ...challenge, friction: friction.level } as Static<typeof ChallengeResponse>;
    },
  );

  api.post(
    "/api/v1/links/:id/session",
    {
      schema: {
        summary: "Prove a human gesture and mint a short-lived, single-use session (non-consuming)",
        tags: ["open"],
        params: LinkParams,
        body: SessionBody,
        response: { 201: SessionResponse, ...errors(400, 403, 404, 409, 413, 428, 429) },
      },
      bodyLimit: SESSION_BODY,
      config: rateLimitFor(config.rateLimitOpen),
    },
    async (request, reply) => {
      const { id } = request.params;
      if (!isSecretShape(id)) return unavailable(reply);
      const idHash = sha256(id);
      const now = deps.now();
      const { pow: payload, device_key: deviceKeyText, confirm } = request.body;
      const proof = await pow.verify(payload, idHash, now);
      if (!proof) {
        metrics.powRejected.inc();
        return sendError(reply, "POW_INVALID");
      }
      // Both checked before the challenge is redeemed, so the same proof can be sent again: after the second click,
      // or with a well-formed key. The key is imported only behind a valid proof (an import costs ~0.15 ms).
      if (proof.friction === "confirm" && confirm !== true) return sendError(reply, "CONFIRMATION_REQUIRED");
      const deviceKey = deviceKeyText === undefined ? null : parseDevicePublicKey(deviceKeyText);
      if (deviceKeyText !== undefined && deviceKey === null) return sendError(reply, "DEVICE_KEY_INVALID");
      // The recipient policy, before the challenge is redeemed and long before anything is consumed: a refusal
      // changes nothing, except that a wrong passphrase is counted (and the last allowed one destroys the link).
      const meta = await linkMetaAt(store, idHash, now);
      if (!meta || effectiveState(meta, now) !== "fresh") return unavailable(reply);
      const proofText = request.body.passphrase_proof;
      const policy = parsePolicy(meta.policy);
      // A passkey ceremony is verified against the challenge of this very open (link, proof-of-work challenge, device
      // key): a response made for another open, another device or another site verifies nowhere else.
      if (policy.passkey !== undefined && request.body.passkey !== undefined && deviceKey === null) return sendError(reply, "DEVICE_KEY_REQUIRED");
      if (policy.passphrase !== undefined && proofText !== undefined && deps.passphraseLimiter !== null) {
        // Counted before the comparison: one address cannot spread guesses over many links (or many recipients'
        // links of one create, which share a passphrase) faster than the limit.
        const limit = await deps.passphraseLimiter(request);
        if (limit.limited) {
          reply.header("retry-after", String(limit.retryAfterSeconds));
          return sendError(reply, "RATE_LIMITED");
        }
      }
      const ceremony =
        policy.passkey === undefined || deviceKey === null
          ? null
          : await verifyOpenCeremony(
              passkeys,
              store,
              policy.passkey,
              request.body.passkey,
              passkeys.openChallenge(idHash, proof.challengeHash, deviceBinding(deviceKey.raw)),
            );
      const decision = evaluatePolicy(policy, {
        clientIp: request.ip,
        now,
        ipIn,
        countryOf: deps.countryOf,
        proofs: {
          passphraseProofHash: proofText === undefined ? null : sha256(Buffer.from(proofText, "base64url")),
          passkey: ceremony?.proof ?? null,
        },
      });
      if (!decision.ok) {
        if (decision.reason === "ip-denied") return sendError(reply, "POLICY_DENIED");
        if (decision.reason === "country-denied") return sendError(reply, "COUNTRY_DENIED");
        if (decision.reason === "passphrase-required") return sendError(reply, "PASSPHRASE_REQUIRED");
        // A wrong passkey is not counted against the link: it cannot be guessed, so a limit would protect nothing
        // and only let anyone holding the link destroy it. The per-address rate limit bounds the tries.
        if (decision.reason === "passkey-mismatch") {
          metrics.passkeyRejected.inc();
          return sendError(reply, "PASSKEY_INCORRECT");
        }
        if (decision.reason === "passkey-required") {
          if (ceremony?.rejected) metrics.passkeyRejected.inc();
          return sendError(reply, ceremony?.rejected ? "PASSKEY_INCORRECT" : "PASSKEY_REQUIRED");
        }
        const left = await store.failAttempt(idHash, now, config.passphraseMaxAttempts);
        if (left === null) return unavailable(reply);
        // The try that used up the last one is told so (attempts_left 0): this person passed the check a moment ago,
        // and the neutral 404 would make them fear someone else got the secret. Every later request gets that 404.
        if (left === 0) logEvent(request, "link.passphrase-exhausted", idHash);
        return (reply as FastifyReply)
          .code(403)
          .type("application/json; charset=utf-8")
          .send({ ...errorBody("PASSPHRASE_INCORRECT"), attempts_left: left });
      }
      const result = await store.redeemChallenge(proof.challengeHash, proof.expiresAt, idHash, now);
      if (result === "challenge-used") return sendError(reply, "POW_REPLAYED");
      if (result === "unavailable") return unavailable(reply);
      const expiresAt = now + config.sessionTtlSeconds * 1000;
      // A session opened with a passkey is bound to the device key and the credential together.
      const passkeyProof = ceremony?.proof ?? null;
      if (passkeyProof !== null && ceremony?.counter !== null && ceremony?.counter !== undefined) {
        await store.updatePasskeyCounter(passkeyProof.credentialIdHash, ceremony.counter);
      }
      const binding =
        deviceKey === null ? null : passkeyProof !== null ? passkeyBinding(deviceKey.raw, passkeyProof.credentialIdHash) : deviceBinding(deviceKey.raw);
      const token = mintSessionToken(deps.sessionKey, idHash, { expiresAt, binding }, deps.random);
      metrics.sessionsMinted.inc();
      if (binding !== null && deviceKey !== null) {
        metrics.sessionsBound.inc();
        deviceKeys.put(binding, deviceKey.key, expiresAt);
      }
      reply.header(
        "set-cookie",
        stringifySetCookie({
          name: SESSION_COOKIE,
          value: token,
          path: `/api/v1/links/${id}`,
          httpOnly: true,
          sameSite: "strict",
          secure: cookieSecure,
          maxAge: config.sessionTtlSeconds,
        }),
      );
      return reply.code(201).send({ session: token, expires_in: config.sessionTtlSeconds });
    },
  );

  api.post(
    "/api/v1/links/:id/consume",
    {
      schema: {
        summary: "Redeem a session: the one atomic FRESH -> CONSUMED step; releases the content once",
        description:
          "JSON for text and envelopes. A file link (\"content\": \"file\" in the link info) answers application/octet-stream " +
          "instead, with Content-Length: its client file stream (docs/formats.md), streamed once.",
        tags: ["open"],
        params: LinkParams,
        headers: ConsumeHeaders,
        security: SESSION_SECURITY,
        response: { 200: ConsumeOk, ...errors(401, 404) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      if (!isSecretShape(id)) return unavailable(reply);
      const token = sessionToken(request);
      const idHash = sha256(id);
      const now = deps.now();
      const claims = token === null ? null : verifySessionToken(deps.sessionKey, token, idHash, now);
      if (token === null || claims === null) return sendError(reply, "SESSION_INVALID");
      // A device-bound session opens only with a signature from the device's private key: a token copied to
      // another client is worthless there, and the link stays fresh. One ECDSA P-256 verify (node:crypto).
      // A passkey session names its credential; the binding then covers the device key and the credential.
      const credentialText = singleHeader(request, PASSKEY_CREDENTIAL_HEADER);
      const credentialId = credentialText === undefined ? null : responseCredentialId({ rawId: credentialText });
      if (
        claims.binding !== null &&
        ((credentialText !== undefined && credentialId === null) ||
          !verifyDeviceProof(
            claims.binding,
            singleHeader(request, DEVICE_KEY_HEADER),
            singleHeader(request, DEVICE_SIGNATURE_HEADER),
            deviceProofMessage(token),
            deviceKeys.take(claims.binding, now),
            credentialId === null ? undefined : (raw) => passkeyBinding(raw, sha256(credentialId)),
          ))
      ) {
        metrics.deviceProofRejected.inc();
        return sendError(reply, "SESSION_INVALID");
      }
      if (request.headers.cookie !== undefined) {
        // The session is spent either way: tell the browser to forget it.
        reply.header(
          "set-cookie",
          stringifySetCookie({ name: SESSION_COOKIE, value: "", path: `/api/v1/links/${id}`, httpOnly: true, sameSite: "strict", secure: cookieSecure, maxAge: 0 }),
        );
      }
      const released = await store.consume(idHash, now);
      if (released === null) {
        // Consumed, revoked or expired: if it is only past its expiry so far, make that stick before saying so. A read
        // first, so the 404s of spent links cost no write and no fsync. A store that cannot write now cannot consume
        // either: the 404 stands (a 500 would tell the client the link may have been used up).
        await linkMetaAt(store, idHash, now).catch(() => undefined);
        return unavailable(reply);
      }
      metrics.linksConsumed.inc();
      logEvent(request, "link.consumed", idHash);
      if (released.kind === "file") return sendFileContent(deps, request, reply, released, idHash);
      // Node ends the socket as soon as it reads the client's end of it (its writable side goes), well before closing it.
      if (reply.raw.destroyed || request.raw.socket.writable === false) {
        // The recipient hung up after sending the consume: the commit cannot be taken back, and nobody reads this answer.
        metrics.consumesUndelivered.inc();
        logEvent(request, "link.consume-undelivered", idHash);
      }
      const plaintext = openContent(keyring, released, idHash);
      reply.type("application/json; charset=utf-8").serializer(serializeConsumeBody);
      return released.kind === "text"
        ? { content: plaintext.toString("utf8") }
        : { ciphertext: plaintext.toString("base64url") };
    },
  );

  api.get(
    "/api/v1/links/:id/status",
    {
      schema: {
        summary: "The sender's view of a link",
        tags: ["manage"],
        params: LinkParams,
        security: MANAGE_SECURITY,
        response: { 200: StatusResponse, ...errors(404) },
      },
    },
    async (request, reply) => {
      const auth = await authorizeSender(request, request.params.id);
      if (!auth) return unavailable(reply);
      const { meta } = auth;
      const now = deps.now();
      const state = effectiveState(meta, now);
      const endedAt = effectiveEndedAt(meta, now);
      const events = await store.listEvents(auth.idHash);
      const choices = parseLinkPolicy(meta.policy);
      const policy = parsePolicy(meta.policy);
      return {
        state,
        created_at: iso(meta.createdAt),
        expires_at: iso(meta.expiresAt),
        consumed_at: state === "consumed" && endedAt !== null ? iso(endedAt) : null,
        ended_at: endedAt === null ? null : iso(endedAt),
        events: events.map((event) => ({ kind: event.kind, at: iso(event.at) })),
        // The sender's own choices, for the manage page's "make a replacement": never the passphrase's salt or proof.
        policy: {
          template: choices.template,
          passphrase: policy.passphrase !== undefined,
          passkey: policy.passkey !== undefined,
          // The kind only: a replacement asks for the same, and the sender types the recipient's handle again.
          passkey_mode: policy.passkey?.mode ?? null,
          passphrase_fallback: policy.passphraseFallback === true,
          preview: choices.preview,
          allow_country: [...(policy.allowCountry ?? [])],
          allow_ip: [...(policy.allowIp ?? [])],
          deny_ip: [...(policy.denyIp ?? [])],
        },
      };
    },
  );

  api.delete(
    "/api/v1/links/:id",
    {
      schema: {
        summary: "Revoke a link and destroy its content",
        tags: ["manage"],
        params: LinkParams,
        security: MANAGE_SECURITY,
        response: { 204: { type: "null", description: "Revoked (or already ended)" }, ...errors(404) },
      },
    },
    async (request, reply) => {
      const auth = await authorizeSender(request, request.params.id);
      if (!auth) return unavailable(reply);
      if (await store.revoke(auth.idHash, deps.now())) {
        metrics.linksRevoked.inc();
        logEvent(request, "link.revoked", auth.idHash);
      }
      return reply.code(204).send(null);
    },
  );
}
