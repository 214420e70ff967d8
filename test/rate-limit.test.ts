import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import pino from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { sha256 } from "../src/crypto/hash.js";
import { loadKeyring } from "../src/crypto/keyring.js";
import { deriveSubkey } from "../src/crypto/server-layer.js";
import { createApp } from "../src/http/app.js";
import { rateLimitKey } from "../src/http/rate-limit.js";
import { openPostgresStore, type PostgresLinkStore } from "../src/store/postgres.js";
import { derivePassphrase, newPassphraseSalt } from "../src/client/passphrase.js";
import { buildTestApp, createTextLink, solvePow, type TestApp } from "./helpers/app.js";
import { createTestSchema, usePostgres } from "./helpers/postgres.js";
import { LOG_DIR, recordSecrets } from "./helpers/secrets.js";

const databaseUrl = usePostgres();
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const A = "203.0.113.77";
const B = "198.51.100.23";
recordSecrets(A, B);

const create = (app: FastifyInstance, remoteAddress: string) =>
  app.inject({ method: "POST", url: "/api/v1/links", payload: { content: "rate limited secret" }, remoteAddress });

describe("rate limits (one node, in memory)", () => {
  let t: TestApp;

  it("answers the creation past the limit with 429 RATE_LIMITED; another address is unaffected", async () => {
    t = await buildTestApp({ RATE_LIMIT_CREATE: "3", RATE_LIMIT_OPEN: "2" });
    cleanups.push(() => t.close());
    for (let i = 0; i < 3; i++) {
      const res = await create(t.app, A);
      expect(res.statusCode).toBe(201);
      const body = res.json() as { id: string; manage_url: string };
      recordSecrets(body.id, body.manage_url.split("#")[1]);
    }
    const limited = await create(t.app, A);
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toEqual({ error: "RATE_LIMITED", message: expect.any(String) });
    expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
    expect((await create(t.app, B)).statusCode).toBe(201);
    // Reading a link is not limited.
    const link = await createTextLink(t.app, "still there");
    const info = await t.app.inject({ method: "GET", url: `/api/v1/links/${link.id}`, remoteAddress: A });
    expect(info.statusCode).toBe(200);
  });

  it("never burns a link: a limited recipient leaves it fresh for another open", async () => {
    const link = await createTextLink(t.app, "survives the limiter");
    const challenge = (remoteAddress: string) => t.app.inject({ method: "GET", url: `/api/v1/links/${link.id}/challenge`, remoteAddress });
    expect((await challenge(A)).statusCode).toBe(200);
    const ch = await challenge(A);
    expect(ch.statusCode).toBe(200);
    expect((await challenge(A)).statusCode).toBe(429);
    // The session step has its own counter, and a limited one is refused before the challenge is spent.
    const pow = await solvePow(ch.json());
    const session = (remoteAddress: string) =>
      t.app.inject({ method: "POST", url: `/api/v1/links/${link.id}/session`, payload: { pow }, remoteAddress });
    for (let i = 0; i < 2; i++) {
      const res = await session(A);
      if (res.statusCode === 201) recordSecrets((res.json() as { session: string }).session);
    }
    expect((await session(A)).statusCode).toBe(429);
    expect((await t.storedRow(sha256(link.id)))?.state).toBe("fresh");
    // Another address opens the link normally, once.
    const ch2 = await challenge(B);
    const res = await t.app.inject({
      method: "POST",
      url: `/api/v1/links/${link.id}/session`,
      payload: { pow: await solvePow(ch2.json()) },
      remoteAddress: B,
    });
    expect(res.statusCode).toBe(201);
    const token = (res.json() as { session: string }).session;
    recordSecrets(token);
    const consumed = await t.app.inject({
      method: "POST",
      url: `/api/v1/links/${link.id}/consume`,
      headers: { authorization: `Session ${token}` },
      remoteAddress: B,
    });
    expect(consumed.statusCode).toBe(200);
    expect(consumed.json()).toEqual({ content: "survives the limiter" });
  });

  it("lists 429 in the OpenAPI document of the limited routes", async () => {
    const doc = (await t.app.inject({ method: "GET", url: "/api/v1/openapi.json" })).json() as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    expect(Object.keys(doc.paths["/api/v1/links"]!.post!.responses)).toContain("429");
    expect(Object.keys(doc.paths["/api/v1/links/{id}/challenge"]!.get!.responses)).toContain("429");
    expect(Object.keys(doc.paths["/api/v1/links/{id}/session"]!.post!.responses)).toContain("429");
    expect(Object.keys(doc.paths["/api/v1/links/{id}/consume"]!.post!.responses)).not.toContain("429");
  });
});

