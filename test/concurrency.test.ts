import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { solveChallenge, type Challenge } from "altcha-lib";
import { deriveKey } from "altcha-lib/algorithms/sha";
import { recordSecrets } from "./helpers/secrets.js";
import { startServer, type RunningServer } from "./helpers/server.js";

// Real concurrency against the real server process: Node's fetch opens a socket per in-flight request (its
// default pool has no connection cap), so hundreds of requests really are in flight at once.
let server: RunningServer;

beforeAll(async () => {
  server = await startServer({ name: "concurrency", env: { POW_MAX_NUMBER: "20" } });
});
afterAll(async () => {
  await server?.stop();
});

const call = (path: string, init: RequestInit = {}, node: RunningServer = server) => fetch(`${node.url}${path}`, init);

async function createLink(content: string, node: RunningServer = server): Promise<{ id: string; manageToken: string }> {
  const res = await call("/api/v1/links", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ content }),
  }, node);
  const body = (await res.json()) as { id: string; manage_url: string };
  const manageToken = body.manage_url.split("#")[1]!;
  recordSecrets(body.id, manageToken, content);
  return { id: body.id, manageToken };
}

async function mintSession(id: string, node: RunningServer = server): Promise<string> {
  const challenge = (await (await call(`/api/v1/links/${id}/challenge`, {}, node)).json()) as Challenge;
  const solution = await solveChallenge({ challenge, deriveKey });
  const pow = Buffer.from(JSON.stringify({ challenge, solution })).toString("base64");
  const res = await call(`/api/v1/links/${id}/session`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ pow }),
  }, node);
  expect(res.status).toBe(201);
  const { session } = (await res.json()) as { session: string };
  recordSecrets(session);
  return session;
}

