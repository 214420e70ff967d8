// The scanner gauntlet: realistic automated traffic replayed against the REAL server (`node bin/oncelink.js serve`)
// and a real headless Chromium. Chat unfurlers, an office suite's OPTIONS -> HEAD -> GET, a gateway with no
// User-Agent, every prefetch header, repeated and parallel fetches, clients poking the API without a session, a
// copied session token, and a browser that runs every script on the page and submits every form without a real
// click. After each: the link is still fresh (asked through the sender's status API) and no response carried
// anything of the content or of the id. Then people, with a real click, open their links on the first try, and the
// sender sees what looked at the link.
import { createHash } from "node:crypto";
import { request as httpRequest } from "node:http";
import type { Page, Response as PwResponse } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDeviceKey } from "../src/client/device-key.js";
import { createLink } from "../src/client/create-link.js";
import { en } from "../src/web/i18n/en.js";
import { closeBrowsers, focusedNode, launchBrowser, type LaunchedBrowser } from "./helpers/browser.js";
import { recordSecrets } from "./helpers/secrets.js";
import { startServer, type RunningServer } from "./helpers/server.js";

let server: RunningServer;
/** The scanner's browser, and a person's: separate profiles, as on separate machines. */
let scanner: LaunchedBrowser | undefined;
let person: LaunchedBrowser | undefined;

beforeAll(async () => {
  server = await startServer({ name: "gauntlet" });
});

afterAll(async () => {
  await closeBrowsers(scanner, person);
  await server?.stop();
});

// ---------------------------------------------------------------------------------------------------------------
// Links and what must never leak from them

interface Link {
  id: string;
  /** The recipient URL as handed out (with #key for client-encrypted links). */
  url: string;
  manageToken: string;
  manageUrl: string;
  /** Everything a response must never contain: the content, the id, the key, the manage token, id hashes. */
  forbidden: string[];
}

function forbiddenValues(id: string, extra: string[]): string[] {
  const hash = createHash("sha256").update(id).digest();
  // Any 12-character run of the id counts as a leak too (a truncated or embedded id).
  const windows = Array.from({ length: id.length - 11 }, (_, i) => id.slice(i, i + 12));
  return [id, hash.toString("hex"), hash.toString("base64"), hash.toString("base64url"), ...windows, ...extra];
}

/** A server-encrypted link (what a plain curl user makes): the server holds the text. */
async function serverLink(content: string, preview?: "none"): Promise<Link> {
  const res = await fetch(`${server.url}/api/v1/links`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(preview ? { content, preview } : { content }),
  });
  expect(res.status).toBe(201);
  const body = (await res.json()) as { id: string; url: string; manage_url: string };
  const manageToken = body.manage_url.split("#")[1]!;
  recordSecrets(content, body.id, manageToken, body.url, body.manage_url);
  return { id: body.id, url: body.url, manageToken, manageUrl: body.manage_url, forbidden: forbiddenValues(body.id, [content, manageToken]) };
}

/** A client-encrypted link, made the way the web page and the CLI make them (key in the fragment). */
async function clientLink(content: string): Promise<Link> {
  const created = await createLink({ server: server.url, text: content });
  const key = created.url.split("#")[1]!;
  const manageToken = created.manageUrl.split("#")[1]!;
  recordSecrets(content, created.id, key, manageToken, created.url, created.manageUrl);
  return { id: created.id, url: created.url, manageToken, manageUrl: created.manageUrl, forbidden: forbiddenValues(created.id, [content, key, manageToken]) };
}

function expectNoLeak(text: string, link: Link, where: string): void {
  for (const value of link.forbidden) {
    if (text.includes(value)) throw new Error(`${where}: a response carried something of the link (${value.length} characters)`);
  }
}

interface Status {
  state: string;
  events: Array<{ kind: string; at: string }>;
}