describe("rate limits shared between nodes (PostgreSQL)", () => {
  it("two nodes on one database share the counter, keyed by a hash that is never the address", async () => {
    const schema = await createTestSchema(await databaseUrl());
    cleanups.push(() => schema.drop());
    const dataDir = mkdtempSync(join(tmpdir(), "oncelink-ratelimit-"));
    const config = loadConfig({ DATA_DIR: dataDir, DATABASE_URL: schema.url, POW_MAX_NUMBER: "200", RATE_LIMIT_CREATE: "4" });
    const { keyring } = loadKeyring({ file: config.keysFile });
    const clock = { now: Date.now() };
    const logger = pino({ level: "info" }, pino.destination({ dest: join(LOG_DIR, `inject-ratelimit-${process.pid}.log`), sync: true, mkdir: true }));
    const nodes: Array<{ app: FastifyInstance; store: PostgresLinkStore }> = [];
    for (let i = 0; i < 2; i++) {
      const store = await openPostgresStore({ connectionString: schema.url, maxConnections: 4 });
      const app = await createApp(
        { config, store, keyring, now: () => clock.now, random: (n) => randomBytes(n), rateLimits: store },
        { logger, assetDir: join(new URL("..", import.meta.url).pathname, "dist/assets") },
      );
      await app.ready();
      cleanups.push(() => store.close());
      cleanups.push(() => app.close());
      nodes.push({ app, store });
    }
    const [one, two] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    const key = rateLimitKey(deriveSubkey(keyring, "rate-limit"), clock.now, A);
    recordSecrets(key);

    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await create(i % 2 === 0 ? one.app : two.app, A);
      statuses.push(res.statusCode);
      if (res.statusCode === 201) {
        const body = res.json() as { id: string; manage_url: string };
        recordSecrets(body.id, body.manage_url.split("#")[1]);
      } else {
        expect(res.json()).toMatchObject({ error: "RATE_LIMITED" });
      }
    }
    expect(statuses).toEqual([201, 201, 201, 201, 429]);
    expect((await create(two.app, B)).statusCode).toBe(201);

    // Concurrent requests on both nodes: the upsert counts each exactly once.
    const burst = await Promise.all(Array.from({ length: 10 }, (_, i) => create(i % 2 === 0 ? one.app : two.app, B)));
    expect(burst.filter((r) => r.statusCode === 201)).toHaveLength(3);
    expect(burst.filter((r) => r.statusCode === 429)).toHaveLength(7);

    const rows = (await one.store.pool.query<{ key: string; count: number }>("SELECT key, count FROM rate_limits")).rows;
    expect(rows).toHaveLength(2);
    expect(rows.find((r) => r.key.endsWith(key))?.count).toBe(5);
    for (const row of rows) {
      expect(row.key).not.toContain(A);
      expect(row.key).not.toContain(B);
    }

    // The window ends for every node at once; purging removes ended windows.
    clock.now += 61_000;
    expect((await create(two.app, A)).statusCode).toBe(201);
    await one.store.purgeExpired(clock.now + 61_000);
    expect((await one.store.pool.query("SELECT 1 FROM rate_limits")).rowCount).toBe(0);
  });

  it("two nodes share the per-address passphrase limit, across links", async () => {
    const schema = await createTestSchema(await databaseUrl());
    cleanups.push(() => schema.drop());
    const dataDir = mkdtempSync(join(tmpdir(), "oncelink-ratelimit-"));
    const config = loadConfig({ DATA_DIR: dataDir, DATABASE_URL: schema.url, POW_MAX_NUMBER: "200", RATE_LIMIT_PASSPHRASE: "3" });
    const { keyring } = loadKeyring({ file: config.keysFile });
    const logger = pino({ level: "info" }, pino.destination({ dest: join(LOG_DIR, `inject-ratelimit-${process.pid}.log`), sync: true, mkdir: true }));
    const apps: FastifyInstance[] = [];
    for (let i = 0; i < 2; i++) {
      const store = await openPostgresStore({ connectionString: schema.url, maxConnections: 4 });
      const app = await createApp(
        { config, store, keyring, now: () => Date.now(), random: (n) => randomBytes(n), rateLimits: store },
        { logger, assetDir: join(new URL("..", import.meta.url).pathname, "dist/assets") },
      );
      await app.ready();
      cleanups.push(() => store.close());
      cleanups.push(() => app.close());
      apps.push(app);
    }
    const salt = newPassphraseSalt();
    const right = await derivePassphrase("shared limit words", salt);
    const wrong = await derivePassphrase("not the words", salt);
    recordSecrets("shared limit words", "not the words", right.proof, wrong.proof);
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) ids.push((await createTextLink(apps[0]!, `shared limit ${i}`, { policy: { passphrase: { salt, proof: right.proof } } })).id);
    const attempt = async (node: number, id: string, proof: string, remoteAddress: string) => {
      const app = apps[node]!;
      const ch = await app.inject({ url: `/api/v1/links/${id}/challenge`, remoteAddress });
      const pow = await solvePow(ch.json());
      return app.inject({ method: "POST", url: `/api/v1/links/${id}/session`, payload: { pow, passphrase_proof: proof }, remoteAddress });
    };
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await attempt(i % 2, ids[i % 2]!, wrong.proof, A)).statusCode);
    expect(statuses).toEqual([403, 403, 403, 429]);
    const other = await attempt(1, ids[0]!, right.proof, B);
    expect(other.statusCode).toBe(201);
    recordSecrets((other.json() as { session: string }).session);
  });
});
