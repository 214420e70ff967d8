import type { IncomingMessage, ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import swagger from "@fastify/swagger";
import { Gauge, type Counter, type Histogram } from "prom-client";
import type { FastifyBaseLogger } from "fastify";
import { DeviceKeyCache } from "../crypto/device-key.js";
import { deriveSubkey } from "../crypto/server-layer.js";
import type { AppDeps, RouteDeps } from "./deps.js";
import { handleError, sendError } from "./errors.js";
import { createMetrics } from "./metrics.js";
import { answerClientError, answerExpectation } from "./raw-answers.js";
import { SECURITY_SCHEMES } from "./openapi-security.js";
import { createPowService } from "./pow.js";
import { loadPreviewerRegistry } from "./previewers.js";
import { createCountryLookup } from "./country.js";
import { loadPolicySetup } from "./policy-setup.js";
import { createPassphraseLimiter, registerRateLimit } from "./rate-limit.js";
import { registerFileRoutes } from "./routes/files.js";
import { registerLinkRoutes } from "./routes/links.js";
import { registerOpsRoutes } from "./routes/ops.js";
import { registerPasskeyRoutes } from "./routes/passkeys.js";
import { registerPageRoutes, sendUnavailablePage } from "./routes/pages.js";
import { registerTemplateRoutes } from "./routes/templates.js";
import { MAX_PATH_PARAM_CHARS } from "./path-params.js";
import { MAX_RECIPIENTS } from "./schemas.js";
import { policySettingsFrom } from "../web/page-settings.js";
import { NO_STORE_HEADERS, baseHeaders } from "./security-headers.js";
import { createLinkVisits } from "./visits.js";
import { createPasskeyService } from "./webauthn.js";

export interface AppOptions {
  logger: FastifyBaseLogger;
  /** Where the built browser assets live (default: dist/assets, beside this file's build). */
  assetDir?: string;
  /** Process-wide metrics (CPU, memory); off in tests that build many apps. */
  defaultMetrics?: boolean;
}

/**
 * Builds the Fastify app from its dependencies. Routes only validate, call the store and crypto, and map
 * results to responses; nothing here reads the environment or the clock directly.
 */
export async function createApp(deps: AppDeps, opts: AppOptions): Promise<FastifyInstance> {
  const headers = baseHeaders({ https: deps.config.publicUrl.startsWith("https:") });
  const secretPathHeaders = Object.freeze({ ...headers, ...NO_STORE_HEADERS });
  const app = Fastify({
    loggerInstance: opts.logger,
    // Fastify's request logging prints URLs, which carry link ids: we log route patterns ourselves.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: Math.ceil((deps.config.maxSecretBytes * 4) / 3) + 16 * 1024,
    trustProxy: deps.config.trustProxy,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    // Fastify's own 503 while closing is written before any hook, without our headers: ours is sent by the onRequest
    // hook below instead.
    return503OnClosing: false,
    // Answers Node writes to the socket itself (a malformed request, headers too large, a timeout): see raw-answers.ts.
    clientErrorHandler: (error, socket) => {
      answerClientError(error, socket, secretPathHeaders, opts.logger);
    },
    routerOptions: { maxParamLength: MAX_PATH_PARAM_CHARS },
    // A URL the router cannot take apart: a malformed percent-escape, or a parameter past the bound above (only with
    // a raised --max-http-header-size). Fastify's own answer would echo the path, which may carry an id.
    frameworkErrors: (error, request, reply) => {
      reply.headers(secretPathHeaders);
      if (error.code !== "FST_ERR_BAD_URL" && error.code !== "FST_ERR_MAX_PARAM_LENGTH") return handleError(error, request, reply);
      // A link id the router could not read is still an id nobody can open: the one 404 of an unknown link.
      if (request.url.startsWith("/api/v1/links/")) return sendError(reply, "UNAVAILABLE");
      return answerUnrouted(request, reply);
    },
  });
  const metrics = createMetrics({ defaultMetrics: opts.defaultMetrics ?? false });
  const { store } = deps;
  new Gauge({
    name: "oncelink_file_storage_bytes",
    help: "Sealed bytes of all stored file chunks (what FILE_STORAGE_QUOTA counts)",
    registers: [metrics.registry],
    async collect() {
      this.set(await store.storageBytes());
    },
  });
  // Read once at start: a bad ONCELINK_PREVIEWERS_FILE stops the start with a ConfigError naming it.
  const previewers = loadPreviewerRegistry(deps.config.previewersFile);
  // Likewise a bad ONCELINK_POLICY_FILE or ONCELINK_COUNTRY_DB.
  const policySetup = loadPolicySetup(deps.config);
  const countryOf = createCountryLookup(deps.config.countryDb);
  const rateLimitSubkey = deriveSubkey(deps.keyring, "rate-limit");
  const routeDeps: Omit<RouteDeps, "passphraseLimiter"> = {
    ...deps,
    metrics,
    pow: createPowService({
      hmacKey: deriveSubkey(deps.keyring, "pow"),
      maxNumber: deps.config.powMaxNumber,
      ttlSeconds: deps.config.challengeTtlSeconds,
    }),
    logKey: deriveSubkey(deps.keyring, "log-tag"),
    sessionKey: deriveSubkey(deps.keyring, "session"),
    previewers,
    visits: createLinkVisits({ store: deps.store, metrics, registry: previewers, now: deps.now, log: app.log }),
    deviceKeys: new DeviceKeyCache(),
    passkeys: createPasskeyService({ publicUrl: deps.config.publicUrl, hmacKey: deriveSubkey(deps.keyring, "webauthn") }),
    policySetup,
    countryOf,
  };

  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "oncelink",
        version: "1.0.0",
        description: "One-time access links. See docs/protocol.md for the open sequence.",
      },
      tags: [
        { name: "links", description: "Create" },
        { name: "files", description: "Upload a file in parts; finishing makes the link" },
        { name: "open", description: "The recipient's two-step open" },
        { name: "manage", description: "The sender's view and revoke" },
        { name: "passkeys", description: "Passkey handles: enrolment links for recipient-bound links" },
        { name: "ops", description: "Operations" },
      ],
      components: { securitySchemes: SECURITY_SCHEMES },
    },
  });
  // Node answers an Expect header other than 100-continue with a bare 417 unless someone listens.
  app.server.on("checkExpectation", (_request: IncomingMessage, response: ServerResponse) => answerExpectation(response, secretPathHeaders));
  let closing = false;
  app.addHook("preClose", (done) => {
    closing = true;
    done();
  });
  // Callback-style hooks: an async hook costs a promise and a microtask on every request.
  app.addHook("onRequest", (request, reply, done) => {
    reply.headers(request.url.startsWith("/assets/") ? headers : secretPathHeaders);
    if (!closing) return done();
    // Shutting down: a request on a connection still open gets a 503 and the connection ends with it.
    void sendError(reply.header("connection", "close"), "SHUTTING_DOWN");
  });
  // Each (route, method, status) bound once: prom-client then skips hashing the labels on every request.
  const requestCounters = new Map<string, { count: Counter.Internal; time: Histogram.Internal<"route" | "method"> }>();
  app.addHook("onResponse", (request, reply, done) => {
    // Route patterns only ("/l/:id"), never the URL: URLs carry link ids. The set of keys is bounded by the routes.
    const route = request.routeOptions.url ?? "unmatched";
    const key = `${request.method} ${route} ${reply.statusCode}`;
    let bound = requestCounters.get(key);
    if (bound === undefined) {
      bound = {
        count: metrics.requests.labels({ route, method: request.method, status: String(reply.statusCode) }),
        time: metrics.duration.labels({ route, method: request.method }),
      };
      requestCounters.set(key, bound);
    }
    bound.count.inc();
    bound.time.observe(reply.elapsedTime / 1000);
    request.log.info({ method: request.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 }, "request");
    done();
  });

  app.setErrorHandler(handleError);
  app.setNotFoundHandler(async (request, reply) => answerUnrouted(request, reply));

  await registerRateLimit(app, {
    subkey: rateLimitSubkey,
    now: deps.now,
    ...(deps.rateLimits ? { backend: deps.rateLimits } : {}),
  });
  const passphraseLimiter = createPassphraseLimiter(app, { max: deps.config.rateLimitPassphrase, subkey: rateLimitSubkey, now: deps.now });
  registerLinkRoutes(app, { ...routeDeps, passphraseLimiter });
  registerFileRoutes(app, { ...routeDeps, passphraseLimiter });
  registerPasskeyRoutes(app, { ...routeDeps, passphraseLimiter });
  registerTemplateRoutes(app, policySetup);
  registerPageRoutes(app, {
    assetDir: opts.assetDir ?? fileURLToPath(new URL("../assets", import.meta.url)),
    visits: routeDeps.visits,
    settings: {
      clipboardClearSeconds: deps.config.clipboardClearSeconds,
      ttl: { min: deps.config.minTtlSeconds, max: deps.config.maxTtlSeconds, default: deps.config.defaultTtlSeconds },
      maxFileBytes: deps.config.maxFileBytes,
      maxSecretBytes: deps.config.maxSecretBytes,
      passphraseMaxAttempts: deps.config.passphraseMaxAttempts,
      policy: policySettingsFrom(policySetup, MAX_RECIPIENTS),
    },
  });
  registerOpsRoutes(app, { ...routeDeps, passphraseLimiter });

  const purge = setInterval(() => {
    deps.store.purgeExpired(deps.now()).then(
      (result) => {
        if (result.expired > 0) metrics.linksExpired.inc(result.expired);
        if (result.files > 0) app.log.info({ event: "files.swept", count: result.files }, "files.swept");
      },
      (err: Error) => app.log.error({ err: { message: err.message } }, "purge failed"),
    );
  }, deps.config.purgeIntervalSeconds * 1000);
  purge.unref();
  app.addHook("onClose", async () => clearInterval(purge));

  return app;
}

/** The answer to a request no route took: NOT_FOUND under /api/, the unavailable page elsewhere. */
function answerUnrouted(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (request.url.startsWith("/api/")) return sendError(reply, "NOT_FOUND");
  return sendUnavailablePage(request, reply);
}
