// Passkey links end to end in headless Chromium with its virtual authenticator (DevTools protocol, WebAuthn domain):
// "passkey required" opens with a user-verified ceremony and refuses one without user verification; a recipient
// enrols a passkey under a handle on the enrolment page; a recipient-bound link refuses another handle's passkey
// (the link stays unopened) and then opens with the right one; a fallback link opens with its passphrase; the enrol
// page and the passkey interstitial pass axe; an Ultra Secure link made on the create page (the template preselects
// the passkey) opens only with a passkey from the country it names, the country coming from X-Forwarded-For through
// a trusted proxy (TRUST_PROXY=loopback: the browser's peer is 127.0.0.1). The server runs at http://localhost (a
// WebAuthn RP ID is a domain).
import type { CDPSession, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLink, getStatus, issueEnrolment } from "../../src/client/index.js";
import { closeBrowsers, launchBrowser, runAxeLightAndDark, watchPage, type LaunchedBrowser, type PageProblems } from "../helpers/browser.js";
import { recordSecrets } from "../helpers/secrets.js";
import { startServer, type RunningServer } from "../helpers/server.js";

let server: RunningServer;
let browser: LaunchedBrowser;
const watched: PageProblems[] = [];

beforeAll(async () => {
  server = await startServer({ name: "browser-passkeys", publicHost: "localhost", env: { POW_MAX_NUMBER: "1000", TRUST_PROXY: "loopback" } });
  browser = await launchBrowser();
});

afterAll(async () => {
  await closeBrowsers(browser);
  await server?.stop();
});

/** A tab with its own virtual platform authenticator (resident keys, user verification), like one person's device. */
async function deviceTab(opts: { isUserVerified?: boolean } = {}): Promise<{ page: Page; cdp: CDPSession; authenticatorId: string }> {
  const page = await browser.context.newPage();
  watched.push(await watchPage(page));
  const cdp = await browser.context.newCDPSession(page);
  await cdp.send("WebAuthn.enable", { enableUI: false });
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: opts.isUserVerified ?? true,
      automaticPresenceSimulation: true,
    },
  });
  return { page, cdp, authenticatorId };
}

async function newLink(text: string, extra: Parameters<typeof createLink>[0] extends infer O ? Partial<O> : never) {
  const link = await createLink({ server: server.url, text, ttl: 3600, ...extra });
  recordSecrets(text, link.id, link.url, link.manageUrl, link.url.split("#")[1], link.manageUrl.split("#")[1]);
  return link;
}

const heading = (page: Page, name: string) => page.getByRole("heading", { level: 1, name }).waitFor({ timeout: 30_000 });

async function axeClean(page: Page, state: string): Promise<void> {
  const violations = await runAxeLightAndDark(page);
  expect(violations, `axe on ${state}: ${JSON.stringify(violations, null, 1)}`).toEqual([]);
}

/** Opens `url` in the tab and chooses Reveal; resolves when the page shows the secret or an error. */
async function reveal(page: Page, url: string): Promise<"revealed" | string> {
  // WebAuthn runs only in the focused document: the tab in front is the device in the person's hand.
  await page.bringToFront();
  await page.goto(url);
  await heading(page, "Someone shared a secret with you");
  await page.getByRole("button", { name: "Reveal" }).click();
  const secret = page.getByRole("heading", { level: 1, name: "Here is your secret" });
  const alert = page.getByRole("alert").filter({ hasText: /\S/ });
  await secret.or(alert).first().waitFor({ timeout: 30_000 });
  if (await secret.isVisible()) return "revealed";
  return (await alert.textContent()) ?? "";
}

