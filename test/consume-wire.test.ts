// The consume as a hostile client sends it, byte for byte on a socket to the real server: other methods and method
// overrides, pipelining, repeated and disagreeing credentials, and a client that hangs up right after the request.
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { solveChallenge, type Challenge } from "altcha-lib";
import { deriveKey } from "altcha-lib/algorithms/sha";
import { recordSecrets, uniqueSecret } from "./helpers/secrets.js";
import { startServer, type RunningServer } from "./helpers/server.js";

let server: RunningServer;

beforeAll(async () => {
  server = await startServer({ name: "consume-wire", env: { POW_MAX_NUMBER: "20" } });
});
afterAll(async () => {
  await server?.stop();
});

const UNAVAILABLE = JSON.stringify({ error: "UNAVAILABLE", message: "This link is no longer available." });

interface Link {
  id: string;
  manageToken: string;
  secret: string;
}

async function createLink(): Promise<Link> {
  const secret = uniqueSecret("wire secret");
  const res = await fetch(`${server.url}/api/v1/links`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ content: secret }) });
  const body = (await res.json()) as { id: string; manage_url: string };
  const manageToken = body.manage_url.split("#")[1]!;
  recordSecrets(body.id, manageToken, secret);
  return { id: body.id, manageToken, secret };
}

