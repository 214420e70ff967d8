// Answers written below Fastify's hooks (Node's parse errors, Expect refusals, requests during shutdown) must carry
// the same security headers and error bodies as every other answer.
import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { newSecret } from "../src/core/ids.js";
import { buildTestApp, type TestApp } from "./helpers/app.js";
import { recordSecrets } from "./helpers/secrets.js";

/** A well-shaped id of no link; the log scan checks that no answer or log line carries it. */
const UNKNOWN_ID = newSecret(randomBytes);
recordSecrets(UNKNOWN_ID);

/** Sends raw bytes on a fresh connection and resolves with everything the server sent before closing it. */
function rawExchange(port: number, ...pieces: Array<string | (() => Promise<void>)>): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let received = "";
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => (received += chunk));
    socket.on("error", (error: NodeJS.ErrnoException) => (error.code === "ECONNRESET" ? resolve(received) : reject(error)));
    socket.on("close", () => resolve(received));
    socket.on("connect", () => {
      void (async () => {
        for (const piece of pieces) {
          if (typeof piece === "string") socket.write(piece);
          else await piece();
        }
      })();
    });
  });
}

/** The status, lower-cased headers and body of one raw HTTP/1.1 answer. */
function parseAnswer(raw: string): { status: number; headers: Record<string, string>; body: string } {
  const end = raw.indexOf("\r\n\r\n");
  const [statusLine, ...lines] = raw.slice(0, end).split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine!.split(" ")[1]), headers, body: raw.slice(end + 4) };
}

function expectSecretPathAnswer(raw: string, status: number, code: string): void {
  const answer = parseAnswer(raw);
  expect(answer.status).toBe(status);
  expect(answer.headers["cache-control"]).toBe("no-store");
  expect(answer.headers["referrer-policy"]).toBe("no-referrer");
  expect(answer.headers["x-content-type-options"]).toBe("nosniff");
  expect(answer.headers["content-security-policy"]).toContain("default-src 'none'");
  expect(JSON.parse(answer.body)).toMatchObject({ error: code });
  // Nothing of the request comes back.
  expect(raw).not.toContain(UNKNOWN_ID);
}

describe("answers below Fastify's hooks", () => {
  let t: TestApp;
  let port: number;

  beforeEach(async () => {
    t = await buildTestApp();
    await t.app.listen({ port: 0, host: "127.0.0.1" });
    port = (t.app.server.address() as { port: number }).port;
  });

  afterEach(async () => {
    await t.close();
  });

  it("a request Node cannot parse gets 400 BAD_REQUEST with the secret-path headers", async () => {
    const raw = await rawExchange(port, `GET /l/${UNKNOWN_ID} HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n`);
    expectSecretPathAnswer(raw, 400, "BAD_REQUEST");
  });

  it("headers larger than Node accepts get 431 HEADERS_TOO_LARGE with the secret-path headers", async () => {
    const raw = await rawExchange(port, `GET /l/${UNKNOWN_ID} HTTP/1.1\r\nHost: x\r\nCookie: ${"a".repeat(20_000)}\r\n\r\n`);
    expectSecretPathAnswer(raw, 431, "HEADERS_TOO_LARGE");
  });

  it("an Expect header other than 100-continue gets 417 EXPECTATION_FAILED with the secret-path headers", async () => {
    const raw = await rawExchange(port, `GET /api/v1/links/${UNKNOWN_ID} HTTP/1.1\r\nHost: x\r\nExpect: something-else\r\nConnection: close\r\n\r\n`);
    expectSecretPathAnswer(raw, 417, "EXPECTATION_FAILED");
  });

  it("a request arriving while the server shuts down gets 503 SHUTTING_DOWN with the secret-path headers", async () => {
    let closed: Promise<void> | undefined;
    // The request has begun (so the connection is not idle and survives the close), the close starts, then the
    // request ends: it is routed after the shutdown began.
    const raw = await rawExchange(
      port,
      `GET /api/v1/links/${UNKNOWN_ID} HTTP/1.1\r\nHost: x\r\n`,
      async () => {
        await new Promise((r) => setTimeout(r, 100));
        closed = t.app.close();
        await new Promise((r) => setTimeout(r, 200));
      },
      "\r\n",
    );
    expectSecretPathAnswer(raw, 503, "SHUTTING_DOWN");
    expect(parseAnswer(raw).headers.connection).toBe("close");
    await closed;
  });
});
