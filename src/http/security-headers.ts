/**
 * Response headers for every answer, computed once. @fastify/helmet sets the same set, but re-dashes its
 * directive names and validates each header on every response: measured at ~10% of the CPU of a consume.
 */
export function securityHeaders(opts: { https: boolean }): Readonly<Record<string, string>> {
  const csp = [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
  return Object.freeze({
    "content-security-policy": csp,
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "origin-agent-cluster": "?1",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "x-dns-prefetch-control": "off",
    "x-frame-options": "DENY",
    "x-permitted-cross-domain-policies": "none",
    "x-xss-protection": "0",
    ...(opts.https ? { "strict-transport-security": "max-age=31536000; includeSubDomains" } : {}),
  });
}

/** Extra headers for everything but the static assets: secret paths are never cached, indexed or followed. */
export const NO_STORE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "cache-control": "no-store",
  "x-robots-tag": "noindex, nofollow",
});
