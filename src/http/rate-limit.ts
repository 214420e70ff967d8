import rateLimit, { type FastifyRateLimitStore } from "@fastify/rate-limit";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { ERRORS } from "../core/errors.js";
import { hmacSha256 } from "../crypto/hash.js";
import type { RateLimitBackend } from "../store/link-store.js";

/** Every limit counts requests per minute. */
export const RATE_LIMIT_WINDOW_MS = 60_000;
const DAY_MS = 86_400_000;

/**
 * The counter key of a client: a truncated HMAC of the address under the rate-limit subkey and the current UTC day,
 * so neither memory, the database nor a log ever holds an address, and keys of different days cannot be linked.
 * @example rateLimitKey(subkey, Date.now(), "203.0.113.9") // "k3f0...": 22 characters
 */
export function rateLimitKey(subkey: Uint8Array, now: number, address: string): string {
  const day = Math.floor(now / DAY_MS);
  return hmacSha256(subkey, `${day}\n${address}`).subarray(0, 16).toString("base64url");
}

type IncrCallback = Parameters<FastifyRateLimitStore["incr"]>[1];

/**
 * A store for @fastify/rate-limit whose counters live in the shared database (see RateLimitBackend): each route's
 * child store prefixes its keys with the route, as the plugin's Redis store does.
 */
export function sharedRateLimitStore(backend: RateLimitBackend, now: () => number) {
  return class SharedRateLimitStore implements FastifyRateLimitStore {
    readonly #prefix: string;

    constructor(_params?: unknown, prefix = "") {
      this.#prefix = prefix;
    }

    incr(key: string, callback: IncrCallback, timeWindow: number): void {
      const at = now();
      backend.hitRateLimit(this.#prefix + key, timeWindow, at).then(
        (hit) => callback(null, { current: hit.count, ttl: Math.max(0, hit.resetAt - at) }),
        (error: Error) => callback(error),
      );
    }

    // The plugin hands the merged limit options, with the route's own options under `routeInfo` (empty for a
    // limiter made with createRateLimit, whose keys carry their own prefix).
    child(routeOptions: object): SharedRateLimitStore {
      const route = (routeOptions as { routeInfo?: { method?: unknown; url?: unknown } }).routeInfo;
      if (route?.method === undefined) return new SharedRateLimitStore(undefined, this.#prefix);
      return new SharedRateLimitStore(undefined, `${this.#prefix}${String(route.method)} ${String(route.url)}:`);
    }
  };
}

/**
 * Registers @fastify/rate-limit for the routes that opt in with `rateLimitFor(max)`: counted per client address as
 * Fastify sees it (`request.ip`, so TRUST_PROXY applies) under a keyed hash, in memory on a single node or in the
 * database when a shared backend is given. Exceeding answers 429 RATE_LIMITED through the app's error handler.
 */
export async function registerRateLimit(
  app: FastifyInstance,
  opts: { subkey: Uint8Array; now: () => number; backend?: RateLimitBackend },
): Promise<void> {
  await app.register(rateLimit, {
    global: false,
    ...(opts.backend ? { store: sharedRateLimitStore(opts.backend, opts.now) } : {}),
    keyGenerator: (request: FastifyRequest) => rateLimitKey(opts.subkey, opts.now(), request.ip),
    errorResponseBuilder: () =>
      Object.assign(new Error(ERRORS.RATE_LIMITED.message), { statusCode: 429, code: "RATE_LIMITED" }),
  });
}

/** The route config that applies a per-minute limit, or none when `max` is 0 (limit off). */
export function rateLimitFor(max: number): { rateLimit?: { max: number; timeWindow: number } } {
  return max > 0 ? { rateLimit: { max, timeWindow: RATE_LIMIT_WINDOW_MS } } : {};
}

/** Window of the per-address passphrase limit. */
export const PASSPHRASE_WINDOW_MS = 15 * 60_000;

/** Counts one passphrase try of a client; says when it is over the limit and how long until the window ends. */
export type PassphraseLimiter = (request: FastifyRequest) => Promise<{ limited: false } | { limited: true; retryAfterSeconds: number }>;

/**
 * The per-address limit on passphrase tries, across all links: every session request that carries a passphrase
 * proof counts, before the proof is compared, so parallel guesses cannot slip past a check-then-count race. It uses
 * the same counters as the route limits (shared through PostgreSQL between nodes). Null when `max` is 0 (off).
 */
export function createPassphraseLimiter(app: FastifyInstance, opts: { max: number; subkey: Uint8Array; now: () => number }): PassphraseLimiter | null {
  if (opts.max <= 0) return null;
  const check = app.createRateLimit({
    max: opts.max,
    timeWindow: PASSPHRASE_WINDOW_MS,
    keyGenerator: (request: FastifyRequest) => `passphrase:${rateLimitKey(opts.subkey, opts.now(), request.ip)}`,
  });
  return async (request) => {
    const result = await check(request);
    if (result.isAllowed || !result.isExceeded) return { limited: false };
    return { limited: true, retryAfterSeconds: Math.max(1, result.ttlInSeconds) };
  };
}
