// Every page in every state, checked with axe-core (WCAG 2.0/2.1 A and AA, 2.2 AA) in the light and the dark colour
// scheme, at a desktop size and at 320 px wide. At 320 px each state is also screenshotted into .test-logs/ and must
// not scroll sideways. The progress state is held still by pausing the challenge request until the checks are done.
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page, Route } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFileLink, createLink, derivePassphrase, newPassphraseSalt } from "../../src/client/index.js";
import { DEFAULT_CHUNK_BYTES } from "../../src/crypto/file-stream.js";
import {
  closeBrowsers,
  launchBrowser,
  runAxeLightAndDark,
  thirdPartyRequests,
  watchPage,
  type LaunchedBrowser,
  type PageProblems,
} from "../helpers/browser.js";
import { LOG_DIR, recordSecrets } from "../helpers/secrets.js";
import { startServer, type RunningServer } from "../helpers/server.js";

const SCREENSHOTS = join(LOG_DIR, "screenshots");
const VIEWPORTS = [
  { name: "desktop", width: 1024, height: 768 },
  { name: "320px", width: 320, height: 640 },
] as const;

let server: RunningServer;
let browser: LaunchedBrowser;
const watched: Array<{ where: string; problems: PageProblems }> = [];

async function newLink(text: string): Promise<{ url: string; manageUrl: string }> {
  const link = await createLink({ server: server.url, text, ttl: 3_600 });
  recordSecrets(text, link.id, link.url, link.manageUrl, link.url.split("#")[1], link.manageUrl.split("#")[1]);
  return link;
}

const heading = (page: Page, name: string) => page.getByRole("heading", { level: 1, name }).waitFor();

beforeAll(async () => {
  // A light proof of work: these checks are about the pages, not about the cost of opening.
  server = await startServer({ name: "browser-a11y", env: { POW_MAX_NUMBER: "1000" } });
  browser = await launchBrowser();
  mkdirSync(SCREENSHOTS, { recursive: true });
});

afterAll(async () => {
  await closeBrowsers(browser);
  await server?.stop();
});

