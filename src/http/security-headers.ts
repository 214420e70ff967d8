// Response headers, computed once. @fastify/helmet sets a similar set but re-dashes its directive names on every
// response; and each header costs Node a validation pass when the response is written (measured here: the full
// browser set below costs ~9 us per request, a third of a bare Fastify request). So JSON answers, which no
// browser renders, carry the lean set, and only HTML pages carry the browser hardening headers.

const PAGE_CSP = [
  "default-src 'none'",
  // 'wasm-unsafe-eval' lets the pages compile hash-wasm's Argon2id (passphrase links); it allows no JS eval.
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  // Trusted Types: no page script may hand a string to an HTML or script sink (innerHTML, eval, script.src...),
  // and none may create a policy that would let it. Our bundles build the DOM with text and element calls only.
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join("; ");

/** Headers on every response, JSON included: no sniffing, no referrer, no framing, no cross-origin reads. */
export function baseHeaders(opts: { https: boolean }): Readonly<Record<string, string>> {
  return Object.freeze({
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cross-origin-resource-policy": "same-origin",
    ...(opts.https ? { "strict-transport-security": "max-age=31536000; includeSubDomains" } : {}),
  });
}

/** Headers added to HTML pages: the page CSP (no inline script) and the browser hardening set. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "content-security-policy": PAGE_CSP,
  "cross-origin-opener-policy": "same-origin",
  "origin-agent-cluster": "?1",
  "x-dns-prefetch-control": "off",
  "x-frame-options": "DENY",
  "x-permitted-cross-domain-policies": "none",
});

/** Extra headers for everything but the static assets: secret paths are never cached, indexed or followed. */
export const NO_STORE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "cache-control": "no-store",
  "x-robots-tag": "noindex, nofollow",
});
