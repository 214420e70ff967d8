import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { ERRORS, errorBody, type ErrorCode } from "../core/errors.js";

/** Sends a registry error as `{error, message}` with its status. */
export function sendError(reply: FastifyReply, code: ErrorCode, message?: string): FastifyReply {
  return reply.code(ERRORS[code].status).type("application/json; charset=utf-8").send(errorBody(code, message));
}

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "UNSUPPORTED_MEDIA_TYPE",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "BAD_REQUEST",
  FST_ERR_CTP_EMPTY_JSON_BODY: "BAD_REQUEST",
  FST_ERR_CTP_INVALID_JSON_BODY: "BAD_REQUEST",
};

/**
 * The one global error handler: expected client faults become 4xx with a stable code; anything else is
 * logged (without request data) and answered with a neutral 500 whose text reveals nothing.
 */
export function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error.validation) {
    // AJV's messages name the field and the rule, never the submitted value.
    return sendError(reply, "VALIDATION_FAILED", `${error.validationContext ?? "request"}: ${error.validation[0]?.message ?? "invalid"}`);
  }
  const mapped = error.code ? FASTIFY_CODES[error.code] : undefined;
  if (mapped) return sendError(reply, mapped);
  if (error instanceof SyntaxError) return sendError(reply, "BAD_REQUEST");
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    if (status === 413) return sendError(reply, "PAYLOAD_TOO_LARGE");
    if (status === 415) return sendError(reply, "UNSUPPORTED_MEDIA_TYPE");
    if (status === 429) return sendError(reply, "RATE_LIMITED");
    return reply.code(status).send(errorBody("BAD_REQUEST"));
  }
  request.log.error({ err: { type: error.name, code: error.code, message: error.message, stack: error.stack } }, "unhandled error");
  return sendError(reply, "INTERNAL");
}
