// Answers written below Fastify, where no hook runs: Node's parse errors and Expect refusals. They carry the same
// security headers as every other answer (no-store, no-referrer, nosniff, the lean CSP) and a registry error body.
import { STATUS_CODES, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { FastifyBaseLogger } from "fastify";
import { ERRORS, errorBody, type ErrorCode } from "../core/errors.js";

/** Node's client errors with an answer of their own; every other one is a malformed request. */
const CLIENT_ERROR_CODES: Readonly<Record<string, ErrorCode>> = {
  HPE_HEADER_OVERFLOW: "HEADERS_TOO_LARGE",
  ERR_HTTP_REQUEST_TIMEOUT: "REQUEST_TIMEOUT",
};

function answerHeaders(headers: Readonly<Record<string, string>>, body: string): Record<string, string> {
  return { ...headers, "content-type": "application/json; charset=utf-8", "content-length": String(Buffer.byteLength(body)), connection: "close" };
}

/**
 * Fastify's clientErrorHandler: answers a request Node could not parse (or that timed out) and closes the connection,
 * as Fastify's default does, but with our headers and error body. The error holds the raw bytes that failed to parse
 * (`rawPacket`: the path with its id, the Authorization header), so only its code is logged.
 */
export function answerClientError(
  error: Error & { code?: string },
  socket: Duplex,
  headers: Readonly<Record<string, string>>,
  log: FastifyBaseLogger,
): void {
  // A reset connection has nobody to answer.
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const code = CLIENT_ERROR_CODES[error.code ?? ""] ?? "BAD_REQUEST";
  log.debug({ code: error.code ?? null }, "client error");
  if (socket.writable) {
    const status = ERRORS[code].status;
    const body = JSON.stringify(errorBody(code));
    const lines = Object.entries(answerHeaders(headers, body)).map(([name, value]) => `${name}: ${value}\r\n`);
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${lines.join("")}\r\n${body}`);
  }
  socket.destroy();
}

/** The server's checkExpectation listener: an Expect other than 100-continue gets 417, with our headers. */
export function answerExpectation(response: ServerResponse, headers: Readonly<Record<string, string>>): void {
  const body = JSON.stringify(errorBody("EXPECTATION_FAILED"));
  response.writeHead(ERRORS.EXPECTATION_FAILED.status, answerHeaders(headers, body));
  response.end(body);
}