describe.each(VIEWPORTS)("every page and state at $name ($width px)", (viewport) => {
  let page: Page;
  const checked: string[] = [];

  /** axe in both schemes; at 320 px also no sideways scrolling, and a screenshot for people to look at. */
  async function check(state: string): Promise<void> {
    const violations = await runAxeLightAndDark(page);
    expect(violations, `axe on ${state} (${viewport.name}): ${JSON.stringify(violations, null, 1)}`).toEqual([]);
    if (viewport.width <= 320) {
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(width, `${state}: page wider than the screen`).toBeLessThanOrEqual(viewport.width);
      await page.screenshot({ path: join(SCREENSHOTS, `${viewport.width}-${state.replace(/\W+/g, "-")}.png`), fullPage: true });
    }
    checked.push(state);
  }

  beforeAll(async () => {
    page = await browser.context.newPage();
    watched.push({ where: viewport.name, problems: await watchPage(page) });
    await page.setViewportSize({ width: viewport.width, height: viewport.height });
  });

  afterAll(async () => {
    await page?.close();
  });

  it("create: form, custom lifetime with an error, result with the QR code", async () => {
    await page.goto(`${server.url}/`);
    await heading(page, "Share a secret once");
    await check("create form");
    await page.getByRole("combobox", { name: "Delete it if nobody opens it within" }).selectOption("custom");
    await page.getByRole("textbox", { name: "Number" }).fill("0");
    await page.getByRole("textbox", { name: "Secret", exact: true }).fill(`a11y ${Date.now()}`);
    await page.getByRole("button", { name: "Create link" }).click();
    await page.getByRole("alert").filter({ hasText: "Choose a lifetime" }).waitFor();
    await check("create form (custom lifetime, invalid)");
    await page.getByRole("textbox", { name: "Number" }).fill("2");
    await page.getByRole("button", { name: "Create link" }).click();
    await heading(page, "Your one-time link is ready");
    recordSecrets(
      await page.getByRole("textbox", { name: "Link for the recipient" }).inputValue(),
      await page.getByRole("textbox", { name: "Manage link (for you only)" }).inputValue(),
    );
    await page.getByRole("button", { name: "Show QR code" }).click();
    await page.getByRole("img", { name: "QR code of the link for the recipient" }).waitFor();
    await check("create result");
  });

  it("open: fresh, in progress, revealed, final", async () => {
    const link = await newLink(`a11y reveal ${Date.now()}\n${"long-line-without-spaces-".repeat(8)}`);
    await page.goto(link.url);
    await heading(page, "Someone shared a secret with you");
    await check("open fresh");

    // Hold the challenge request: the page stays in its progress state while axe runs.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const isChallenge = (url: URL) => url.pathname.endsWith("/challenge");
    await page.route(isChallenge, async (route: Route) => {
      await held;
      await route.continue();
    });
    await page.getByRole("button", { name: "Reveal" }).click();
    await expect.poll(() => page.getByRole("status").textContent()).toMatch(/^(Preparing to open|Checking this browser)/);
    expect(await page.getByRole("heading", { level: 1, name: "Someone shared a secret with you" }).isVisible()).toBe(true);
    expect(await page.getByRole("button", { name: "Reveal" }).getAttribute("aria-disabled")).toBe("true");
    await check("open progress");
    // The pulse beside the progress text moves only when the person has not asked for reduced motion.
    const pulse = () => page.evaluate(() => getComputedStyle(document.getElementById("status")!, "::before").animationName);
    await page.emulateMedia({ reducedMotion: "no-preference" });
    expect(await pulse()).toBe("pulse");
    await page.emulateMedia({ reducedMotion: "reduce" });
    expect(await pulse()).toBe("none");
    expect(await page.getByRole("heading", { level: 1, name: "Here is your secret" }).count(), "still held").toBe(0);
    release();
    await heading(page, "Here is your secret");
    await page.unroute(isChallenge);
    await check("open revealed");
    await page.getByRole("button", { name: "I have saved it, hide it" }).click();
    await heading(page, "This link is now disabled");
    await check("open done");
    await page.reload();
    await heading(page, "This link is no longer available");
    await check("open unavailable");
  });

  it("open: key missing, check failed; the script-free unavailable page", async () => {
    const link = await newLink(`a11y incomplete ${Date.now()}`);
    await page.goto(link.url.replace(/#.*$/, ""));
    await heading(page, "This link looks incomplete");
    await check("open key missing");

    await page.route("**/api/v1/links/*", (route) =>
      route.fulfill({ status: 503, contentType: "application/json", body: '{"error":"NOT_READY","message":"later"}' }),
    );
    await page.goto(link.url);
    await heading(page, "The link could not be checked");
    await check("open check failed");
    await page.unrouteAll();

    await page.goto(`${server.url}/no/such/page`);
    await heading(page, "This link is no longer available");
    await check("unavailable page");
  });

  it("manage: fresh, revoke confirmation, revoked, opened, wrong token, not loaded", async () => {
    const link = await newLink(`a11y manage ${Date.now()}`);
    await page.goto(link.manageUrl);
    await heading(page, "Your one-time link");
    await page.getByRole("button", { name: "Revoke link" }).waitFor();
    await check("manage fresh");
    await page.getByRole("button", { name: "Revoke link" }).click();
    await page.getByRole("heading", { name: "Revoke this link?" }).waitFor();
    await check("manage revoke confirmation");
    await page.getByRole("button", { name: "Yes, revoke it" }).click();
    await page.getByRole("group", { name: "The link has been revoked and its content deleted." }).waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("revoke-outcome");
    await check("manage revoked");

    const opened = await newLink(`a11y opened ${Date.now()}`);
    await page.goto(opened.url);
    await page.getByRole("button", { name: "Reveal" }).click();
    await heading(page, "Here is your secret");
    await page.goto(opened.manageUrl);
    await page.getByText("Opened on").waitFor();
    await check("manage consumed");

    await page.goto(opened.manageUrl.replace(/#.*$/, `#${"B".repeat(22)}`));
    await heading(page, "This link is no longer available");
    await check("manage unavailable");

    await page.route("**/status", (route) => route.abort("internetdisconnected"));
    await page.goto(opened.manageUrl);
    await heading(page, "The link's status could not be loaded");
    await check("manage status not loaded");
    await page.unrouteAll();
  });

  it("files: create with a file chosen and its result; file interstitial, revealed file, failed check", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "oncelink-a11y-")), "quarterly-report-final-version.pdf");
    writeFileSync(path, randomBytes(5000));
    await page.goto(`${server.url}/`);
    await page.getByRole("radio", { name: "A file" }).check();
    await page.getByLabel("File", { exact: true }).setInputFiles(path);
    await page.getByText("Chosen: quarterly-report-final-version.pdf").first().waitFor();
    await check("create file chosen");
    await page.getByRole("button", { name: "Create link" }).click();
    await heading(page, "Your one-time link is ready");
    const url = await page.getByRole("textbox", { name: "Link for the recipient" }).inputValue();
    recordSecrets(url, url.split("#")[1], await page.getByRole("textbox", { name: "Manage link (for you only)" }).inputValue());
    await check("create file result");

    // This browser has no save picker in headless mode that a test can drive: take the download path.
    // (Window operations live on the global object itself.)
    await page.addInitScript(() => delete (window as unknown as { showSaveFilePicker?: unknown }).showSaveFilePicker);
    await page.goto(url);
    await heading(page, "Someone shared a file with you");
    await check("open file fresh");
    await page.getByRole("button", { name: "Reveal" }).click();
    await heading(page, "Here is your file");
    await check("open file revealed");

    const bytes = randomBytes(DEFAULT_CHUNK_BYTES * 3);
    const tampered = await createFileLink({ server: server.url, source: new Blob([bytes]).stream(), name: "x.bin", size: bytes.length });
    recordSecrets(tampered.url, tampered.manageUrl, tampered.url.split("#")[1]);
    await page.route("**/consume", async (route) => {
      const response = await route.fetch();
      const body = Buffer.from(await response.body());
      body[2 * DEFAULT_CHUNK_BYTES]! ^= 0x80;
      await route.fulfill({ response, body });
    });
    await page.goto(tampered.url);
    await page.getByRole("button", { name: "Reveal" }).click();
    await heading(page, "The file did not arrive intact");
    await page.unrouteAll();
    await check("open file failed check");
  });

  it("policies: a template chosen with an error, several result links, an interstitial that says what it will ask", async () => {
    await page.goto(`${server.url}/`);
    await heading(page, "Share a secret once");
    await page.getByRole("textbox", { name: "Secret", exact: true }).fill(`a11y policy ${Date.now()}`);
    await page.getByRole("radio", { name: "Ultra Secure" }).check();
    await page.getByRole("button", { name: "Create link" }).click();
    await page.getByRole("alert").filter({ hasText: "needs at least one country" }).waitFor();
    await check("create form (template, countries missing)");
    await page.getByRole("radio", { name: "Lightweight" }).check();
    await page.getByRole("combobox", { name: "Number of links" }).selectOption("3");
    await page.getByRole("button", { name: "Create link" }).click();
    await heading(page, "Your 3 one-time links are ready");
    for (const field of await page.getByRole("textbox").all()) recordSecrets(await field.inputValue());
    await page.getByRole("button", { name: "Show QR code" }).nth(1).click();
    await check("create result (three links)");

    const salt = newPassphraseSalt();
    const { proof } = await derivePassphrase("a11y words", salt);
    const res = await fetch(`${server.url}/api/v1/links`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ content: "a11y passphrase", policy: { passphrase: { salt, proof } } }),
    });
    const created = (await res.json()) as { id: string; url: string; manage_url: string };
    recordSecrets(created.id, created.manage_url.split("#")[1], proof, "a11y passphrase");
    await page.goto(created.url);
    await page.getByText("You will be asked for a passphrase.").waitFor();
    await check("open fresh (asks for a passphrase)");

    // Both factors: one list, the passkey line and the passphrase line, from the same code path.
    const both = await fetch(`${server.url}/api/v1/links`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ content: "a11y both factors", passkey: "required", policy: { passphrase: { salt, proof } } }),
    });
    const twoFactor = (await both.json()) as { id: string; url: string; manage_url: string };
    recordSecrets(twoFactor.id, twoFactor.manage_url.split("#")[1], "a11y both factors");
    await page.goto(twoFactor.url);
    const needs = page.getByRole("list", { name: "What you will need" });
    await needs.getByText("You will be asked for a passphrase.").waitFor();
    expect(await needs.getByRole("listitem").allInnerTexts()).toEqual([
      expect.stringMatching(/^This link asks for a passkey\./),
      "You will be asked for a passphrase.",
    ]);
    await check("open fresh (asks for a passkey and a passphrase)");
  });

  it("other languages: the same pages in Japanese and German", async () => {
    const link = await newLink(`a11y ja ${Date.now()}`);
    await page.goto(`${server.url}/?lang=ja`);
    await heading(page, "秘密の情報を一度だけ共有");
    await check("create form (ja)");
    await page.goto(link.url.replace("#", "?lang=de#"));
    await heading(page, "Jemand hat ein Geheimnis mit Ihnen geteilt");
    await check("open fresh (de)");
    await page.goto(`${server.url}/?lang=en`);
    await heading(page, "Share a secret once");
  });

  it("covered every state", () => {
    expect(checked).toHaveLength(28);
  });
});

describe("whole suite", () => {
  it("saw no CSP or Trusted Types violation, script error or dialog, and no third-party request", () => {
    for (const { where, problems } of watched) expect(problems, where).toEqual({ csp: [], errors: [], dialogs: [] });
    expect(thirdPartyRequests(browser.requests, server.url)).toEqual([]);
  });
});
