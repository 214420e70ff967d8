// The whole sender -> recipient -> sender journey in real headless Chromium against the real server
// (`node bin/oncelink.js serve`, built beforehand). Elements are found the way people find them: by role and
// accessible name. Each recipient uses its own browser profile, like a second device would.
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeBrowsers, launchBrowser, runAxe, watchPage, type LaunchedBrowser, type PageProblems } from "../helpers/browser.js";
import { recordSecrets } from "../helpers/secrets.js";
import { startServer, type RunningServer } from "../helpers/server.js";

let server: RunningServer;
let sender: LaunchedBrowser;
let recipient: LaunchedBrowser;
const watched: Array<{ where: string; problems: PageProblems }> = [];

/** A page that records CSP violations, script errors and dialogs for the final checks. */
async function newPage(browser: LaunchedBrowser, where: string): Promise<Page> {
  const page = await browser.context.newPage();
  watched.push({ where, problems: watchPage(page) });
  return page;
}

async function expectAccessible(page: Page, state: string): Promise<void> {
  const violations = await runAxe(page);
  expect(violations, `axe violations on ${state}: ${JSON.stringify(violations, null, 1)}`).toEqual([]);
}

interface Created {
  url: string;
  manageUrl: string;
}

/** Fills and submits the create form on `page` (already on "/") and returns the two links it shows. */
async function createSecret(page: Page, text: string): Promise<Created> {
  await page.getByRole("textbox", { name: "Secret", exact: true }).fill(text);
  await page.getByRole("button", { name: "Create link" }).click();
  await page.getByRole("heading", { level: 1, name: "Your one-time link is ready" }).waitFor();
  const url = await page.getByRole("textbox", { name: "Link for the recipient" }).inputValue();
  const manageUrl = await page.getByRole("textbox", { name: "Manage link (for you only)" }).inputValue();
  const [, id, key] = /\/l\/([\w-]+)#([\w-]+)$/.exec(url) ?? [];
  const [, , token] = /\/m\/([\w-]+)#([\w-]+)$/.exec(manageUrl) ?? [];
  recordSecrets(text, id, key, token, url, manageUrl);
  expect(id, "recipient link has /l/{id}#{key}").toMatch(/^[\w-]{22}$/);
  expect(key).toMatch(/^[\w-]{22}$/);
  expect(token).toMatch(/^[\w-]{22}$/);
  expect(url.startsWith(`${server.url}/l/`)).toBe(true);
  expect(manageUrl).toBe(`${server.url}/m/${id}#${token}`);
  return { url, manageUrl };
}

/** Loads a recipient link and waits for the interstitial (nothing is spent yet). */
async function openInterstitial(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.getByRole("heading", { level: 1, name: "Someone shared a secret with you" }).waitFor();
}

/** Clicks Reveal on the interstitial and returns the text shown. */
async function reveal(page: Page): Promise<string> {
  await page.getByRole("button", { name: "Reveal" }).click();
  await page.getByRole("heading", { level: 1, name: "Here is your secret" }).waitFor({ timeout: 30_000 });
  return page.getByRole("textbox", { name: "Secret", exact: true }).inputValue();
}

async function manageState(page: Page, manageUrl: string): Promise<string> {
  await page.goto(manageUrl);
  await page.getByRole("heading", { level: 1, name: "Your one-time link" }).waitFor();
  return (await page.locator("dt", { hasText: "Status" }).locator("xpath=following-sibling::dd").textContent()) ?? "";
}

beforeAll(async () => {
  server = await startServer({ name: "browser-flow" });
  [sender, recipient] = await Promise.all([launchBrowser(), launchBrowser()]);
});

afterAll(async () => {
  await closeBrowsers(sender, recipient);
  await server?.stop();
});

