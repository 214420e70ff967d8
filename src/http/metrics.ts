import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** Counters and histograms the service exposes on /metrics. Labels are route patterns, never ids or tokens. */
export interface Metrics {
  registry: Registry;
  requests: Counter<"route" | "method" | "status">;
  duration: Histogram<"route" | "method">;
  linksCreated: Counter<"encryption">;
  linksConsumed: Counter;
  linksExpired: Counter;
  linksRevoked: Counter;
  sessionsMinted: Counter;
  powRejected: Counter;
}

/** A fresh registry per app, so several apps (tests, nodes in one process) never share counters. */
export function createMetrics(opts: { defaultMetrics: boolean }): Metrics {
  const registry = new Registry();
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: "oncelink_" });
  const registers = [registry];
  return {
    registry,
    requests: new Counter({
      name: "oncelink_http_requests_total",
      help: "HTTP requests by route pattern, method and status",
      labelNames: ["route", "method", "status"],
      registers,
    }),
    duration: new Histogram({
      name: "oncelink_http_request_duration_seconds",
      help: "HTTP request latency by route pattern",
      labelNames: ["route", "method"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    linksCreated: new Counter({
      name: "oncelink_links_created_total",
      help: "Links created, by who encrypted the content",
      labelNames: ["encryption"],
      registers,
    }),
    linksConsumed: new Counter({ name: "oncelink_links_consumed_total", help: "Links opened (consumed) once", registers }),
    linksExpired: new Counter({ name: "oncelink_links_expired_total", help: "Links that expired unopened", registers }),
    linksRevoked: new Counter({ name: "oncelink_links_revoked_total", help: "Links revoked by their sender", registers }),
    sessionsMinted: new Counter({ name: "oncelink_sessions_minted_total", help: "Open sessions minted", registers }),
    powRejected: new Counter({ name: "oncelink_pow_rejected_total", help: "Proofs of work rejected", registers }),
  };
}
