// Recipient policies in the browser: the template picker creates the policy it names, the interstitial says what it
// will ask for, several recipients get independent links, and a replacement carries the template and rules.
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getStatus } from "../../src/client/index.js";
import { closeBrowsers, launchBrowser, watchPage, type LaunchedBrowser, type PageProblems } from "../helpers/browser.js";
import { recordSecrets } from "../helpers/secrets.js";
import { startServer, type RunningServer } from "../helpers/server.js";

let server: RunningServer;
let browser: LaunchedBrowser;
let page: Page;
let problems: PageProblems;

beforeAll(async () => {
  server = await startServer({ name: "browser-policy", env: { POW_MAX_NUMBER: "1000" } });
  browser = await launchBrowser();
  page = await browser.context.newPage();
  problems = await watchPage(page);
});

afterAll(async () => {
  await page?.close();
  await closeBrowsers(browser);
  await server?.stop();
});

const heading = (name: string) => page.getByRole("heading", { level: 1, name }).waitFor();

async function fillSecret(text: string): Promise<void> {
  recordSecrets(text);
  await page.goto(`${server.url}/`);
  await heading("Share a secret once");
  await page.getByRole("textbox", { name: "Secret", exact: true }).fill(text);
}

async function shownLink(): Promise<{ url: string; manageUrl: string }> {
  const url = await page.getByRole("textbox", { name: "Link for the recipient" }).inputValue();
  const manageUrl = await page.getByRole("textbox", { name: "Manage link (for you only)" }).inputValue();
  recordSecrets(url, manageUrl, url.split("#")[1], manageUrl.split("#")[1]);
  return { url, manageUrl };
}

describe("the template picker", () => {
  it("Standard asks for a passphrase, makes a 3-day link with it, and the interstitial says a passphrase will be asked", async () => {
    const secret = `standard secret ${Date.now()}`;
    await fillSecret(secret);
    await page.getByRole("radio", { name: "Standard" }).check();
    expect(await page.getByRole("combobox", { name: "Delete it if nobody opens it within" }).inputValue()).toBe("259200");
    // Longer lifetimes than the template's are not offered.
    expect(await page.locator('#ttl option[value="604800"]').isDisabled()).toBe(true);
    await page.getByRole("button", { name: "Create link" }).click();
    await page.getByRole("alert").filter({ hasText: "This choice needs a passphrase" }).waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("passphrase");
    recordSecrets("standard words");
    await page.getByLabel("Passphrase (required)").fill("standard words");
    await page.getByRole("button", { name: "Create link" }).click();
    await heading("Your one-time link is ready");
    const link = await shownLink();
    const status = await getStatus(link.manageUrl);
    expect(status.policy).toMatchObject({ template: "standard", passphrase: true });
    expect(Date.parse(status.expiresAt) - Date.parse(status.createdAt)).toBe(72 * 3_600_000);

    await page.goto(link.url);
    await heading("Someone shared a secret with you");
    expect((await page.getByRole("list", { name: "What you will need" }).innerText()).trim()).toBe("You will be asked for a passphrase.");
    await page.getByLabel("Passphrase", { exact: true }).fill("standard words");
    await page.getByRole("button", { name: "Reveal" }).click();
    await heading("Here is your secret");
    expect(await page.getByRole("textbox", { name: "Secret" }).inputValue()).toBe(secret);
  });

  it("Ultra Secure needs countries and preselects a passkey; the interstitial says a passkey is needed", async () => {
    await fillSecret(`ultra secret ${Date.now()}`);
    await page.getByRole("radio", { name: "Ultra Secure" }).check();
    // The template's passkey: "Require a passkey" is chosen, "No passkey" is not offered, and the recipient's own
    // passkey stays open as the stricter choice; the passphrase may not replace it.
    await page.getByRole("group", { name: "Passkey (required)" }).waitFor();
    expect(await page.getByRole("radio", { name: "Require a passkey" }).isChecked()).toBe(true);
    expect(await page.getByRole("radio", { name: "No passkey" }).isDisabled()).toBe(true);
    expect(await page.getByRole("radio", { name: "Only for the recipient's passkey" }).isEnabled()).toBe(true);
    expect(await page.getByRole("checkbox", { name: "Let the passphrase open it instead of the passkey" }).isDisabled()).toBe(true);
    // Back to Lightweight undoes the preselection, and Ultra Secure makes it again.
    await page.getByRole("radio", { name: "Lightweight" }).check();
    expect(await page.getByRole("radio", { name: "No passkey" }).isChecked()).toBe(true);
    expect(await page.getByRole("radio", { name: "No passkey" }).isEnabled()).toBe(true);
    await page.getByRole("radio", { name: "Ultra Secure" }).check();
    expect(await page.getByRole("radio", { name: "Require a passkey" }).isChecked()).toBe(true);
    await page.getByRole("button", { name: "Create link" }).click();
    await page.getByRole("alert").filter({ hasText: "needs at least one country" }).waitFor();
    await page.getByLabel("Only people in these countries (required)").fill("de, at");
    expect(await page.locator("#countries-names").textContent()).toBe("Opens in: Germany and Austria.");
    await page.getByRole("button", { name: "Create link" }).click();
    await heading("Your one-time link is ready");
    const link = await shownLink();
    expect((await getStatus(link.manageUrl)).policy).toMatchObject({ template: "ultra-secure", passkey: true, allowCountry: ["DE", "AT"] });

    await page.goto(link.url);
    await heading("Someone shared a secret with you");
    const needs = (await page.getByRole("list", { name: "What you will need" }).innerText()).trim();
    expect(needs).toMatch(/^This link asks for a passkey\. When you choose Reveal, your browser offers to make a passkey/);
    expect(needs).not.toContain("passphrase");
    // This browser has no authenticator: test/browser/passkeys.test.ts opens an Ultra Secure link with one.
    expect((await getStatus(link.manageUrl)).state).toBe("fresh");
  });

  it("two links for two devices open independently; the replacement carries template, lifetime and countries", async () => {
    const secret = `two devices ${Date.now()}`;
    await fillSecret(secret);
    await page.getByRole("radio", { name: "Lightweight" }).check();
    await page.getByRole("combobox", { name: "Number of links" }).selectOption("2");
    await page.getByRole("button", { name: "Create link" }).click();
    await heading("Your 2 one-time links are ready");
    const urls = [await page.locator("#result-link-1").inputValue(), await page.locator("#result-link-2").inputValue()];
    const manage = [await page.locator("#result-manage-1").inputValue(), await page.locator("#result-manage-2").inputValue()];
    urls.forEach((u, i) => recordSecrets(u, manage[i], u.split("#")[1], manage[i]!.split("#")[1]));
    expect(new Set(urls).size).toBe(2);

    await page.goto(urls[0]!);
    await page.getByRole("button", { name: "Reveal" }).click();
    await heading("Here is your secret");
    expect((await getStatus(manage[0]!)).state).toBe("consumed");
    expect((await getStatus(manage[1]!)).state).toBe("fresh");

    await page.goto(manage[1]!);
    await page.getByRole("link", { name: "Make a replacement link" }).click();
    await heading("Share a secret once");
    expect(await page.getByRole("radio", { name: "Lightweight" }).isChecked()).toBe(true);
    expect(await page.getByRole("combobox", { name: "Delete it if nobody opens it within" }).inputValue()).toBe("604800");
    expect(await page.getByRole("textbox", { name: "Secret", exact: true }).inputValue()).toBe("");
  });

  it("saw no CSP violation or script error", () => {
    expect(problems).toEqual({ csp: [], errors: [], dialogs: [] });
  });
});
