// The recipient page under previewers, scanners and prefetches, through the HTTP API (app.inject on a real store):
// the safe preview card, the sender's switch for it, the visit events, what costs a store lookup, and the
// operator's extra signature file.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { CliContext } from "../src/cli/cli-context.js";
import { runCommand } from "../src/cli/main.js";
import { ConfigError } from "../src/config.js";
import { buildTestApp, createTextLink, type TestApp } from "./helpers/app.js";
import { CHROME_USER_AGENT, recordSecrets, uniqueSecret } from "./helpers/secrets.js";

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(async () => {
  await t?.close();
});

const unique = uniqueSecret;

const CHROME = CHROME_USER_AGENT;
const PERSON = { "user-agent": CHROME, "sec-fetch-site": "none", "sec-fetch-mode": "navigate", "sec-fetch-dest": "document" };
const SLACK = { "user-agent": "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)" };

interface Status {
  state: string;
  events: Array<{ kind: string; at: string }>;
}

async function status(app: TestApp, id: string, manageToken: string): Promise<Status> {
  const res = await app.app.inject({ url: `/api/v1/links/${id}/status`, headers: { authorization: `Bearer ${manageToken}` } });
  expect(res.statusCode).toBe(200);
  return res.json() as Status;
}

const kinds = (s: Status) => s.events.map((e) => e.kind);

describe("the safe preview card", () => {
  it("gives a known previewer the page with a generic card that says nothing about the link", async () => {
    const link = await createTextLink(t.app, unique("card content"));
    const res = await t.app.inject({ url: `/l/${link.id}`, headers: SLACK });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain(`<meta property="og:title" content="A private one-time link">`);
    expect(res.body).toContain(`<meta name="twitter:card" content="summary">`);
    expect(res.body).not.toContain("og:url");
    expect(res.body).not.toContain("og:image");
    expect(res.body).not.toContain(link.id);
    expect(res.body).not.toContain("card content");
    // The same bytes for an unknown id: the card cannot tell a live link from a dead one.
    const unknown = await t.app.inject({ url: "/l/AAAAAAAAAAAAAAAAAAAAAA", headers: SLACK });
    expect(unknown.body).toBe(res.body);
    // A person gets the plain page, which the card merely extends (its script included: never a dead end).
    const person = await t.app.inject({ url: `/l/${link.id}`, headers: PERSON });
    expect(person.body).not.toContain("og:title");
    expect(res.body.replace(/\n<meta (?:property="og:|name="(?:twitter:|description))[^>]*>/g, "")).toBe(person.body);
  });

  it('lets the sender switch the card off with "preview": "none"', async () => {
    const secret = unique("no card");
    const res = await t.app.inject({ method: "POST", url: "/api/v1/links", payload: { content: secret, preview: "none" } });
    expect(res.statusCode).toBe(201);
    const { id, manage_url: manageUrl } = res.json() as { id: string; manage_url: string };
    recordSecrets(secret, id, manageUrl.split("#")[1]);
    const page = await t.app.inject({ url: `/l/${id}`, headers: SLACK });
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain("og:");
    expect(page.body).toBe((await t.app.inject({ url: `/l/${id}`, headers: PERSON })).body);
    await expect.poll(async () => kinds(await status(t, id, manageUrl.split("#")[1]!))).toEqual(["chat-preview"]);
    for (const preview of ["off", 0, null]) {
      const bad = await t.app.inject({ method: "POST", url: "/api/v1/links", payload: { content: "x", preview } });
      expect(bad.statusCode).toBe(400);
      expect(bad.json()).toMatchObject({ error: "VALIDATION_FAILED" });
    }
    const explicit = await t.app.inject({ method: "POST", url: "/api/v1/links", payload: { content: "card", preview: "card" } });
    expect(explicit.statusCode).toBe(201);
  });
});

describe("visit events", () => {
  it("records each automated visit by class only, and none for a person", async () => {
    const link = await createTextLink(t.app, unique("events"));
    await t.app.inject({ url: `/l/${link.id}`, headers: PERSON });
    await t.app.inject({ url: `/l/${link.id}`, headers: SLACK });
    await t.app.inject({ url: `/l/${link.id}`, headers: SLACK });
    await t.app.inject({ method: "OPTIONS", url: `/l/${link.id}`, headers: { "user-agent": "Microsoft Office Protocol Discovery" } });
    await t.app.inject({ method: "HEAD", url: `/l/${link.id}`, headers: { "user-agent": CHROME } });
    await t.app.inject({ url: `/l/${link.id}`, headers: { "user-agent": CHROME, "sec-purpose": "prefetch" } });
    await t.app.inject({ url: `/l/${link.id}`, headers: { "user-agent": `${CHROME} Edg/131.0.0.0 BingPreview/1.0b` } });
    await expect
      .poll(async () => kinds(await status(t, link.id, link.manageToken)).sort())
      .toEqual(["chat-preview", "chat-preview", "mail-scanner", "office-app", "prefetch", "probe"]);
    const s = await status(t, link.id, link.manageToken);
    expect(s.state).toBe("fresh");
    for (const event of s.events) expect(Object.keys(event).sort()).toEqual(["at", "kind"]);
    const metrics = (await t.app.inject({ url: "/metrics" })).body;
    expect(metrics).toMatch(/oncelink_automated_visits_total\{class="chat-preview"\} [2-9]/);
    expect(metrics).not.toContain(link.id);
  });

  it("answers a person, a prefetch and a probe without looking the link up", async () => {
    const link = await createTextLink(t.app, unique("no lookups"));
    const lookups = vi.spyOn(t.store, "getLinkMeta");
    try {
      for (const headers of [PERSON, { "user-agent": CHROME, "sec-purpose": "prefetch;prerender" }, { "user-agent": CHROME, purpose: "prefetch" }]) {
        expect((await t.app.inject({ url: `/l/${link.id}`, headers })).statusCode).toBe(200);
      }
      expect((await t.app.inject({ method: "HEAD", url: `/l/${link.id}`, headers: { "user-agent": CHROME } })).statusCode).toBe(200);
      expect((await t.app.inject({ url: `/l/${link.id}`, headers: { "user-agent": CHROME, range: "bytes=0-99" } })).statusCode).toBe(200);
      // An office suite's OPTIONS and HEAD probes: known agents, but no body to put a card in.
      for (const method of ["OPTIONS", "HEAD"] as const) {
        await t.app.inject({ method, url: `/l/${link.id}`, headers: { "user-agent": "Microsoft Office Existence Discovery" } });
      }
      expect(lookups).not.toHaveBeenCalled();
      // A known previewer costs exactly one read (its preview policy).
      await t.app.inject({ url: `/l/${link.id}`, headers: SLACK });
      expect(lookups).toHaveBeenCalledTimes(1);
    } finally {
      lookups.mockRestore();
    }
    await expect.poll(async () => kinds(await status(t, link.id, link.manageToken)).sort()).toEqual(["chat-preview", "office-app", "office-app", "prefetch", "prefetch", "probe", "probe"]);
  });
});

