// The whole sender -> recipient -> sender journey in real headless Chromium against the real server
// (`node bin/oncelink.js serve`, built beforehand). Elements are found the way people find them: by role and
// accessible name. Each recipient uses its own browser profile, like a second device would.
import { readFileSync } from "node:fs";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  accessibleDescription,
  closeBrowsers,
  focusedNode,
  launchBrowser,
  runAxeLightAndDark,
  thirdPartyRequests,
  watchPage,
  type LaunchedBrowser,
  type PageProblems,
} from "../helpers/browser.js";
import { recordSecrets } from "../helpers/secrets.js";
import { startServer, type RunningServer } from "../helpers/server.js";

let server: RunningServer;
let sender: LaunchedBrowser;
let recipient: LaunchedBrowser;
const watched: Array<{ where: string; problems: PageProblems }> = [];
/** Short, so the suite can watch the clipboard being cleared; the default is 60 s. */
const CLIPBOARD_CLEAR_SECONDS = 2;
/** Two, so the suite can reach the last passphrase try quickly; the default is 5. */
const PASSPHRASE_MAX_ATTEMPTS = 2;

/** A page that records CSP and Trusted Types violations, script errors and dialogs for the final checks. */
async function newPage(browser: LaunchedBrowser, where: string): Promise<Page> {
  const page = await browser.context.newPage();
  watched.push({ where, problems: await watchPage(page) });
  return page;
}