describe("the atomic consume under real concurrency", () => {
  it("gives exactly one of 250 simultaneous valid consumes the content; the rest get the unknown-id 404", async () => {
    const secret = "only one reader may ever see this";
    const link = await createLink(secret);
    const sessions: string[] = [];
    for (let i = 0; i < 250; i += 25) {
      sessions.push(...(await Promise.all(Array.from({ length: 25 }, () => mintSession(link.id)))));
    }
    const unknown = await call("/api/v1/links/AAAAAAAAAAAAAAAAAAAAAA/consume", { method: "POST", headers: { authorization: `Session ${sessions[0]}` } });
    const unknownBody = await unknown.text();

    const results = await Promise.all(
      sessions.map(async (token) => {
        const res = await call(`/api/v1/links/${link.id}/consume`, { method: "POST", headers: { authorization: `Session ${token}` } });
        return { status: res.status, body: await res.text() };
      }),
    );
    const winners = results.filter((r) => r.status === 200);
    expect(winners).toHaveLength(1);
    expect(JSON.parse(winners[0]!.body)).toEqual({ content: secret });
    const losers = results.filter((r) => r.status !== 200);
    expect(losers).toHaveLength(249);
    for (const r of losers) {
      expect(r.status).toBe(404);
      expect(r.body).toBe(JSON.stringify({ error: "UNAVAILABLE", message: "This link is no longer available." }));
    }
    expect(unknown.status).toBe(401);
    expect(unknownBody).toContain("SESSION_INVALID");

    const status = await call(`/api/v1/links/${link.id}/status`, { headers: { authorization: `Bearer ${link.manageToken}` } });
    expect(((await status.json()) as { state: string }).state).toBe("consumed");
  });

  it("opens 200 different links at once, each exactly once, and loses none", async () => {
    const links = await Promise.all(Array.from({ length: 200 }, (_, i) => createLink(`parallel secret number ${i}`)));
    const tokens: string[] = [];
    for (let i = 0; i < links.length; i += 25) {
      tokens.push(...(await Promise.all(links.slice(i, i + 25).map((l) => mintSession(l.id)))));
    }
    const results = await Promise.all(
      links.map(async (l, i) => {
        const res = await call(`/api/v1/links/${l.id}/consume`, { method: "POST", headers: { authorization: `Session ${tokens[i]}` } });
        return { status: res.status, body: (await res.json()) as { content?: string } };
      }),
    );
    results.forEach((r, i) => {
      expect(r.status).toBe(200);
      expect(r.body.content).toBe(`parallel secret number ${i}`);
    });
  });

  it("holds across two server processes on one store: one winner, and a consume racing a revoke ends the link one way", async () => {
    // On SQLite: two processes on one database file. On PostgreSQL: two nodes on one database.
    const peer = await startServer({ name: "concurrency-peer", dataDir: server.dataDir, env: { POW_MAX_NUMBER: "20" } });
    try {
      const nodes = [server, peer];
      const link = await createLink("one reader, two nodes");
      const sessions: string[] = [];
      for (let i = 0; i < 160; i += 40) sessions.push(...(await Promise.all(Array.from({ length: 40 }, (_, j) => mintSession(link.id, nodes[j % 2])))));
      const statuses = await Promise.all(
        sessions.map(async (token, i) => (await call(`/api/v1/links/${link.id}/consume`, { method: "POST", headers: { authorization: `Session ${token}` } }, nodes[i % 2])).status),
      );
      expect(statuses.filter((s) => s === 200)).toHaveLength(1);
      expect(statuses.filter((s) => s === 404)).toHaveLength(159);

      // Each link is consumed on one node while its sender revokes it on the other, all links at once.
      const links = await Promise.all(Array.from({ length: 80 }, (_, i) => createLink(`consume or revoke ${i}`, nodes[i % 2])));
      const tokens = await Promise.all(links.map((l, i) => mintSession(l.id, nodes[i % 2])));
      const outcomes = await Promise.all(
        links.map(async (l, i) => {
          const [consumed, revoked] = await Promise.all([
            call(`/api/v1/links/${l.id}/consume`, { method: "POST", headers: { authorization: `Session ${tokens[i]}` } }, nodes[i % 2]),
            call(`/api/v1/links/${l.id}`, { method: "DELETE", headers: { authorization: `Bearer ${l.manageToken}` } }, nodes[(i + 1) % 2]),
          ]);
          const body = consumed.status === 200 ? ((await consumed.json()) as { content: string }).content : null;
          const status = await call(`/api/v1/links/${l.id}/status`, { headers: { authorization: `Bearer ${l.manageToken}` } });
          return { consume: consumed.status, body, revoke: revoked.status, state: ((await status.json()) as { state: string }).state };
        }),
      );
      outcomes.forEach((o, i) => {
        expect(o.revoke).toBe(204);
        if (o.consume === 200) expect(o).toMatchObject({ body: `consume or revoke ${i}`, state: "consumed" });
        else expect(o).toMatchObject({ consume: 404, state: "revoked" });
      });
    } finally {
      await peer.stop();
    }
  });

  it("answers the consumes in flight at SIGTERM truthfully: each link it spent was answered 200, and each 200 is kept", async () => {
    const node = await startServer({ name: "concurrency-sigterm", env: { POW_MAX_NUMBER: "20" } });
    const links = await Promise.all(Array.from({ length: 150 }, (_, i) => createLink(`shutdown secret ${i}`, node)));
    const tokens = await Promise.all(links.map((l) => mintSession(l.id, node)));
    const consume = async (i: number) => {
      try {
        const res = await call(`/api/v1/links/${links[i]!.id}/consume`, { method: "POST", headers: { authorization: `Session ${tokens[i]}` } }, node);
        return { status: res.status, body: await res.text() };
      } catch {
        return { status: 0, body: "" }; // refused or reset: the connection came too late
      }
    };
    const EARLY = 120;
    const early = links.slice(0, EARLY).map((_, i) => consume(i));
    // The first answer is out: most consumes are in flight, some queued in the store, when the shutdown begins.
    await Promise.race(early);
    process.kill(node.pid, "SIGTERM");
    // Once the node says it is shutting down (or takes no connection), the rest arrive: surely after the signal.
    for (;;) {
      const health = await call("/healthz", {}, node).then((r) => r.status, () => 0);
      if (health !== 200) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const late = await Promise.all(links.slice(EARLY).map((_, i) => consume(EARLY + i)));
    expect(late.map((a) => a.status).filter((status) => status === 200)).toEqual([]);
    const got = [...(await Promise.all(early)), ...late];
    // This process keeps its connections open (keep-alive) after these answers, and the node waits for them before it
    // exits; stop() then sends a second SIGTERM, which ends it.
    await node.stop();

    const after = await startServer({ name: "concurrency-sigterm-after", dataDir: node.dataDir, env: { POW_MAX_NUMBER: "20" } });
    try {
      for (const [i, l] of links.entries()) {
        const status = await call(`/api/v1/links/${l.id}/status`, { headers: { authorization: `Bearer ${l.manageToken}` } }, after);
        const { state } = (await status.json()) as { state: string };
        if (got[i]!.status === 200) expect({ state, body: got[i]!.body }).toEqual({ state: "consumed", body: JSON.stringify({ content: `shutdown secret ${i}` }) });
        // Refused at the door while shutting down (503), or never connected (0): nothing spent.
        else expect({ status: [0, 503].includes(got[i]!.status), state }).toEqual({ status: true, state: "fresh" });
      }
    } finally {
      await after.stop();
    }
  });

  it("keeps an acknowledged consume after kill -9 and never resurrects the link", async () => {
    const link = await createLink("durable consume");
    const token = await mintSession(link.id);
    const res = await call(`/api/v1/links/${link.id}/consume`, { method: "POST", headers: { authorization: `Session ${token}` } });
    expect(res.status).toBe(200);
    await server.kill();
    server = await startServer({ name: "concurrency-restart", dataDir: server.dataDir, env: { POW_MAX_NUMBER: "20" } });
    const status = await call(`/api/v1/links/${link.id}/status`, { headers: { authorization: `Bearer ${link.manageToken}` } });
    expect(((await status.json()) as { state: string }).state).toBe("consumed");
    const again = await call(`/api/v1/links/${link.id}`);
    expect(again.status).toBe(404);
  });
});
