/**
 * Longest path parameter: the router's bound (Fastify's maxParamLength) and every id or token parameter's schema
 * bound. It is Node's default limit on the request line and headers (16 KiB), so no parameter that reaches the router
 * is refused for its length before its handler can answer it like an unknown one (isSecretShape checks the exact
 * shape). In a module of its own so that schemas.ts and passkey-schemas.ts (which schemas.ts imports) share it
 * without an import cycle.
 */
export const MAX_PATH_PARAM_CHARS = 16 * 1024;
