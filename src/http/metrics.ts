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
  /** Automated visits to recipient pages by class (chat-preview, mail-scanner, prefetch, ...): never by link. */
  visits: Counter<"class">;
  visitEventsDropped: Counter;
  challengesIssued: Counter<"friction">;
  sessionsBound: Counter;
  deviceProofRejected: Counter;
  /** File links created (finished uploads). */
  filesCreated: Counter;
  /** Uploads ended by a refusal (too large, storage full, not a file stream), by code. */
  uploadsRefused: Counter<"code">;
  /** File downloads (consumes of file links) by outcome: complete, or interrupted (the data is gone either way). */
  fileDownloads: Counter<"outcome">;
  /** Consumes that spent a link while nobody could receive its content: the recipient had hung up, or a file was cut off. */
  consumesUndelivered: Counter;
  passkeyRejected: Counter;
  passkeyEnrolled: Counter;
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
    visits: new Counter({
      name: "oncelink_automated_visits_total",
      help: "Requests for recipient pages classified as automated, by class (never by link)",
      labelNames: ["class"],
      registers,
    }),
    visitEventsDropped: new Counter({
      name: "oncelink_visit_events_dropped_total",
      help: "Automated visits not written to a link's event log because too many writes were pending",
      registers,
    }),
    challengesIssued: new Counter({
      name: "oncelink_challenges_issued_total",
      help: "Proof-of-work challenges issued, by friction level",
      labelNames: ["friction"],
      registers,
    }),
    sessionsBound: new Counter({ name: "oncelink_sessions_device_bound_total", help: "Sessions bound to a device key", registers }),
    filesCreated: new Counter({ name: "oncelink_files_created_total", help: "File links created (finished uploads)", registers }),
    uploadsRefused: new Counter({
      name: "oncelink_uploads_refused_total",
      help: "File uploads ended by a refusal, by error code (everything stored of them is deleted)",
      labelNames: ["code"],
      registers,
    }),
    fileDownloads: new Counter({
      name: "oncelink_file_downloads_total",
      help: "Consumes of file links by outcome: complete or interrupted (the file is deleted either way)",
      labelNames: ["outcome"],
      registers,
    }),
    consumesUndelivered: new Counter({
      name: "oncelink_consumes_undelivered_total",
      help: "Consumes that spent their link while nobody could receive the content (the recipient had hung up, or a file download was cut off)",
      registers,
    }),
    deviceProofRejected: new Counter({
      name: "oncelink_device_proof_rejected_total",
      help: "Consumes of a device-bound session without a valid device signature",
      registers,
    }),
    passkeyRejected: new Counter({
      name: "oncelink_passkey_rejected_total",
      help: "Session steps refused because the passkey ceremony did not verify or was not the recipient's",
      registers,
    }),
    passkeyEnrolled: new Counter({ name: "oncelink_passkeys_enrolled_total", help: "Passkeys enrolled under a handle", registers }),
  };
}