async function enrolIn(page: Page, handle: string): Promise<void> {
  const issued = await issueEnrolment({ server: server.url, handle });
  recordSecrets(issued.enrolUrl.split("/enrol/")[1], issued.manageToken);
  await page.bringToFront();
  await page.goto(issued.enrolUrl);
  await heading(page, `Set up a passkey for ${handle}`);
  await axeClean(page, "enrol ready");
  await page.getByRole("button", { name: "Create passkey" }).click();
  const done = page.getByRole("heading", { level: 1, name: "Your passkey is ready" });
  const alert = page.getByRole("alert").filter({ hasText: /\S/ });
  await done.or(alert).first().waitFor({ timeout: 30_000 });
  expect(await alert.count() > 0 ? await alert.textContent() : "ready").toBe("ready");
  // Switching language now would reload the spent link and say it is "no longer valid" instead of "ready".
  expect(await page.getByRole("navigation", { name: "Language" }).isHidden()).toBe(true);
  await axeClean(page, "enrol done");
  // The link is spent: loading it again says so.
  await page.reload();
  await heading(page, "This setup link is no longer valid");
  await axeClean(page, "enrol used");
}

describe("passkeys in Chromium", () => {
  it("'passkey required' says what it will ask, opens with a user-verified passkey, and refuses one without", async () => {
    const refused = await deviceTab({ isUserVerified: false });
    const link = await newLink(`passkey required ${Date.now()}`, { passkey: "required" });
    const outcome = await reveal(refused.page, link.url);
    expect(outcome).not.toBe("revealed");
    expect(outcome).toMatch(/passkey/i);
    expect((await getStatus(link.manageUrl)).state).toBe("fresh");
    await refused.page.close();

    const { page } = await deviceTab();
    await page.goto(link.url);
    await heading(page, "Someone shared a secret with you");
    await page.getByText("This link asks for a passkey.").waitFor();
    await axeClean(page, "open fresh, passkey required");
    expect(await reveal(page, link.url)).toBe("revealed");
    expect(await page.getByRole("textbox", { name: "Secret", exact: true }).inputValue()).toMatch(/^passkey required /);
    expect((await getStatus(link.manageUrl)).state).toBe("consumed");
    await page.close();
  });

  it("a recipient-bound link refuses another handle's passkey, stays unopened, then opens with the recipient's", async () => {
    const alice = await deviceTab();
    const mallory = await deviceTab();
    await enrolIn(alice.page, "alice@example.org");
    await enrolIn(mallory.page, "mallory");
    // Each tab's authenticator holds only its own person's passkey.
    const held = async (tab: { cdp: CDPSession; authenticatorId: string }) =>
      (await tab.cdp.send("WebAuthn.getCredentials", { authenticatorId: tab.authenticatorId })).credentials.length;
    expect(await held(alice)).toBe(1);
    expect(await held(mallory)).toBe(1);

    const link = await newLink(`for alice ${Date.now()}`, { passkey: { handle: "alice@example.org" } });
    await mallory.page.goto(link.url);
    await heading(mallory.page, "Someone shared a secret with you");
    await mallory.page.getByText("opens only with the passkey of the person it was sent to").waitFor();
    await axeClean(mallory.page, "open fresh, recipient passkey");
    const wrong = await reveal(mallory.page, link.url);
    expect(wrong).toContain("That passkey does not open this link");
    await axeClean(mallory.page, "open, wrong passkey");
    expect((await getStatus(link.manageUrl)).state).toBe("fresh");

    expect(await reveal(alice.page, link.url)).toBe("revealed");
    expect(await alice.page.getByRole("textbox", { name: "Secret", exact: true }).inputValue()).toMatch(/^for alice /);
    expect((await getStatus(link.manageUrl)).state).toBe("consumed");

    // A replacement is for the recipient's passkey again; the handle is typed again, never carried in the address.
    await alice.page.goto(link.manageUrl);
    await alice.page.getByRole("link", { name: "Make a replacement link" }).click();
    await heading(alice.page, "Share a secret once");
    expect(await alice.page.getByRole("radio", { name: "Only for the recipient's passkey" }).isChecked()).toBe(true);
    expect(await alice.page.getByRole("textbox", { name: "Recipient's handle" }).inputValue()).toBe("");
    expect(alice.page.url()).not.toContain("alice");
    await alice.page.close();
    await mallory.page.close();
  });

  it("a fallback link opens with its passphrase instead of a passkey, chosen by keyboard", async () => {
    const { page } = await deviceTab();
    const link = await newLink(`fallback ${Date.now()}`, { passkey: "required", passphrase: "blue harbour lantern", passphraseFallback: true });
    recordSecrets("blue harbour lantern");
    await page.goto(link.url);
    await heading(page, "Someone shared a secret with you");
    expect(await page.getByLabel("Passphrase", { exact: true }).isVisible()).toBe(false);
    await page.getByRole("button", { name: "Use the passphrase instead" }).focus();
    await page.keyboard.press("Enter");
    await page.getByLabel("Passphrase", { exact: true }).fill("blue harbour lantern");
    await axeClean(page, "open fresh, passphrase instead of passkey");
    await page.getByRole("button", { name: "Reveal" }).click();
    await heading(page, "Here is your secret");
    expect(await page.getByRole("textbox", { name: "Secret", exact: true }).inputValue()).toMatch(/^fallback /);

    // The sender's replacement asks the same: a passkey, with the passphrase allowed in its place (typed again).
    await page.goto(link.manageUrl);
    await page.getByRole("link", { name: "Make a replacement link" }).click();
    await heading(page, "Share a secret once");
    expect(await page.getByRole("radio", { name: "Require a passkey" }).isChecked()).toBe(true);
    expect(await page.getByRole("checkbox", { name: "Let the passphrase open it instead of the passkey" }).isChecked()).toBe(true);
    expect(await page.getByLabel("Passphrase (optional)").inputValue()).toBe("");
    await page.close();
  });

  it("Ultra Secure from the create page: the template asks for the passkey, which opens it only from its country", async () => {
    const DE = "194.25.0.1"; // Deutsche Telekom, as in test/policy-rules.test.ts
    const NL = "193.0.6.139"; // RIPE NCC
    const sender = await deviceTab();
    const secret = `ultra secure ${Date.now()}`;
    recordSecrets(secret);
    await sender.page.bringToFront();
    await sender.page.goto(`${server.url}/`);
    await heading(sender.page, "Share a secret once");
    await sender.page.getByRole("textbox", { name: "Secret", exact: true }).fill(secret);
    await sender.page.getByRole("radio", { name: "Ultra Secure" }).check();
    expect(await sender.page.getByRole("radio", { name: "Require a passkey" }).isChecked()).toBe(true);
    expect(await sender.page.getByRole("radio", { name: "No passkey" }).isDisabled()).toBe(true);
    await sender.page.getByLabel("Only people in these countries (required)").fill("DE");
    await axeClean(sender.page, "create, Ultra Secure");
    await sender.page.getByRole("button", { name: "Create link" }).click();
    await heading(sender.page, "Your one-time link is ready");
    const url = await sender.page.getByRole("textbox", { name: "Link for the recipient" }).inputValue();
    const manageUrl = await sender.page.getByRole("textbox", { name: "Manage link (for you only)" }).inputValue();
    recordSecrets(url, manageUrl, url.split("#")[1], manageUrl.split("#")[1]);
    expect((await getStatus(manageUrl)).policy).toMatchObject({ template: "ultra-secure", passkey: true, allowCountry: ["DE"] });
    await sender.page.close();

    // A passkey from the wrong country opens nothing, and says where the problem is.
    const abroad = await deviceTab();
    await abroad.page.setExtraHTTPHeaders({ "x-forwarded-for": NL });
    const refused = await reveal(abroad.page, url);
    expect(refused).toContain("cannot be opened from where you are");
    expect((await getStatus(manageUrl)).state).toBe("fresh");
    await abroad.page.close();

    const { page } = await deviceTab();
    await page.setExtraHTTPHeaders({ "x-forwarded-for": DE });
    await page.goto(url);
    await heading(page, "Someone shared a secret with you");
    const needs = await page.getByRole("list", { name: "What you will need" }).innerText();
    expect(needs).toContain("This link asks for a passkey.");
    expect(await reveal(page, url)).toBe("revealed");
    expect(await page.getByRole("textbox", { name: "Secret", exact: true }).inputValue()).toBe(secret);
    expect((await getStatus(manageUrl)).state).toBe("consumed");
    await page.close();
  });

  it("saw no CSP violation, script error or dialog", () => {
    for (const problems of watched) expect(problems).toEqual({ csp: [], errors: [], dialogs: [] });
  });
});