describe("browser flow", () => {
  const plaintext = `Database password: c0rrect-h0rse ✓\n  indented line with  two  spaces\nlast line ${Date.now()}`;
  let first: Created;
  let senderPage: Page;

  it("creates a secret in the page, encrypted in the browser, and keeps nothing of it", async () => {
    senderPage = await newPage(sender, "create");
    await senderPage.goto(`${server.url}/`);
    await expectAccessible(senderPage, "create form");
    const lifetime = senderPage.getByRole("combobox", { name: "Delete it if nobody opens it within" });
    expect(await lifetime.inputValue()).toBe("86400");
    first = await createSecret(senderPage, plaintext);
    await expectAccessible(senderPage, "create result");
    expect(await senderPage.locator("#secret").inputValue(), "textarea is emptied").toBe("");
    const stored = await senderPage.evaluate(() => localStorage.length + sessionStorage.length);
    expect(stored).toBe(0);
    expect(senderPage.url()).toBe(`${server.url}/`);
    expect(await senderPage.title()).not.toContain("c0rrect");

    await sender.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url });
    await senderPage.getByRole("button", { name: "Copy link", exact: true }).click();
    await expect.poll(() => senderPage.getByRole("status").textContent()).toBe("Copied to the clipboard.");
    expect(await senderPage.evaluate(() => navigator.clipboard.readText())).toBe(first.url);
    await senderPage.evaluate(() => navigator.clipboard.writeText(""));

    await senderPage.getByRole("button", { name: "Create another" }).click();
    await expect.poll(() => senderPage.getByRole("textbox", { name: "Link for the recipient" }).isHidden()).toBe(true);
  });

  it("opens it once on a fresh device: interstitial, reveal, exact text, fragment gone", async () => {
    const page = await newPage(recipient, "open");
    const apiCalls: string[] = [];
    page.on("request", (req) => {
      const path = new URL(req.url()).pathname;
      if (path.startsWith("/api/")) apiCalls.push(`${req.method()} ${path.replace(/[\w-]{22}/, "{id}")}`);
    });
    await openInterstitial(page, first.url);
    // Before the click: one non-consuming check, and no challenge fetched (no proof of work on load).
    await page.waitForLoadState("networkidle");
    expect(apiCalls).toEqual(["GET /api/v1/links/{id}"]);
    // The key is read, then removed from the address bar before anyone clicks.
    expect(page.url()).toBe(first.url.replace(/#.*$/, ""));
    await expectAccessible(page, "open (fresh)");

    expect(await reveal(page)).toBe(plaintext);
    expect(apiCalls.slice(1)).toEqual([
      "GET /api/v1/links/{id}",
      "GET /api/v1/links/{id}/challenge",
      "POST /api/v1/links/{id}/session",
      "POST /api/v1/links/{id}/consume",
    ]);
    await expect.poll(() => page.getByText("This link is now disabled").isVisible()).toBe(true);
    expect(page.url()).not.toContain("#");
    expect(await page.title()).not.toContain("c0rrect");
    expect(await page.evaluate(() => localStorage.length + sessionStorage.length)).toBe(0);
    await expectAccessible(page, "open (revealed)");

    await page.reload();
    await page.getByRole("heading", { level: 1, name: "This link is no longer available" }).waitFor();
    expect(await page.content()).not.toContain("c0rrect");
    await expectAccessible(page, "open (unavailable)");
    await page.close();
  });

  it("shows the sender that the link was opened", async () => {
    const page = await newPage(sender, "manage");
    expect(await manageState(page, first.manageUrl)).toBe("Opened");
    await expect.poll(() => page.getByText("Opened on").isVisible()).toBe(true);
    await expect.poll(() => page.getByRole("button", { name: "Revoke link" }).isHidden()).toBe(true);
    await expectAccessible(page, "manage (consumed)");
    // The skip link moves focus without replacing the manage token in the address bar.
    await page.keyboard.press("Tab");
    await expect.poll(() => page.getByRole("link", { name: "Skip to main content" }).evaluate((a) => a === document.activeElement)).toBe(true);
    await page.keyboard.press("Enter");
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe("main");
    expect(page.url()).toBe(first.manageUrl);
    await page.close();
  });

  it("shows a secret full of markup literally, without running any of it", async () => {
    const hostile = `<img src=x onerror=alert(1)><script>alert(2)</script>\n"quoted" & 'single' </textarea><b>bold</b>`;
    const created = await createSecret(senderPage, hostile);
    const page = await newPage(recipient, "open-hostile");
    await openInterstitial(page, created.url);
    expect(await reveal(page)).toBe(hostile);
    expect(await page.locator("main img, main b, main script").count()).toBe(0);
    await page.close();
  });

  it("does not spend a link whose key is missing, and loading the page alone spends nothing", async () => {
    await senderPage.getByRole("button", { name: "Create another" }).click();
    const created = await createSecret(senderPage, `incomplete-case ${Date.now()}`);
    const page = await newPage(recipient, "open-incomplete");
    await page.goto(created.url.replace(/#.*$/, ""));
    await page.getByRole("heading", { level: 1, name: "This link looks incomplete" }).waitFor();
    await expectAccessible(page, "open (incomplete)");
    // A key cut short while copying must not be treated as a key either.
    await page.goto("about:blank");
    await page.goto(created.url.slice(0, -5));
    await page.getByRole("heading", { level: 1, name: "This link looks incomplete" }).waitFor();
    // Pasting the complete link over the incomplete one only changes the fragment: the page must notice.
    await page.goto(created.url);
    await page.getByRole("heading", { level: 1, name: "Someone shared a secret with you" }).waitFor();
    expect(page.url()).not.toContain("#");
    // Loading the full link without clicking, like a scanner that runs scripts, leaves it fresh (checked below).
    await page.goto("about:blank");
    await openInterstitial(page, created.url);
    await page.close();

    const manage = await newPage(sender, "manage-revoke");
    expect(await manageState(manage, created.manageUrl)).toBe("Not opened yet");
    await expectAccessible(manage, "manage (fresh)");

    // Revoke, with its confirmation step.
    await manage.getByRole("button", { name: "Revoke link" }).click();
    await manage.getByRole("heading", { name: "Revoke this link?" }).waitFor();
    await expectAccessible(manage, "manage (confirm revoke)");
    await manage.getByRole("button", { name: "Yes, revoke it" }).click();
    await expect.poll(() => manage.getByRole("status").textContent()).toBe("The link has been revoked and its content deleted.");
    expect(await manage.locator("dt", { hasText: "Status" }).locator("xpath=following-sibling::dd").textContent()).toBe("Revoked");

    const late = await newPage(recipient, "open-revoked");
    await late.goto(created.url);
    await late.getByRole("heading", { level: 1, name: "This link is no longer available" }).waitFor();
    await late.close();

    // A wrong manage token looks exactly like an unknown link.
    await manage.goto(created.manageUrl.replace(/#.*$/, `#${"A".repeat(21)}A`));
    await manage.getByRole("heading", { level: 1, name: "This link is no longer available" }).waitFor();
    await expectAccessible(manage, "manage (unavailable)");
    await manage.close();
  });

  it("fits a 320 px wide screen and stays accessible in the dark scheme", async () => {
    const page = await newPage(sender, "narrow-dark");
    await page.setViewportSize({ width: 320, height: 640 });
    await page.emulateMedia({ colorScheme: "dark", reducedMotion: "reduce" });
    for (const path of ["/", "/l/AAAAAAAAAAAAAAAAAAAAAA", "/m/AAAAAAAAAAAAAAAAAAAAAA#AAAAAAAAAAAAAAAAAAAAAA"]) {
      await page.goto(`${server.url}${path}`);
      await page.getByRole("heading", { level: 1 }).filter({ visible: true }).first().waitFor();
      await page.getByRole("heading", { level: 1, name: /Checking|Loading/ }).waitFor({ state: "hidden" });
      expect(await page.evaluate(() => document.documentElement.scrollWidth), path).toBeLessThanOrEqual(320);
      await expectAccessible(page, `${path} (320 px, dark)`);
    }
    await page.close();
  });

  it("saw no CSP violation, script error or dialog on any page", () => {
    for (const { where, problems } of watched) {
      expect(problems, where).toEqual({ csp: [], errors: [], dialogs: [] });
    }
  });
});
