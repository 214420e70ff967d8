import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { PassThrough, Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CliContext } from "../cli/cli-context.js";
import { runCommand } from "../cli/main.js";
import { sendApiRequest } from "./api-request.js";
import { createLink } from "./create-link.js";
import { OncelinkApiError, OncelinkError } from "./errors.js";
import { getStatus } from "./manage-link.js";

// Redirects are never followed: two real local servers, one answering 301/307 towards the other, which must see
// nothing (no manage token, no body), while the caller gets an error naming the target's origin and no path.

const ID = "AAAAAAAAAAAAAAAAAAAAAA";
const TOKEN = "Zz0-_aBcDeFgHiJkLmNoPQ";

let redirector: Server;
let target: Server;
let from = "";
let to = "";
const reachedTarget: Array<{ method?: string; url?: string; auth?: string }> = [];

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

function close(server: Server | undefined): Promise<void> {
  return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
}

beforeAll(async () => {
  target = createServer((req: IncomingMessage, res) => {
    reachedTarget.push({ method: req.method, url: req.url, auth: req.headers.authorization });
    res.writeHead(200, { "content-type": "application/json" }).end("{}");
  });
  to = await listen(target);
  redirector = createServer((req, res) => {
    req.resume();
    // GETs get a 301, everything else a 307 (which a following client would answer by re-sending the body).
    const status = req.method === "GET" ? 301 : 307;
    res.writeHead(status, { location: `${to}${req.url ?? "/"}` }).end();
  });
  from = await listen(redirector);
});

afterAll(async () => {
  redirector?.closeAllConnections();
  target?.closeAllConnections();
  await Promise.all([close(redirector), close(target)]);
});

describe("sendApiRequest and redirects", () => {
  it("a 307 on a POST is not followed: the body never reaches the other origin, and the error names only its origin", async () => {
    const err = await sendApiRequest((i, init) => fetch(i, init), `${from}/api/v1/links/${ID}/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ passphrase_proof: "proof-must-stay-home" }),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OncelinkError);
    const message = (err as Error).message;
    expect(message).toContain(`redirect to ${to}`);
    expect(message).not.toContain(ID);
    expect(message).not.toContain("/api/");
    expect(reachedTarget).toEqual([]);
  });

  it("getStatus: the manage token does not follow a 301, and the failure is a redirect, not 'no such link'", async () => {
    const err = await getStatus(`${from}/m/${ID}#${TOKEN}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OncelinkError);
    expect((err as Error).name).toBe("OncelinkError");
    expect((err as Error).message).toContain(to);
    expect(reachedTarget).toEqual([]);
  });

  it("createLink over a 307 sends nothing to the other origin", async () => {
    await expect(createLink({ server: from, text: "hunter2" })).rejects.toThrow(/redirect/);
    expect(reachedTarget).toEqual([]);
  });

  it("oncelink status prints the redirect on one line, exit 1, without the id or token", async () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const err: Buffer[] = [];
    stderr.on("data", (c: Buffer) => err.push(c));
    const ctx: CliContext = { env: {}, stdin: Readable.from([]), stdout, stderr };
    const code = await runCommand(["status", `${from}/m/${ID}#${TOKEN}`], ctx);
    const text = Buffer.concat(err).toString("utf8");
    expect(code).toBe(1);
    expect(text).toContain(`redirect to ${to}`);
    expect(text).not.toContain(ID);
    expect(text).not.toContain(TOKEN);
    expect(reachedTarget).toEqual([]);
  });

  it("a browser-style opaque redirect (status 0) is refused too", async () => {
    const opaque = { ok: false, status: 0, type: "opaqueredirect", headers: new Headers(), body: null } as unknown as Response;
    await expect(sendApiRequest(async () => opaque, `${from}/api/v1/templates`, {})).rejects.toThrow(/redirect to elsewhere/);
  });
});

describe("error answers", () => {
  const answer = (status: number, body: object, headers: Record<string, string> = {}) => async () =>
    new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

  it("carry the server's Retry-After, in seconds, so a page can say how long to wait", async () => {
    const limited = { error: "RATE_LIMITED", message: "Too many requests." };
    const err = await sendApiRequest(answer(429, limited, { "retry-after": "847" }), "http://x.test/api/v1/links", {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OncelinkApiError);
    expect(err).toMatchObject({ status: 429, code: "RATE_LIMITED", retryAfterSeconds: 847 });
    const date = new Date(Date.now() + 90_000).toUTCString();
    const dated = await sendApiRequest(answer(429, limited, { "retry-after": date }), "http://x.test/api/v1/links", {}).catch((e: unknown) => e);
    expect((dated as OncelinkApiError).retryAfterSeconds).toBeGreaterThanOrEqual(85);
    expect((dated as OncelinkApiError).retryAfterSeconds).toBeLessThanOrEqual(91);
    for (const bad of [undefined, "soon", "-5", "1e9999"]) {
      const headers: Record<string, string> = bad === undefined ? {} : { "retry-after": bad };
      const e = await sendApiRequest(answer(429, limited, headers), "http://x.test/api/v1/links", {}).catch((x: unknown) => x);
      expect((e as OncelinkApiError).retryAfterSeconds, String(bad)).toBeNull();
    }
  });
});