async function expectAccessible(page: Page, state: string): Promise<void> {
  const violations = await runAxeLightAndDark(page);
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

const statusText = (page: Page) => page.getByRole("status").textContent();

beforeAll(async () => {
  server = await startServer({
    name: "browser-flow",
    env: { CLIPBOARD_CLEAR_SECONDS: String(CLIPBOARD_CLEAR_SECONDS), PASSPHRASE_MAX_ATTEMPTS: String(PASSPHRASE_MAX_ATTEMPTS) },
  });
  [sender, recipient] = await Promise.all([launchBrowser(), launchBrowser()]);
  await recipient.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url });
  await sender.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url });
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
    expect(await senderPage.locator("#secret").inputValue(), "textarea is emptied").toBe("");
    const stored = await senderPage.evaluate(() => localStorage.length + sessionStorage.length);
    expect(stored).toBe(0);
    expect(senderPage.url()).toBe(`${server.url}/`);
    expect(await senderPage.title()).not.toContain("c0rrect");
    // The language switcher would reload the page and lose links that are shown only once.
    expect(await senderPage.getByRole("navigation", { name: "Language" }).isHidden()).toBe(true);

    // A message for the recipient with the link in it, ready to copy.
    const message = await senderPage.getByRole("textbox", { name: "Message to send with the link" }).inputValue();
    expect(message).toContain(first.url);
    expect(message).toContain("opens only once");

    // The QR code is drawn locally, on request only, and carries an accessible name.
    expect(await senderPage.getByRole("img", { name: "QR code of the link for the recipient" }).count()).toBe(0);
    await senderPage.getByRole("button", { name: "Show QR code" }).click();
    const qr = senderPage.getByRole("img", { name: "QR code of the link for the recipient" });
    await qr.waitFor();
    const box = await qr.boundingBox();
    expect(box?.width).toBeGreaterThan(150);
    expect(await qr.locator("path").getAttribute("d")).toMatch(/^(M\d+ \d+h\d+v1h-\d+z){100,}$/);
    await expectAccessible(senderPage, "create result (QR code shown)");
    await senderPage.getByRole("button", { name: "Hide QR code" }).click();
    await expect.poll(() => qr.count()).toBe(0);

    await senderPage.getByRole("button", { name: "Copy link", exact: true }).click();
    await expect.poll(() => statusText(senderPage)).toBe("Copied to the clipboard.");
    expect(await senderPage.evaluate(() => navigator.clipboard.readText())).toBe(first.url);
    await senderPage.evaluate(() => navigator.clipboard.writeText(""));

    await senderPage.getByRole("button", { name: "Create another" }).click();
    await expect.poll(() => senderPage.getByRole("textbox", { name: "Link for the recipient" }).isHidden()).toBe(true);
    expect(await senderPage.locator("#recipient-link").inputValue()).toBe("");
    expect(await senderPage.locator("#recipient-note").inputValue()).toBe("");
    expect(await senderPage.getByRole("navigation", { name: "Language" }).isVisible()).toBe(true);
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
    const historyBefore = await page.evaluate(() => history.length);

    expect(await reveal(page)).toBe(plaintext);
    expect(apiCalls.slice(1)).toEqual([
      "GET /api/v1/links/{id}",
      "GET /api/v1/links/{id}/challenge",
      "POST /api/v1/links/{id}/session",
      "POST /api/v1/links/{id}/consume",
    ]);
    await expect.poll(() => page.getByText("This link is now disabled: nobody can open it again.").isVisible()).toBe(true);
    await expect.poll(() => page.getByText("Store it somewhere safe now").isVisible()).toBe(true);
    expect(page.url()).not.toContain("#");
    expect(await page.title()).not.toContain("c0rrect");
    expect(await page.evaluate(() => localStorage.length + sessionStorage.length)).toBe(0);
    expect(await page.evaluate(() => history.length), "no history entry was added").toBe(historyBefore);
    expect(await page.evaluate(() => history.state)).toBeNull();
    expect(await page.getByRole("navigation", { name: "Language" }).isHidden()).toBe(true);
  });

  it("copies the secret and clears the clipboard after the configured time, saying so", async () => {
    const page = recipient.context.pages().at(-1)!;
    await page.bringToFront();
    await page.getByRole("button", { name: "Copy secret" }).click();
    await expect.poll(() => statusText(page)).toBe(`Copied. The clipboard will be cleared in ${CLIPBOARD_CLEAR_SECONDS} seconds.`);
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(plaintext);
    expect(await page.getByText(`A copy stays on the clipboard for ${CLIPBOARD_CLEAR_SECONDS} seconds`).isVisible()).toBe(true);
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText()), { timeout: 10_000 }).toBe("");
    await expect.poll(() => statusText(page)).toBe("The clipboard has been cleared.");

    // A copy made the usual way (select, Ctrl+C) is cleared as well: the hint beside the field promises it.
    await page.getByRole("textbox", { name: "Secret", exact: true }).focus();
    await page.keyboard.press("Control+A");
    await page.keyboard.press("Control+C");
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(plaintext);
    await expect.poll(() => statusText(page)).toBe(`Copied. The clipboard will be cleared in ${CLIPBOARD_CLEAR_SECONDS} seconds.`);
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText()), { timeout: 10_000 }).toBe("");
    await expect.poll(() => statusText(page)).toBe("The clipboard has been cleared.");
  });

  it("downloads the secret as a .txt file made in the browser", async () => {
    const page = recipient.context.pages().at(-1)!;
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Download as .txt" }).click(),
    ]);
    expect(download.suggestedFilename()).toBe("secret.txt");
    expect(download.url()).toMatch(/^blob:/);
    expect(readFileSync(await download.path(), "utf8")).toBe(plaintext);
    await download.delete();
  });

  it("ends in a 'link disabled' state that holds nothing, and the link stays dead", async () => {
    const page = recipient.context.pages().at(-1)!;
    await page.getByRole("button", { name: "I have saved it, hide it" }).click();
    await page.getByRole("heading", { level: 1, name: "This link is now disabled" }).waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("done-heading");
    expect(await page.locator("#secret").inputValue()).toBe("");
    expect(await page.content()).not.toContain("c0rrect");
    expect(await page.title()).toBe("This link is now disabled");

    await page.reload();
    await page.getByRole("heading", { level: 1, name: "This link is no longer available" }).waitFor();
    expect(await page.getByText("ask the sender for a new link").isVisible()).toBe(true);
    expect(await page.content()).not.toContain("c0rrect");
    await page.close();
  });

  it("shows the sender that the link was opened", async () => {
    const page = await newPage(sender, "manage");
    expect(await manageState(page, first.manageUrl)).toBe("Opened");
    await expect.poll(() => page.getByText("Opened on").isVisible()).toBe(true);
    // An opened link no longer expires: no "Expires" date in the future beside "Opened on".
    expect(await page.locator("dt", { hasText: "Expires" }).isVisible()).toBe(false);
    await expect.poll(() => page.getByRole("button", { name: "Revoke link" }).isHidden()).toBe(true);
    // The skip link moves focus without replacing the manage token in the address bar.
    await page.keyboard.press("Tab");
    await expect.poll(() => page.getByRole("link", { name: "Skip to main content" }).evaluate((a) => a === document.activeElement)).toBe(true);
    await page.keyboard.press("Enter");
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe("main");
    expect(page.url()).toBe(first.manageUrl);

    // "Check again" lost in the network says so, instead of reading out the old status as if it were news.
    await page.route("**/status", (route) => route.abort("internetdisconnected"), { times: 1 });
    await page.getByRole("button", { name: "Check again" }).click();
    await page.getByRole("alert").filter({ hasText: "Could not reach the server." }).waitFor();
    expect(await statusText(page)).toBe("");
    // A first load lost in the network does not leave the page "Loading…" for good: it says so and offers a retry.
    await page.route("**/status", (route) => route.abort("internetdisconnected"), { times: 1 });
    await page.reload();
    await page.getByRole("heading", { level: 1, name: "The link's status could not be loaded" }).waitFor();
    expect(await page.getByText("Could not reach the server.").isVisible()).toBe(true);
    expect(await page.title()).toBe("The link's status could not be loaded");
    await page.getByRole("button", { name: "Check again" }).click();
    await page.getByRole("heading", { level: 1, name: "Your one-time link" }).waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("status-heading");
    expect(await page.locator("#state").textContent()).toBe("Opened");
    await page.close();
  });

  it("shows a secret full of markup literally; a custom lifetime and a replacement link carry over", async () => {
    await senderPage.getByRole("combobox", { name: "Delete it if nobody opens it within" }).selectOption("custom");
    const amount = senderPage.getByRole("textbox", { name: "Number" });
    await amount.fill("31");
    await senderPage.getByRole("combobox", { name: "Unit" }).selectOption({ label: "days" });
    await senderPage.getByRole("textbox", { name: "Secret", exact: true }).fill("not sent");
    await senderPage.getByRole("button", { name: "Create link" }).click();
    await expect.poll(() => senderPage.getByRole("alert").textContent()).toBe("Choose a lifetime between 1 minute and 30 days.");
    expect(await amount.getAttribute("aria-invalid")).toBe("true");
    // The message is shown with the custom lifetime, not only below the Create button, and read with the field.
    expect(await senderPage.locator("#ttl-custom").getByText("Choose a lifetime between 1 minute and 30 days.").isVisible()).toBe(true);
    expect(await accessibleDescription(senderPage, "#ttl-amount")).toMatch(/^Choose a lifetime between 1 minute and 30 days\./);
    expect(await senderPage.evaluate(() => document.activeElement?.id)).toBe("ttl-amount");
    await amount.fill("90");
    await senderPage.getByRole("combobox", { name: "Unit" }).selectOption({ label: "minutes" });

    const hostile = `<img src=x onerror=alert(1)><script>alert(2)</script>\n"quoted" & 'single' </textarea><b>bold</b>`;
    const created = await createSecret(senderPage, hostile);
    const page = await newPage(recipient, "open-hostile");
    await openInterstitial(page, created.url);
    expect(await reveal(page)).toBe(hostile);
    expect(await page.locator("main img, main b, main script").count()).toBe(0);
    await page.close();

    // The sender makes a replacement: the create page opens with the same lifetime and nothing else.
    const manage = await newPage(sender, "manage-replace");
    expect(await manageState(manage, created.manageUrl)).toBe("Opened");
    const replace = manage.getByRole("link", { name: "Make a replacement link" });
    expect(await replace.getAttribute("href")).toBe("/?replace=1&ttl=5400");
    await replace.click();
    await manage.getByRole("heading", { level: 1, name: "Share a secret once" }).waitFor();
    await expect.poll(() => manage.getByText("You are making a replacement link.").isVisible()).toBe(true);
    expect(await manage.getByRole("combobox", { name: "Delete it if nobody opens it within" }).inputValue()).toBe("custom");
    expect(await manage.getByRole("textbox", { name: "Number" }).inputValue()).toBe("90");
    expect(await manage.getByRole("combobox", { name: "Unit" }).inputValue()).toBe("60");
    expect(await manage.getByRole("textbox", { name: "Secret", exact: true }).inputValue()).toBe("");
    // Another language keeps the replacement's settings (they are in the address, not in a secret).
    await manage.getByRole("navigation", { name: "Language" }).getByRole("link", { name: "Deutsch" }).click();
    await manage.getByRole("heading", { level: 1, name: "Ein Geheimnis einmalig teilen" }).waitFor();
    await expect.poll(() => manage.getByText("Sie erstellen einen Ersatzlink.").isVisible()).toBe(true);
    expect(await manage.locator("#ttl-amount").inputValue()).toBe("90");
    expect(new URL(manage.url()).searchParams.get("lang")).toBe("de");
    // Back to English (the choice is remembered in a cookie, and the later steps read English).
    await manage.getByRole("navigation", { name: "Sprache" }).getByRole("link", { name: "English" }).click();
    await manage.getByRole("heading", { level: 1, name: "Share a secret once" }).waitFor();
    await manage.close();
  });

  it("asks before a language switch would clear the secret typed, and carries the other choices across", async () => {
    const page = await newPage(sender, "create-language-switch");
    await page.goto(`${server.url}/`);
    await page.getByRole("radio", { name: "Your own settings" }).check();
    await page.getByRole("combobox", { name: "Delete it if nobody opens it within" }).selectOption("604800");
    await page.getByRole("textbox", { name: "Only people in these countries (optional)" }).fill("DE, AT");
    await page.getByRole("combobox", { name: "Number of links" }).selectOption("2");
    const typed = `typed before a language switch ${Date.now()}`;
    await page.getByRole("textbox", { name: "Secret", exact: true }).fill(typed);
    const deutsch = page.getByRole("navigation", { name: "Language" }).getByRole("link", { name: "Deutsch" });

    // The reload would clear the secret (it is never stored anywhere): the page asks first, above the form.
    await deutsch.click();
    const question = page.getByRole("region", { name: "Change the language?" });
    await question.waitFor();
    expect(await focusedNode(page)).toEqual({
      id: "language-confirm",
      role: "region",
      name: "Change the language?",
      description: expect.stringMatching(/^The page reloads in that language\. The secret, the passphrase and the recipient's handle are cleared/),
    });
    expect(page.url()).toBe(`${server.url}/`);
    await expectAccessible(page, "create (language switch asked)");
    await page.getByRole("button", { name: "Keep what I typed" }).click();
    expect(await question.count()).toBe(0);
    expect(await page.getByRole("textbox", { name: "Secret", exact: true }).inputValue()).toBe(typed);
    expect(await page.evaluate(() => document.activeElement?.textContent), "back on the link").toBe("Deutsch");
    await page.keyboard.press("Enter");
    await question.waitFor();
    await page.keyboard.press("Escape");
    expect(await question.count()).toBe(0);

    // Switched all the same: the secret is gone, the lifetime, template, countries and number of links came along.
    await deutsch.click();
    await page.getByRole("button", { name: "Change the language" }).click();
    await page.getByRole("heading", { level: 1, name: "Ein Geheimnis einmalig teilen" }).waitFor();
    expect(await page.locator("#secret").inputValue()).toBe("");
    expect(await page.locator("#ttl").inputValue()).toBe("604800");
    expect(await page.locator("#countries").inputValue()).toBe("DE, AT");
    expect(await page.locator("#recipients").inputValue()).toBe("2");
    expect(await page.getByRole("radio", { name: "Eigene Einstellungen" }).isChecked()).toBe(true);
    expect(page.url()).not.toContain("typed");
    expect(await page.evaluate(() => localStorage.length + sessionStorage.length)).toBe(0);

    // Nothing typed that a reload would clear: no question, and the choices still come along.
    await page.getByRole("navigation", { name: "Sprache" }).getByRole("link", { name: "English" }).click();
    await page.getByRole("heading", { level: 1, name: "Share a secret once" }).waitFor();
    expect(await page.locator("#ttl").inputValue()).toBe("604800");
    expect(await page.locator("#recipients").inputValue()).toBe("2");
    await page.close();
  });

  it("does not spend a link whose key is missing, and loading the page alone spends nothing", async () => {
    await senderPage.getByRole("button", { name: "Create another" }).click();
    await senderPage.getByRole("combobox", { name: "Delete it if nobody opens it within" }).selectOption("3600");
    const created = await createSecret(senderPage, `incomplete-case ${Date.now()}`);
    const page = await newPage(recipient, "open-incomplete");
    await page.goto(created.url.replace(/#.*$/, ""));
    await page.getByRole("heading", { level: 1, name: "This link looks incomplete" }).waitFor();
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
    expect(await manage.locator("#expires").textContent()).toMatch(/\(in (59|60) minutes\)$/);

    // Revoke, with its confirmation step (Escape and "Keep it" back out of it).
    await manage.getByRole("button", { name: "Revoke link" }).click();
    await manage.getByRole("heading", { name: "Revoke this link?" }).waitFor();
    // Focus is on the box, which a screen reader reads as the question and what revoking does, not the heading alone.
    expect(await focusedNode(manage)).toEqual({
      id: "confirm",
      role: "region",
      name: "Revoke this link?",
      description: "The content is deleted right away and the link stops working. This cannot be undone.",
    });
    await manage.getByRole("button", { name: "Keep it" }).click();
    await expect.poll(() => manage.getByRole("heading", { name: "Revoke this link?" }).count()).toBe(0);
    await manage.getByRole("button", { name: "Revoke link" }).click();
    // The revoke goes through, but the reload of the status after it is lost in the network: the page knows the link
    // is revoked all the same (the DELETE answered 204), and says that only the reload failed.
    await manage.route("**/status", (route) => route.abort("internetdisconnected"), { times: 1 });
    await manage.getByRole("button", { name: "Yes, revoke it" }).click();
    const reloadFailed = "The link's updated details could not be loaded. Could not reach the server. Check your connection and try again.";
    const outcome = manage.getByRole("group", { name: "The link has been revoked and its content deleted." });
    await outcome.getByText(reloadFailed).waitFor();
    expect(await manage.locator("#state").textContent()).toBe("Revoked");
    expect(await manage.getByRole("button", { name: "Revoke link" }).isHidden()).toBe(true);
    expect(await manage.locator("dt", { hasText: "Revoked on" }).isVisible()).toBe(true);
    // Said by the status it changed (below the facts, above the buttons and the replacement section), with focus on
    // it; the reload's failure is its description, announced once, and nothing is written at the bottom of the page.
    expect(await focusedNode(manage)).toEqual({
      id: "revoke-outcome",
      role: "group",
      name: "The link has been revoked and its content deleted.",
      description: reloadFailed,
    });
    const [facts, box, buttons] = await Promise.all([
      manage.locator("dl.facts").boundingBox(),
      outcome.boundingBox(),
      manage.getByRole("button", { name: "Check again" }).boundingBox(),
    ]);
    expect(box!.y).toBeGreaterThanOrEqual(facts!.y + facts!.height);
    expect(box!.y + box!.height).toBeLessThanOrEqual(buttons!.y);
    expect(await statusText(manage)).toBe("");
    expect(await manage.locator("#error").textContent()).toBe(reloadFailed);
    expect(await manage.locator("#error").evaluate((el) => el.classList.contains("visually-hidden")), "not shown twice").toBe(true);
    await expectAccessible(manage, "manage (revoked, reload failed)");
    // "Check again" loads the server's view: revoked, and the revoke's message has done its job.
    await manage.getByRole("button", { name: "Check again" }).click();
    await expect.poll(() => statusText(manage)).toBe("Revoked");
    expect(await outcome.count()).toBe(0);
    expect(await manage.locator("dt", { hasText: "Status" }).locator("xpath=following-sibling::dd").textContent()).toBe("Revoked");
    // When it was revoked, under its own label; there is no "opened on" line for a link nobody opened.
    expect(await manage.locator("dt", { hasText: "Revoked on" }).isVisible()).toBe(true);
    expect(await manage.locator("dt", { hasText: "Revoked on" }).locator("xpath=following-sibling::dd").textContent()).toMatch(/\d/);
    expect(await manage.getByText("Opened on").isVisible()).toBe(false);

    const late = await newPage(recipient, "open-revoked");
    await late.goto(created.url);
    await late.getByRole("heading", { level: 1, name: "This link is no longer available" }).waitFor();
    await late.close();

    // A wrong manage token looks exactly like an unknown link.
    await manage.goto(created.manageUrl.replace(/#.*$/, `#${"A".repeat(21)}A`));
    await manage.getByRole("heading", { level: 1, name: "This link is no longer available" }).waitFor();
    await manage.close();
  });

  it("says the secret did not arrive, and offers no retry, when the answer to the consume is lost", async () => {
    await senderPage.getByRole("button", { name: "Create another" }).click();
    const created = await createSecret(senderPage, `lost-answer-case ${Date.now()}`);
    const page = await newPage(recipient, "open-lost-answer");
    // The consume reaches the server, which uses the link up, but its answer never reaches the page.
    await page.route("**/consume", async (route) => {
      await route.fetch();
      await route.abort("failed");
    });
    await openInterstitial(page, created.url);
    await page.getByRole("button", { name: "Reveal" }).click();
    await page.getByRole("heading", { level: 1, name: "The secret did not arrive" }).waitFor({ timeout: 30_000 });
    expect(await page.getByText("may have used the link up").isVisible()).toBe(true);
    expect(await page.locator("#problem-retry").isVisible()).toBe(false);
    await expectAccessible(page, "open (answer lost)");
    await page.unrouteAll();
    await page.reload();
    await page.getByRole("heading", { level: 1, name: "This link is no longer available" }).waitFor();
    await page.close();
  });

  it("asks for the passphrase before the Reveal; a wrong one says how many tries are left and keeps the page usable", async () => {
    await senderPage.getByRole("button", { name: "Create another" }).click();
    const passphrase = `violet ${Date.now()} staple`;
    const wrong = `${passphrase} typo`;
    recordSecrets(passphrase, wrong);
    await senderPage.getByRole("textbox", { name: "Passphrase (optional)" }).fill(passphrase);
    const created = await createSecret(senderPage, `passphrase-case ${Date.now()}`);
    expect(await senderPage.locator("#passphrase").inputValue(), "passphrase field is emptied").toBe("");

    const page = await newPage(recipient, "open-passphrase");
    await openInterstitial(page, created.url);
    const field = page.getByRole("textbox", { name: "Passphrase", exact: true });
    await field.waitFor();
    await expectAccessible(page, "open (fresh, passphrase asked)");
    // In a form (Chrome guesses at a password field outside one), marked as a one-time code, which Chromium's password
    // manager neither fills nor offers to save; and nameless, so no submission could carry it into a URL.
    expect(await field.evaluate((el: HTMLInputElement) => ({ form: el.form?.id, autocomplete: el.autocomplete, name: el.name }))).toEqual({
      form: "passphrase-field",
      autocomplete: "one-time-code",
      name: "",
    });
    // That form never submits: a script's requestSubmit() (as scanners do) neither navigates nor reveals.
    await field.fill(passphrase);
    const cancelled = await page.evaluate(() => {
      const form = document.getElementById("passphrase-field") as HTMLFormElement;
      let seen: boolean | null = null;
      // Runs after the page's own listener, which was added first.
      form.addEventListener("submit", (event) => (seen = event.defaultPrevented), { once: true });
      form.requestSubmit();
      return seen;
    });
    expect(cancelled, "the submission was cancelled").toBe(true);
    expect(page.url()).toBe(created.url.replace(/#.*$/, ""));
    expect(await field.inputValue()).toBe(passphrase);
    expect(await page.getByRole("button", { name: "Reveal" }).getAttribute("aria-disabled"), "no reveal started").toBeNull();
    await field.fill("");

    // Enter that only confirms an input method's composition (Japanese, Chinese, Korean passphrases) is not a
    // Reveal: it would spend one of the tries on a half-typed passphrase.
    await field.focus();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("Input.imeSetComposition", { text: "ひみつ", selectionStart: 3, selectionEnd: 3 });
    await cdp.send("Input.dispatchKeyEvent", { type: "rawKeyDown", key: "Enter", code: "Enter", windowsVirtualKeyCode: 229 });
    await cdp.send("Input.insertText", { text: "秘密" });
    await cdp.send("Input.dispatchKeyEvent", { type: "keyUp", key: "Enter", code: "Enter", windowsVirtualKeyCode: 13 });
    await cdp.detach();
    expect(await field.inputValue()).toBe("秘密");
    expect(await page.getByRole("button", { name: "Reveal" }).getAttribute("aria-disabled"), "no reveal started").toBeNull();
    expect(await statusText(page)).toBe("");
    await field.fill("");

    // Reveal with an empty field: nothing is sent, the field is pointed out.
    await page.getByRole("button", { name: "Reveal" }).click();
    await expect.poll(() => page.locator("#error").textContent()).toBe("Type the passphrase first.");
    // Said at the field as well, and read with it when the cursor lands there.
    expect(await page.locator("#passphrase-field").getByText("Type the passphrase first.").isVisible()).toBe(true);
    expect(await accessibleDescription(page, "#passphrase")).toMatch(/^Type the passphrase first\. /);

    await field.fill(wrong);
    await page.getByRole("button", { name: "Reveal" }).click();
    await expect
      .poll(() => page.locator("#error").textContent(), { timeout: 30_000 })
      .toBe("That passphrase is not right. The link is still unopened. Tries left before the secret is deleted: 1.");
    expect(await page.getByRole("heading", { level: 1, name: "Someone shared a secret with you" }).isVisible()).toBe(true);
    expect(await field.inputValue()).toBe("");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("passphrase");
    expect(await accessibleDescription(page, "#passphrase")).toMatch(/^That passphrase is not right\. .* 1\. /);
    expect(await page.locator("#passphrase-field").getByText("That passphrase is not right.", { exact: false }).isVisible()).toBe(true);

    // The address's passphrase limit runs for minutes: the page says how long to wait, and that nothing was spent.
    await page.route(
      "**/session",
      (route) =>
        route.fulfill({
          status: 429,
          headers: { "retry-after": "840", "content-type": "application/json" },
          body: '{"error":"RATE_LIMITED","message":"Too many requests."}',
        }),
      { times: 1 },
    );
    await field.fill(passphrase);
    await page.getByRole("button", { name: "Reveal" }).click();
    await expect
      .poll(() => page.locator("#error").textContent(), { timeout: 30_000 })
      .toBe("Too many attempts right now. Try again in 14 minutes. Nothing has been opened: the link still works.");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("reveal");
    expect(await reveal(page)).toMatch(/^passphrase-case /);
    await page.close();
  });

  it("says the secret was deleted, not 'opened or expired', when the last passphrase try was wrong", async () => {
    await senderPage.getByRole("button", { name: "Create another" }).click();
    const passphrase = `amber ${Date.now()} lantern`;
    recordSecrets(passphrase, `${passphrase}!`);
    await senderPage.getByRole("textbox", { name: "Passphrase (optional)" }).fill(passphrase);
    expect(await senderPage.getByText(`After ${PASSPHRASE_MAX_ATTEMPTS} wrong tries the secret is deleted.`).isVisible()).toBe(true);
    const created = await createSecret(senderPage, `last-try-case ${Date.now()}`);
    const page = await newPage(recipient, "open-last-try");
    await openInterstitial(page, created.url);
    const field = page.getByRole("textbox", { name: "Passphrase", exact: true });
    await field.fill(`${passphrase}!`);
    await page.getByRole("button", { name: "Reveal" }).click();
    await expect.poll(() => page.locator("#error").textContent(), { timeout: 30_000 }).toMatch(/Tries left before the secret is deleted: 1\.$/);
    await field.fill(`${passphrase}!`);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { level: 1, name: "The secret has been deleted" }).waitFor({ timeout: 30_000 });
    expect(await page.getByText("it was the last try").isVisible()).toBe(true);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("problem-heading");
    expect(await page.title()).toBe("The secret has been deleted");
    expect(await page.locator("#problem-retry").isVisible()).toBe(false);
    // Loaded again, it is the neutral page that says nothing about why.
    await page.reload();
    await page.getByRole("heading", { level: 1, name: "This link is no longer available" }).waitFor();
    await page.close();
  });

  it("switches language with a visible switcher, keeps the key across the switch, and remembers the choice", async () => {
    await senderPage.getByRole("button", { name: "Create another" }).click();
    const created = await createSecret(senderPage, `language-case ${Date.now()}`);
    const page = await newPage(recipient, "open-language");
    await openInterstitial(page, created.url);
    await page.getByRole("navigation", { name: "Language" }).getByRole("link", { name: "Deutsch" }).click();
    await page.getByRole("heading", { level: 1, name: "Jemand hat ein Geheimnis mit Ihnen geteilt" }).waitFor();
    expect(await page.evaluate(() => document.documentElement.lang)).toBe("de");
    expect(page.url(), "the key was carried over and removed again").toBe(`${created.url.replace(/#.*$/, "")}?lang=de`);
    expect(await page.getByRole("link", { name: "Deutsch" }).getAttribute("aria-current")).toBe("true");
    await expectAccessible(page, "open (fresh, German)");

    // The choice sticks (cookie) on the other pages, and the reveal works in German.
    const other = await newPage(recipient, "create-language");
    await other.goto(`${server.url}/`);
    await other.getByRole("heading", { level: 1, name: "Ein Geheimnis einmalig teilen" }).waitFor();
    await other.close();
    await page.getByRole("button", { name: "Anzeigen" }).click();
    await page.getByRole("heading", { level: 1, name: "Hier ist Ihr Geheimnis" }).waitFor({ timeout: 30_000 });
    expect(await page.getByRole("textbox", { name: "Geheimnis", exact: true }).inputValue()).toMatch(/^language-case/);
    await page.close();

    // Accept-Language decides until someone chooses; the neutral 404 page follows the choice too.
    const headers = { "accept-language": "ja,en;q=0.5" };
    expect(await (await fetch(`${server.url}/`, { headers })).text()).toContain('<html lang="ja">');
    const chosen = await fetch(`${server.url}/nothing-here?lang=es`, { headers });
    expect(chosen.status).toBe(404);
    expect(await chosen.text()).toContain("Este enlace ya no está disponible");
    expect(chosen.headers.get("set-cookie")).toBe("lang=es; Path=/; Max-Age=31536000; SameSite=Lax");
    const remembered = await fetch(`${server.url}/`, { headers: { ...headers, cookie: "lang=fr" } });
    expect(await remembered.text()).toContain('<html lang="fr">');
  });

  it("enforces Trusted Types: an HTML string handed to a DOM sink is refused", async () => {
    // A page deliberately not watched: the refusal below is itself a reported violation.
    const page = await sender.context.newPage();
    await page.goto(`${server.url}/`);
    const outcome = await page.evaluate(() => {
      try {
        document.body.insertAdjacentHTML("beforeend", "<b>injected</b>");
        return "allowed";
      } catch (err) {
        return (err as Error).name;
      }
    });
    expect(outcome).toBe("TypeError");
    expect(await page.locator("b", { hasText: "injected" }).count()).toBe(0);
    await page.close();
  });

  it("saw no CSP or Trusted Types violation, script error or dialog on any page, and no third-party request", () => {
    for (const { where, problems } of watched) {
      expect(problems, where).toEqual({ csp: [], errors: [], dialogs: [] });
    }
    for (const browser of [sender, recipient]) {
      expect(browser.requests.length).toBeGreaterThan(10);
      expect(thirdPartyRequests(browser.requests, server.url)).toEqual([]);
    }
  });
});