async function linkStatus(link: Link): Promise<Status> {
  const res = await fetch(`${server.url}/api/v1/links/${link.id}/status`, { headers: { authorization: `Bearer ${link.manageToken}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as Status;
}

async function expectFresh(link: Link, after: string): Promise<void> {
  expect((await linkStatus(link)).state, `after ${after}`).toBe("fresh");
}

// ---------------------------------------------------------------------------------------------------------------
// Raw HTTP: exactly the headers given (Node's fetch would add a User-Agent and Sec-Fetch-Mode of its own)

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function raw(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${server.url}${path}`, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** Sends a request and checks that nothing in its answer (body or headers) carries anything of the link. */
async function probe(link: Link, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<RawResponse> {
  const res = await raw(method, path, headers, body);
  expect(res.status, `${method} ${path.replace(link.id, "{id}")}`).toBeLessThan(500);
  expectNoLeak(res.body, link, `${method} body`);
  expectNoLeak(JSON.stringify(res.headers), link, `${method} headers`);
  return res;
}

// Agent strings as these services send them, with the headers they typically add.
const CHAT_PREVIEWERS: Array<{ name: string; headers: Record<string, string> }> = [
  { name: "Slack", headers: { "user-agent": "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", accept: "*/*", "accept-encoding": "gzip,deflate" } },
  { name: "X / Twitter", headers: { "user-agent": "Twitterbot/1.0", accept: "*/*" } },
  { name: "Facebook / Messenger", headers: { "user-agent": "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", accept: "*/*", range: "bytes=0-524287" } },
  { name: "Apple iMessage", headers: { "user-agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0" } },
  { name: "WhatsApp", headers: { "user-agent": "WhatsApp/2.23.20.0 A", accept: "*/*" } },
  { name: "Telegram", headers: { "user-agent": "TelegramBot (like TwitterBot)", accept: "*/*" } },
  { name: "Discord", headers: { "user-agent": "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)" } },
  { name: "LinkedIn", headers: { "user-agent": "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)" } },
  { name: "Microsoft Teams / Skype", headers: { "user-agent": "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5 skype-url-preview@microsoft.com" } },
  { name: "Google Chat", headers: { "user-agent": "Mozilla/5.0 (compatible; Google-PageRenderer Google (+https://developers.google.com/+/web/snippet/))" } },
];

const MAIL_SCANNERS: Array<{ name: string; headers: Record<string, string> }> = [
  { name: "Safe Links", headers: { "user-agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0 BingPreview/1.0b" } },
  { name: "Proofpoint", headers: { "user-agent": "Mozilla/5.0 (compatible; Proofpoint URL Defense)" } },
  { name: "Mimecast", headers: { "user-agent": "Mimecast URL Protect" } },
  { name: "Barracuda", headers: { "user-agent": "Barracuda Sentinel (EE)" } },
];

const CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

// ---------------------------------------------------------------------------------------------------------------

describe("the gauntlet: raw HTTP traffic", () => {
  let link: Link;
  let unfurled: Link;

  beforeAll(async () => {
    link = await serverLink(`gauntlet secret ${crypto.randomUUID()}`);
    unfurled = await clientLink(`unfurled secret ${crypto.randomUUID()}`);
  });

  it("chat previewers get the generic card, nothing more, and the link stays fresh", async () => {
    for (const target of [link, unfurled]) {
      for (const { name, headers } of CHAT_PREVIEWERS) {
        const res = await probe(target, "GET", `/l/${target.id}`, headers);
        expect(res.status, name).toBe(200);
        expect(res.body, name).toContain(`<meta property="og:title" content="${en["preview.title"]}">`);
        expect(res.body, name).not.toMatch(/og:url|og:image/);
        await expectFresh(target, name);
      }
    }
  });

  it("mail scanners get the same card and change nothing", async () => {
    for (const { name, headers } of MAIL_SCANNERS) {
      const res = await probe(link, "GET", `/l/${link.id}`, headers);
      expect(res.body, name).toContain("og:title");
      await expectFresh(link, name);
    }
  });

  it("an office suite's OPTIONS -> HEAD -> GET sequence changes nothing", async () => {
    const options = await probe(link, "OPTIONS", `/l/${link.id}`, { "user-agent": "Microsoft Office Protocol Discovery", "content-length": "0" });
    expect(options.status).toBe(204);
    const head = await probe(link, "HEAD", `/l/${link.id}`, { "user-agent": "Microsoft Office Existence Discovery" });
    expect(head.status).toBe(200);
    expect(head.body).toBe("");
    const get = await probe(link, "GET", `/l/${link.id}`, {
      "user-agent": "Mozilla/4.0 (compatible; ms-office; MSOffice 16)",
      accept: "text/html, application/xhtml+xml, image/jxr, */*",
    });
    expect(get.status).toBe(200);
    // WebDAV-style follow-ups some Office builds send.
    await probe(link, "PROPFIND", `/l/${link.id}`, { "user-agent": "Microsoft-WebDAV-MiniRedir/10.0.19045", depth: "0" });
    await expectFresh(link, "the office sequence");
  });

  it("a gateway that sends no User-Agent at all changes nothing", async () => {
    for (const method of ["GET", "HEAD", "OPTIONS"]) {
      const res = await probe(link, method, `/l/${link.id}`, {});
      expect(res.status).toBeLessThan(300);
    }
    await probe(link, "GET", `/api/v1/links/${link.id}`, {});
    await expectFresh(link, "a blank-agent gateway");
  });

  it("every prefetch and prerender header is answered at once and changes nothing", async () => {
    const prefetches: Array<Record<string, string>> = [
      { "sec-purpose": "prefetch" },
      { "sec-purpose": "prefetch;prerender" },
      { "sec-purpose": "prefetch;anonymous-client-ip" },
      { purpose: "prefetch" },
      { purpose: "prerender" },
      { "x-purpose": "preview" },
      { "x-purpose": "prefetch" },
      { "x-moz": "prefetch" },
    ];
    for (const headers of prefetches) {
      const res = await probe(link, "GET", `/l/${link.id}`, { "user-agent": CHROME, accept: "text/html", ...headers });
      expect(res.status, JSON.stringify(headers)).toBe(200);
      await expectFresh(link, JSON.stringify(headers));
    }
  });

  it("repeated and parallel fetches of every non-consuming route change nothing", async () => {
    const routes: Array<[string, string, Record<string, string>]> = [
      ["GET", `/l/${link.id}`, { "user-agent": CHROME }],
      ["GET", `/l/${link.id}`, CHAT_PREVIEWERS[0]!.headers],
      ["HEAD", `/l/${link.id}`, { "user-agent": "curl/8.5.0" }],
      ["OPTIONS", `/l/${link.id}`, {}],
      ["GET", `/l/${link.id}?utm_source=mail`, MAIL_SCANNERS[0]!.headers],
      ["GET", `/api/v1/links/${link.id}`, { "user-agent": "python-requests/2.31.0" }],
      ["GET", `/api/v1/links/${link.id}/challenge`, { "user-agent": "Go-http-client/1.1" }],
    ];
    for (let round = 0; round < 5; round++) {
      for (const [method, path, headers] of routes) await probe(link, method, path, headers);
    }
    await expectFresh(link, "repeated fetches");
    const parallel = Array.from({ length: 10 }, () => routes.map(([method, path, headers]) => probe(link, method, path, headers))).flat();
    await Promise.all(parallel);
    await expectFresh(link, "parallel fetches");
  });

  it("clients that call the open API without a real session are refused and change nothing", async () => {
    const json = { "content-type": "application/json", "user-agent": "Mozilla/5.0 (compatible; Proofpoint URL Defense)" };
    expect((await probe(link, "POST", `/api/v1/links/${link.id}/consume`, json, "{}")).status).toBe(401);
    expect((await probe(link, "POST", `/api/v1/links/${link.id}/consume`, { ...json, authorization: "Session AAAA" }, "{}")).status).toBe(401);
    expect((await probe(link, "POST", `/api/v1/links/${link.id}/consume`, { ...json, cookie: "oncelink_session=AAAA" }, "{}")).status).toBe(401);
    expect((await probe(link, "POST", `/api/v1/links/${link.id}/session`, json, JSON.stringify({ pow: "e30=" }))).status).toBe(400);
    expect((await probe(link, "POST", `/api/v1/links/${link.id}/session`, json, "{}")).status).toBe(400);
    expect((await probe(link, "GET", `/api/v1/links/${link.id}/consume`, {})).status).toBe(404);
    expect((await probe(link, "DELETE", `/api/v1/links/${link.id}`, {})).status).toBe(404);
    await expectFresh(link, "API pokes");
  });

  it("a device-bound session token copied to another client opens nothing", async () => {
    const target = await serverLink(`copied token ${crypto.randomUUID()}`);
    const api = `${server.url}/api/v1/links/${target.id}`;
    const { friction: _f, ...challenge } = (await (await fetch(`${api}/challenge`)).json()) as Record<string, unknown>;
    const { solveChallenge } = await import("altcha-lib");
    const { deriveKey } = await import("altcha-lib/algorithms/sha");
    const solution = await solveChallenge({ challenge: challenge as never, deriveKey });
    const device = await createDeviceKey();
    const pow = Buffer.from(JSON.stringify({ challenge, solution })).toString("base64");
    const minted = await fetch(`${api}/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ pow, device_key: device.publicKey }) });
    expect(minted.status).toBe(201);
    const { session } = (await minted.json()) as { session: string };
    recordSecrets(session);
    const thief = await createDeviceKey();
    const attempts: Array<Record<string, string>> = [
      { authorization: `Session ${session}` },
      { cookie: `oncelink_session=${session}` },
      { authorization: `Session ${session}`, "oncelink-device-key": thief.publicKey, "oncelink-device-signature": await thief.signSession(session) },
      { authorization: `Session ${session}`, "oncelink-device-key": device.publicKey, "oncelink-device-signature": await thief.signSession(session) },
    ];
    for (const headers of attempts) {
      const res = await probe(target, "POST", `/api/v1/links/${target.id}/consume`, { "content-type": "application/json", ...headers }, "{}");
      expect(res.status).toBe(401);
      expect(JSON.parse(res.body)).toMatchObject({ error: "SESSION_INVALID" });
    }
    await expectFresh(target, "copied session tokens");
    // The device that made the session still opens it: binding costs the legitimate client nothing.
    const opened = await fetch(`${api}/consume`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Session ${session}`, "oncelink-device-key": device.publicKey, "oncelink-device-signature": await device.signSession(session) },
      body: "{}",
    });
    expect(opened.status).toBe(200);
  });

  it("recorded every automated visit on the link, by class only", async () => {
    await expect
      .poll(async () => new Set((await linkStatus(link)).events.map((e) => e.kind)), { timeout: 10_000 })
      .toEqual(new Set(["chat-preview", "mail-scanner", "office-app", "probe", "automated", "prefetch"]));
    const { events } = await linkStatus(link);
    for (const event of events) expect(Object.keys(event).sort()).toEqual(["at", "kind"]);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    for (const kind of ["chat-preview", "mail-scanner", "office-app", "prefetch", "probe", "automated"]) {
      expect(metrics).toMatch(new RegExp(`oncelink_automated_visits_total\\{class="${kind}"\\} [1-9]`));
    }
    expectNoLeak(metrics, link, "/metrics");
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Browsers

/** Records every response body of a page, for the leak check. */
function collectBodies(page: Page): { bodies: Array<{ url: string; body: string }>; api: string[]; done: () => Promise<void> } {
  const pending: Array<Promise<void>> = [];
  const bodies: Array<{ url: string; body: string }> = [];
  const api: string[] = [];
  page.on("response", (response: PwResponse) => {
    const url = new URL(response.url());
    if (url.pathname.startsWith("/api/")) api.push(`${response.request().method()} ${url.pathname.replace(/[\w-]{22}/, "{id}")}`);
    pending.push(
      response.text().then(
        (body) => void bodies.push({ url: url.pathname, body }),
        () => undefined,
      ),
    );
  });
  return { bodies, api, done: async () => void (await Promise.all(pending)) };
}

/**
 * What a scanner that runs a full browser does without clicking: waits for every script and request to settle,
 * submits every form, fires synthetic events and script clicks at every control, follows same-origin links.
 */
async function actLikeAScanner(page: Page): Promise<void> {
  await page.waitForLoadState("networkidle");
  // A form submission may navigate, which ends the evaluation early: that is fine, the checks come after.
  await page.evaluate(async () => {
    for (const form of Array.from(document.forms)) {
      try {
        form.requestSubmit();
      } catch {
        // a form without a submit button or with invalid fields: a scanner moves on
      }
    }
    // Links are followed separately (a synthetic click on a link navigates, ending this evaluation).
    const controls = Array.from(document.querySelectorAll<HTMLElement>("button, input, [role=button], [tabindex]")).filter(
      (el) => !(el instanceof HTMLAnchorElement),
    );
    for (const el of controls) {
      for (const type of ["pointerdown", "mousedown", "pointerup", "mouseup"]) el.dispatchEvent(new PointerEvent(type, { bubbles: true }));
      el.dispatchEvent(new MouseEvent("click", { bubbles: true, cancelable: true }));
      el.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
      el.dispatchEvent(new KeyboardEvent("keyup", { key: "Enter", bubbles: true }));
      if (el instanceof HTMLButtonElement) el.click();
    }
    await new Promise((r) => setTimeout(r, 300));
  }).catch(() => undefined);
  await page.waitForLoadState("networkidle");
}

describe("the gauntlet: a headless browser that runs everything but never really clicks", () => {
  beforeAll(async () => {
    scanner = await launchBrowser();
  });

  it("loads the page, runs its scripts, submits its forms and fires synthetic events: the link stays fresh", async () => {
    const link = await clientLink(`scanner browser secret ${crypto.randomUUID()}`);
    for (const agent of [undefined, MAIL_SCANNERS[0]!.headers["user-agent"]!, CHAT_PREVIEWERS[0]!.headers["user-agent"]!]) {
      // Following the language links leaves a locale cookie; each pass starts as a new visitor.
      await scanner!.context.clearCookies();
      await scanner!.context.setExtraHTTPHeaders(agent ? { "user-agent": agent } : {});
      const page = await scanner!.context.newPage();
      const errors: string[] = [];
      page.on("pageerror", (err) => errors.push(err.message));
      const seen = collectBodies(page);
      await page.goto(link.url);
      await page.getByRole("heading", { level: 1, name: en["open.fresh.heading"] }).waitFor();
      await actLikeAScanner(page);
      // Follow every same-origin link on the page (language switcher and the like), as crawling scanners do.
      const hrefs = await page.evaluate(() => Array.from(document.querySelectorAll("a[href]"), (a) => (a as HTMLAnchorElement).href));
      for (const href of hrefs.filter((h) => h.startsWith(server.url)).slice(0, 8)) {
        await page.goto(href);
        await actLikeAScanner(page);
      }
      await seen.done();
      expect(seen.api.filter((call) => call.startsWith("POST") || call.includes("/challenge")), `agent ${agent ?? "(default)"}`).toEqual([]);
      for (const { url, body } of seen.bodies) expectNoLeak(body, link, `browser response for ${url}`);
      expect(errors).toEqual([]);
      await page.close();
      await expectFresh(link, `a script-running browser (${agent ?? "HeadlessChrome"})`);
    }
    await scanner!.context.setExtraHTTPHeaders({});
    await scanner!.context.clearCookies();
  });

  it("the page ignores a script's click on Reveal even after the page had time to settle", async () => {
    const link = await clientLink(`untrusted click ${crypto.randomUUID()}`);
    const page = await scanner!.context.newPage();
    const seen = collectBodies(page);
    await page.goto(link.url);
    const reveal = page.getByRole("button", { name: en["open.reveal"] });
    await reveal.waitFor();
    await page.waitForTimeout(1500);
    await reveal.evaluate((button: HTMLElement) => button.click());
    await reveal.dispatchEvent("click");
    await page.waitForTimeout(1000);
    await seen.done();
    expect(seen.api).toEqual(["GET /api/v1/links/{id}"]);
    await page.close();
    await expectFresh(link, "script clicks on Reveal");
  });
});

describe("the gauntlet: people, with a real click", () => {
  beforeAll(async () => {
    person = await launchBrowser();
  });

  async function revealOnce(link: Link): Promise<{ text: string; api: string[] }> {
    const page = await person!.context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (err) => errors.push(err.message));
    const seen = collectBodies(page);
    await page.goto(link.url);
    await page.getByRole("button", { name: en["open.reveal"] }).click();
    await page.getByRole("heading", { level: 1, name: en["open.revealed.heading"] }).waitFor({ timeout: 60_000 });
    const text = await page.getByRole("textbox", { name: en["open.revealed.secret.label"], exact: true }).inputValue();
    // First try: no second confirmation was asked for and no error was shown.
    expect(await page.locator("#reveal-confirm-heading").count()).toBe(0);
    expect(((await page.getByRole("alert").textContent()) ?? "").trim()).toBe("");
    expect(errors).toEqual([]);
    await seen.done();
    await page.close();
    return { text, api: seen.api };
  }

  it("opens a client-encrypted link on the first try, with a device-bound session", async () => {
    const content = `human baseline ✓ ${crypto.randomUUID()}`;
    const link = await clientLink(content);
    // The scanners had their go at this link first.
    for (const { headers } of [...CHAT_PREVIEWERS.slice(0, 3), ...MAIL_SCANNERS.slice(0, 2)]) await probe(link, "GET", `/l/${link.id}`, headers);
    await probe(link, "GET", `/l/${link.id}`, { "user-agent": CHROME, "sec-purpose": "prefetch" });
    const { text, api } = await revealOnce(link);
    expect(text).toBe(content);
    expect(api).toEqual([
      "GET /api/v1/links/{id}",
      "GET /api/v1/links/{id}",
      "GET /api/v1/links/{id}/challenge",
      "POST /api/v1/links/{id}/session",
      "POST /api/v1/links/{id}/consume",
    ]);
    expect((await linkStatus(link)).state).toBe("consumed");
  });

  it("opens a server-encrypted link on the first try", async () => {
    const content = `server-side baseline ${crypto.randomUUID()}`;
    const link = await serverLink(content);
    expect((await revealOnce(link)).text).toBe(content);
  });

  it("opens a link whose sender switched the preview card off", async () => {
    const content = `no card baseline ${crypto.randomUUID()}`;
    const link = await serverLink(content, "none");
    const card = await probe(link, "GET", `/l/${link.id}`, CHAT_PREVIEWERS[0]!.headers);
    expect(card.body).not.toContain("og:title");
    expect((await revealOnce(link)).text).toBe(content);
  });

  it("a person whose browser looks like a previewer is asked to confirm, never refused", async () => {
    const content = `misclassified person ${crypto.randomUUID()}`;
    const link = await clientLink(content);
    const page = await person!.context.newPage();
    // An in-app browser whose agent string matches a previewer signature: the worst case for classification.
    await page.setExtraHTTPHeaders({ "user-agent": CHAT_PREVIEWERS[8]!.headers["user-agent"]! });
    const seen = collectBodies(page);
    await page.goto(link.url);
    const reveal = page.getByRole("button", { name: en["open.reveal"] });
    await reveal.click();
    await page.getByRole("heading", { name: en["open.confirm.heading"] }).waitFor();
    // Focus is on the box, which a screen reader reads as the question and its explanation, not the heading alone.
    expect(await focusedNode(page)).toEqual({
      id: "reveal-confirm",
      role: "region",
      name: en["open.confirm.heading"],
      description: en["open.confirm.body"],
    });
    // "Not now" spends nothing and leaves Reveal usable.
    await page.getByRole("button", { name: en["open.confirm.no"] }).click();
    await expect.poll(() => page.getByRole("status").textContent()).toBe(en["open.confirm.declined"]);
    await expectFresh(link, "a declined confirmation");
    await reveal.click();
    await page.getByRole("button", { name: en["open.confirm.yes"] }).click();
    await page.getByRole("heading", { level: 1, name: en["open.revealed.heading"] }).waitFor({ timeout: 60_000 });
    expect(await page.getByRole("textbox", { name: en["open.revealed.secret.label"], exact: true }).inputValue()).toBe(content);
    await seen.done();
    expect(seen.api.filter((call) => call.startsWith("POST"))).toEqual(["POST /api/v1/links/{id}/session", "POST /api/v1/links/{id}/consume"]);
    await page.close();
  });

  it("shows the sender what looked at the link: 'Looked at by a chat preview twice; still unopened'", async () => {
    const link = await clientLink(`sender view ${crypto.randomUUID()}`);
    await probe(link, "GET", `/l/${link.id}`, CHAT_PREVIEWERS[0]!.headers);
    await probe(link, "GET", `/l/${link.id}`, CHAT_PREVIEWERS[4]!.headers);
    await probe(link, "GET", `/l/${link.id}`, MAIL_SCANNERS[0]!.headers);
    await expect.poll(async () => (await linkStatus(link)).events.length).toBe(3);
    const page = await person!.context.newPage();
    await page.goto(link.manageUrl);
    await page.getByRole("heading", { level: 1, name: en["manage.heading"] }).waitFor();
    const visits = page.locator("dt", { hasText: en["manage.visits.label"] }).locator("xpath=following-sibling::dd");
    await expect.poll(() => visits.locator("li").allTextContents()).toEqual([
      "Looked at by a chat preview twice",
      "Looked at by a mail scanner once; still unopened",
    ]);
    await page.close();
  });
});
