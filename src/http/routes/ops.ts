import type { FastifyInstance } from "fastify";
import type { RouteDeps } from "../deps.js";
import { sendError } from "../errors.js";

/** Health, readiness, metrics and the OpenAPI document. */
export function registerOpsRoutes(app: FastifyInstance, deps: RouteDeps): void {
  app.get("/healthz", { schema: { summary: "Liveness", tags: ["ops"] } }, async () => ({ status: "ok" }));

  app.get("/readyz", { schema: { summary: "Readiness: the store answers", tags: ["ops"] } }, async (request, reply) => {
    try {
      await deps.store.ping();
      return { status: "ok" };
    } catch (err) {
      request.log.error({ err: { message: (err as Error).message } }, "store not ready");
      return sendError(reply, "NOT_READY");
    }
  });

  app.get("/metrics", { schema: { summary: "Prometheus metrics", tags: ["ops"] } }, async (_request, reply) =>
    reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics()),
  );

  app.get("/api/v1/openapi.json", { schema: { summary: "This document", tags: ["ops"] } }, async () => app.swagger());
}