describe("ONCELINK_PREVIEWERS_FILE", () => {
  it("adds the operator's signatures ahead of the built-in ones", async () => {
    const dir = mkdtempSync(join(tmpdir(), "oncelink-previewers-"));
    const file = join(dir, "extra.json");
    writeFileSync(file, JSON.stringify([{ pattern: "AcmeMailGate/\\d", class: "mail-scanner" }, { pattern: "Slackbot", class: "office-app" }]));
    const custom = await buildTestApp({ ONCELINK_PREVIEWERS_FILE: file });
    try {
      const link = await createTextLink(custom.app, unique("custom registry"));
      await custom.app.inject({ url: `/l/${link.id}`, headers: { "user-agent": "AcmeMailGate/2 (link check)" } });
      await custom.app.inject({ url: `/l/${link.id}`, headers: SLACK });
      await custom.app.inject({ url: `/l/${link.id}`, headers: { "user-agent": "TelegramBot (like TwitterBot)" } });
      await expect.poll(async () => kinds(await status(custom, link.id, link.manageToken))).toEqual(["mail-scanner", "office-app", "chat-preview"]);
    } finally {
      await custom.close();
    }
  });

  it("stops the start with a message naming the variable when the file is missing or malformed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "oncelink-previewers-"));
    const broken = join(dir, "broken.json");
    writeFileSync(broken, JSON.stringify([{ pattern: "(", class: "mail-scanner" }]));
    for (const file of [join(dir, "missing.json"), broken]) {
      const error = await buildTestApp({ ONCELINK_PREVIEWERS_FILE: file }).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain("ONCELINK_PREVIEWERS_FILE");
    }
  });
});

describe("the CLI", () => {
  /** Runs `oncelink ARGV` in process against the test app, which listens on a free port for this. */
  async function cli(server: string, argv: string[], stdin = ""): Promise<{ code: number; stdout: string; stderr: string }> {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    stdout.on("data", (c: Buffer) => out.push(c));
    stderr.on("data", (c: Buffer) => err.push(c));
    const input = Object.assign(Readable.from([Buffer.from(stdin)]), { isTTY: false });
    const ctx: CliContext = { env: { ONCELINK_SERVER: server }, stdin: input, stdout, stderr };
    const code = await runCommand(argv, ctx);
    return { code, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") };
  }

  it("creates a link without a preview card with --no-preview, and opens links with a device-bound session", async () => {
    const server = await t.app.listen({ port: 0, host: "127.0.0.1" });
    const secret = unique("cli secret");
    const created = await cli(server, ["create", "--no-preview", "--json"], secret);
    expect(created.code).toBe(0);
    const { url, id, manage_url: manageUrl } = JSON.parse(created.stdout) as { url: string; id: string; manage_url: string };
    recordSecrets(url, id, manageUrl, url.split("#")[1], manageUrl.split("#")[1]);
    expect((await t.app.inject({ url: `/l/${id}`, headers: SLACK })).body).not.toContain("og:title");

    const bound = async () => Number(/oncelink_sessions_device_bound_total (\d+)/.exec((await t.app.inject({ url: "/metrics" })).body)?.[1] ?? 0);
    const before = await bound();
    // The test app hands out links under its PUBLIC_URL; this one listens elsewhere.
    const opened = await cli(server, ["open", url.replace(t.config.publicUrl, server)]);
    expect(opened.code, opened.stderr).toBe(0);
    expect(opened.stdout).toBe(secret);
    expect(await bound()).toBe(before + 1);
  });
});

describe("the API description", () => {
  it("documents the preview choice, the friction signals, the device key and the visit events", async () => {
    const doc = (await t.app.inject({ url: "/api/v1/openapi.json" })).json() as { paths: Record<string, Record<string, unknown>> };
    const text = JSON.stringify(doc);
    for (const word of ['"preview"', '"gesture_ms"', '"webdriver"', '"device_key"', '"confirm"', '"events"', '"friction"']) {
      expect(text).toContain(word);
    }
  });
});
