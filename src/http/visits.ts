import type { FastifyBaseLogger, FastifyRequest } from "fastify";
import { classifyRequest, type PreviewerRegistry, type RequestClass, type VisitKind } from "../core/classify.js";
import { isSecretShape } from "../core/ids.js";
import { effectiveState } from "../core/link.js";
import { parseLinkPolicy } from "../core/link-policy.js";
import { sha256 } from "../crypto/hash.js";
import type { LinkStore } from "../store/link-store.js";
import type { Metrics } from "./metrics.js";

/** Event writes in flight at most; past this, visits are still counted in metrics but not written (a flood). */
const MAX_PENDING_EVENTS = 256;

/** What a request for a recipient page turned out to be, and how to answer it. */
export interface PageVisit {
  class: RequestClass;
  /** Add the generic preview card to the page (a known previewer, and the link's policy allows it). */
  card: boolean;
}

/** Classifies requests for `/l/{id}` and records automated visits on the link. */
export interface LinkVisits {
  /**
   * Classifies a request for the recipient page and, when it is automated, records the visit (class and time
   * only) on the link in the background. Never changes the link's state. Only known previewers and other
   * automation cost a store read (the link's preview policy); a person, a prefetch or a probe is answered without
   * any lookup.
   */
  observe(request: FastifyRequest, id: string): Promise<PageVisit>;
}

/** Builds the visit handling of the recipient page. */
export function createLinkVisits(deps: {
  store: LinkStore;
  metrics: Metrics;
  registry: PreviewerRegistry;
  now: () => number;
  log: FastifyBaseLogger;
}): LinkVisits {
  const { store, metrics, registry } = deps;
  let pending = 0;

  function record(idHash: Uint8Array, kind: VisitKind): void {
    if (pending >= MAX_PENDING_EVENTS) {
      metrics.visitEventsDropped.inc();
      return;
    }
    pending++;
    store
      .recordEvent(idHash, { kind, at: deps.now() })
      .catch((err: Error) => deps.log.warn({ err: { message: err.message } }, "visit event not recorded"))
      .finally(() => pending--);
  }

  return {
    async observe(request, id) {
      const cls = classifyRequest(request.method, request.headers, registry);
      if (cls === "person") return { class: cls, card: false };
      metrics.visits.inc({ class: cls });
      if (!isSecretShape(id)) return { class: cls, card: cls !== "prefetch" && cls !== "probe" };
      const idHash = sha256(id);
      if (cls === "prefetch" || cls === "probe" || request.method === "HEAD" || request.method === "OPTIONS") {
        // Answered at once with the plain page (a prefetched page may be shown to the person later; a HEAD or
        // OPTIONS answer has no body to put a card in); the store ignores events for unknown ids, so no lookup is
        // needed to record one.
        record(idHash, cls);
        return { class: cls, card: false };
      }
      const meta = await store.getLinkMeta(idHash);
      if (meta === null) return { class: cls, card: true };
      record(idHash, cls);
      // The card is the same for every link, ended or not; only a fresh link whose sender switched it off goes
      // without one.
      const off = effectiveState(meta, deps.now()) === "fresh" && parseLinkPolicy(meta.policy).preview === "none";
      return { class: cls, card: !off };
    },
  };
}