async function mintSession(link: Link): Promise<string> {
  const api = `${server.url}/api/v1/links/${link.id}`;
  const challenge = (await (await fetch(`${api}/challenge`)).json()) as Challenge;
  const solution = await solveChallenge({ challenge, deriveKey });
  const pow = Buffer.from(JSON.stringify({ challenge, solution })).toString("base64");
  const res = await fetch(`${api}/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ pow }) });
  expect(res.status).toBe(201);
  const { session } = (await res.json()) as { session: string };
  recordSecrets(session);
  return session;
}

async function state(link: Link): Promise<string> {
  const res = await fetch(`${server.url}/api/v1/links/${link.id}/status`, { headers: { authorization: `Bearer ${link.manageToken}` } });
  return ((await res.json()) as { state: string }).state;
}

/** Writes `request` on a new connection and reads until the server has sent `answers` responses (or closed). */
function exchange(request: string, answers: number): Promise<Array<{ status: number; body: string }>> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, "127.0.0.1", () => socket.write(request));
    let text = "";
    const parsed = (): Array<{ status: number; body: string }> => {
      const out: Array<{ status: number; body: string }> = [];
      let rest = text;
      for (;;) {
        const head = /^HTTP\/1\.1 (\d{3}) [^\r]*\r\n([\s\S]*?)\r\n\r\n/.exec(rest);
        if (!head) return out;
        const length = Number(/^content-length: (\d+)$/im.exec(head[2]!)?.[1] ?? 0);
        const start = head[0].length;
        if (rest.length < start + length) return out;
        out.push({ status: Number(head[1]), body: rest.slice(start, start + length) });
        rest = rest.slice(start + length);
      }
    };
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      text += chunk;
      if (parsed().length >= answers) {
        socket.destroy();
        resolve(parsed());
      }
    });
    socket.once("error", reject);
    socket.once("close", () => resolve(parsed()));
  });
}

/** Whether `check` comes true within `ms` (polled every 25 ms). */
async function until(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

const consumeRequest = (id: string, headers: string): string =>
  `POST /api/v1/links/${id}/consume HTTP/1.1\r\nHost: oncelink\r\n${headers}Content-Length: 0\r\n\r\n`;

describe("the consume on the wire", () => {
  it("is reached by POST only: other methods, method-override headers and a _method query spend nothing", async () => {
    const link = await createLink();
    const session = await mintSession(link);
    const override = { authorization: `Session ${session}`, "x-http-method-override": "POST", "x-method-override": "POST", "x-http-method": "POST" };
    for (const method of ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"]) {
      const res = await fetch(`${server.url}/api/v1/links/${link.id}/consume?_method=POST`, { method, headers: override });
      expect(res.status, method).toBe(404);
      if (method !== "HEAD") expect(((await res.json()) as { error: string }).error, method).toBe("NOT_FOUND");
    }
    expect(await state(link)).toBe("fresh");
    // The session was good all along.
    const opened = await fetch(`${server.url}/api/v1/links/${link.id}/consume`, { method: "POST", headers: { authorization: `Session ${session}` } });
    expect(await opened.json()).toEqual({ content: link.secret });
  });

  it("answers two consumes pipelined on one connection with the content once, then the neutral 404", async () => {
    const link = await createLink();
    const [first, second] = [await mintSession(link), await mintSession(link)];
    const answers = await exchange(
      consumeRequest(link.id, `Authorization: Session ${first}\r\n`) + consumeRequest(link.id, `Authorization: Session ${second}\r\n`),
      2,
    );
    expect(answers).toEqual([
      { status: 200, body: JSON.stringify({ content: link.secret }) },
      { status: 404, body: UNAVAILABLE },
    ]);
  });

  it("takes the first of repeated Authorization headers, and a header over the cookie: a bad one spends nothing", async () => {
    const link = await createLink();
    const other = await createLink();
    const [session, otherSession] = [await mintSession(link), await mintSession(other)];
    const refused = [
      // Node keeps the first of a repeated Authorization header and drops the rest.
      `Authorization: Session ${otherSession}\r\nAuthorization: Session ${session}\r\n`,
      // The header decides when both are sent, even if only the cookie is good.
      `Authorization: Session ${otherSession}\r\nCookie: oncelink_session=${session}\r\n`,
    ];
    for (const headers of refused) {
      const [answer] = await exchange(consumeRequest(link.id, headers), 1);
      expect(answer?.status).toBe(401);
      expect(JSON.parse(answer!.body)).toMatchObject({ error: "SESSION_INVALID" });
    }
    expect(await state(link)).toBe("fresh");
    expect(await state(other)).toBe("fresh");
    // Another scheme in the header leaves the cookie to decide.
    const [opened] = await exchange(consumeRequest(link.id, `Authorization: Basic b25jZWxpbms6bGluaw==\r\nCookie: oncelink_session=${session}\r\n`), 1);
    expect(opened).toEqual({ status: 200, body: JSON.stringify({ content: link.secret }) });
  });

  it("spends the link of a recipient who hangs up right after sending the consume, and counts it as undelivered", async () => {
    const undelivered = async (): Promise<number> =>
      Number(/^oncelink_consumes_undelivered_total (\d+)/m.exec(await (await fetch(`${server.url}/metrics`)).text())?.[1] ?? Number.NaN);
    // Whether the server reads the client's end before the commit returns is a race it usually wins (the commit waits
    // for an fsync); under a busy machine it may lose one. A few hang-ups, each spending its link, and at least one
    // of them noticed: a server that never notices fails all of them.
    let link: Link | undefined;
    let session = "";
    let noticed = false;
    for (let attempt = 0; attempt < 5 && !noticed; attempt++) {
      const before = await undelivered();
      expect(before).toBeGreaterThanOrEqual(0);
      link = await createLink();
      session = await mintSession(link);
      const hungUp = link;
      await new Promise<void>((resolve, reject) => {
        const socket = connect(server.port, "127.0.0.1", () => {
          socket.end(consumeRequest(hungUp.id, `Authorization: Session ${session}\r\n`));
          socket.destroy();
          resolve();
        });
        socket.once("error", reject);
      });
      // A commit cannot be taken back when the connection is gone: the link is spent (docs/protocol.md, step 3).
      await expect.poll(() => state(hungUp), { timeout: 5_000 }).toBe("consumed");
      noticed = await until(async () => (await undelivered()) === before + 1, 2_000);
    }
    expect(noticed).toBe(true);
    if (link === undefined) throw new Error("no link");
    const again = await fetch(`${server.url}/api/v1/links/${link.id}/consume`, { method: "POST", headers: { authorization: `Session ${session}` } });
    expect(again.status).toBe(404);
    expect(await again.text()).toBe(UNAVAILABLE);
  });
});
