// The whole create-and-reveal journey with the keyboard alone: Tab, Shift+Tab, Enter and Space (and typing the
// secret), never the mouse and never page.click. Every stop of the Tab order must show a visible focus ring.
// It then measures, on this machine, the time from the Reveal activation to the text shown, with the default
// proof-of-work difficulty (POW_MAX_NUMBER), and writes the figures to .test-logs/reveal-timing.json.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLink } from "../../src/client/index.js";
import {
  accessibleDescription,
  closeBrowsers,
  launchBrowser,
  thirdPartyRequests,
  watchPage,
  type LaunchedBrowser,
  type PageProblems,
} from "../helpers/browser.js";
import { LOG_DIR, recordSecrets } from "../helpers/secrets.js";
import { startServer, type RunningServer } from "../helpers/server.js";

let server: RunningServer;
let sender: LaunchedBrowser;
let recipient: LaunchedBrowser;
/** A browser the server's friction scoring takes for a person's (see launchBrowser's personLike). */
let person: LaunchedBrowser;
const watched: Array<{ where: string; problems: PageProblems }> = [];

interface Focused {
  tag: string;
  id: string;
  name: string;
  /** The element matches :focus-visible and draws an outline of at least 2 px. */
  ringShown: boolean;
}

async function focused(page: Page): Promise<Focused> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return { tag: "body", id: "", name: "", ringShown: false };
    const style = getComputedStyle(el);
    const labels = (el as HTMLInputElement).labels;
    const name = (labels?.[0]?.textContent ?? el.getAttribute("aria-label") ?? el.textContent ?? "").trim();
    const ring = el.matches(":focus-visible") && style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
    return { tag: el.tagName.toLowerCase(), id: el.id, name, ringShown: ring };
  });
}

/**
 * Presses Tab until the focused element has the accessible name `name` (and tag, if given), checking the focus
 * ring at every stop on the way. Fails after `limit` presses.
 */
async function tabTo(page: Page, name: string | RegExp, tag?: string, limit = 25): Promise<void> {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press("Tab");
    const f = await focused(page);
    expect(f.ringShown, `visible focus on ${f.tag}#${f.id} "${f.name}"`).toBe(true);
    const matches = typeof name === "string" ? f.name === name : name.test(f.name);
    if (matches && (tag === undefined || f.tag === tag)) return;
  }
  throw new Error(`"${String(name)}" not reached with ${limit} Tab presses`);
}

async function newPage(browser: LaunchedBrowser, where: string): Promise<Page> {
  const page = await browser.context.newPage();
  watched.push({ where, problems: await watchPage(page) });
  return page;
}

/** After Reveal: the server may ask for a second confirmation (friction); answer it with the keyboard too. */
async function waitForRevealed(page: Page): Promise<void> {
  const revealed = page.getByRole("heading", { level: 1, name: "Here is your secret" });
  const confirm = page.getByRole("heading", { level: 2, name: "One more step" });
  await revealed.or(confirm).waitFor({ timeout: 30_000 });
  if (await confirm.isVisible()) {
    await tabTo(page, "Yes, reveal it now", "button");
    await page.keyboard.press("Enter");
    await revealed.waitFor({ timeout: 30_000 });
  }
}

beforeAll(async () => {
  // The default proof-of-work difficulty: the timing below is what a person gets from a default install.
  server = await startServer({ name: "browser-keyboard" });
  [sender, recipient, person] = await Promise.all([launchBrowser(), launchBrowser(), launchBrowser({ personLike: true })]);
  await sender.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url });
  await recipient.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url });
});

afterAll(async () => {
  await closeBrowsers(sender, recipient, person);
  await server?.stop();
});

describe("keyboard only", () => {
  const secret = `keyboard-only ${Date.now()} ✓`;
  let url = "";

  it("creates a link: Tab to the secret, type, Tab to Create, Enter; copy and show the QR code", async () => {
    const page = await newPage(sender, "create");
    await page.goto(`${server.url}/`);
    await tabTo(page, "Skip to main content", "a");
    // Create with nothing typed: the cursor goes to the secret, and the message stands right above it and is read
    // with it (not only announced once, far below the button).
    await tabTo(page, "Create link", "button");
    await page.keyboard.press("Enter");
    await expect.poll(async () => (await focused(page)).id).toBe("secret");
    expect(await accessibleDescription(page, "#secret")).toMatch(/^Write or paste the secret first\. /);
    const message = page.locator("#view-form").getByText("Write or paste the secret first.", { exact: true });
    const [messageBox, fieldBox] = await Promise.all([message.boundingBox(), page.locator("#secret").boundingBox()]);
    expect(messageBox!.y + messageBox!.height).toBeLessThanOrEqual(fieldBox!.y);
    expect(fieldBox!.y - (messageBox!.y + messageBox!.height)).toBeLessThan(40);
    await page.keyboard.type(secret);
    expect(await message.count(), "typing takes the message away").toBe(0);
    expect(await accessibleDescription(page, "#secret")).not.toContain("Write or paste");
    await tabTo(page, "Delete it if nobody opens it within", "select");
    await tabTo(page, "Create link", "button");
    // The first try is lost in the network: it says so, and the keyboard stays on the button to try again.
    await page.route("**/api/v1/links", (route) => route.abort("internetdisconnected"), { times: 1 });
    await page.keyboard.press("Enter");
    await page.getByRole("alert").filter({ hasText: "Could not reach the server." }).waitFor();
    expect((await focused(page)).name).toBe("Create link");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { level: 1, name: "Your one-time link is ready" }).waitFor();
    // Focus moves to the result's heading, so a screen reader announces it.
    expect((await focused(page)).id).toBe("result-heading");
    url = await page.getByRole("textbox", { name: "Link for the recipient" }).inputValue();
    recordSecrets(secret, url, url.split("#")[1], url.match(/\/l\/([\w-]+)/)?.[1]);
    expect(url).toMatch(/\/l\/[\w-]{22}#[\w-]{22}$/);

    await tabTo(page, "Link for the recipient", "input");
    await tabTo(page, "Copy link", "button");
    await page.keyboard.press("Space");
    await expect.poll(() => page.getByRole("status").textContent()).toBe("Copied to the clipboard.");
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(url);
    await tabTo(page, "Show QR code", "button");
    await page.keyboard.press("Enter");
    await page.getByRole("img", { name: "QR code of the link for the recipient" }).waitFor();
    // Shift+Tab walks back the same way.
    await page.keyboard.press("Shift+Tab");
    expect((await focused(page)).name).toBe("Copy link");
    await page.close();
  });

  it("reveals it on another device: Tab to Reveal, Space; copy, then hide", async () => {
    const page = await newPage(recipient, "open");
    await page.goto(url);
    await page.getByRole("heading", { level: 1, name: "Someone shared a secret with you" }).waitFor();
    await tabTo(page, "Reveal", "button");
    await page.keyboard.press("Space");
    await waitForRevealed(page);
    expect((await focused(page)).id).toBe("revealed-heading");
    expect(await page.getByRole("textbox", { name: "Secret", exact: true }).inputValue()).toBe(secret);

    await tabTo(page, "Copy secret", "button");
    await page.keyboard.press("Enter");
    await expect.poll(() => page.getByRole("status").textContent()).toBe("Copied. The clipboard will be cleared in 1 minute.");
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    await page.evaluate(() => navigator.clipboard.writeText(""));
    await tabTo(page, "I have saved it, hide it", "button");
    await page.keyboard.press("Space");
    await page.getByRole("heading", { level: 1, name: "This link is now disabled" }).waitFor();
    expect((await focused(page)).id).toBe("done-heading");
    await page.close();
  });

  /**
   * Opens `count` fresh links in `browser` by keyboard and returns, per run, the milliseconds from the Reveal
   * activation to the revealed text, and the friction level the server chose for the challenge.
   */
  async function timeReveals(browser: LaunchedBrowser, where: string, count: number): Promise<Array<{ ms: number; friction: string }>> {
    const runs: Array<{ ms: number; friction: string }> = [];
    const page = await newPage(browser, where);
    let friction = "?";
    page.on("response", (response) => {
      if (!new URL(response.url()).pathname.endsWith("/challenge")) return;
      void response
        .json()
        .then((body: { challenge?: { parameters?: { data?: { f?: string } } }; parameters?: { data?: { f?: string } } }) => {
          friction = body.challenge?.parameters?.data?.f ?? body.parameters?.data?.f ?? "?";
        })
        .catch(() => undefined);
    });
    for (let i = 0; i < count; i++) {
      const text = `timing ${where} ${i} ${Date.now()}`;
      const link = await createLink({ server: server.url, text });
      recordSecrets(text, link.id, link.url, link.manageUrl, link.url.split("#")[1], link.manageUrl.split("#")[1]);
      await page.goto(link.url);
      await page.getByRole("heading", { level: 1, name: "Someone shared a secret with you" }).waitFor();
      await tabTo(page, "Reveal", "button");
      // A person reads the page first; a click within 300 ms of loading counts against the browser.
      await page.waitForTimeout(400);
      // Timed inside the page: from the activation event to the moment the revealed view holds the text.
      await page.evaluate(() => {
        const w = window as unknown as { revealStart?: number; revealEnd?: number };
        document.getElementById("reveal")!.addEventListener("click", () => (w.revealStart = performance.now()), { capture: true, once: true });
        const view = document.getElementById("view-revealed")!;
        const secretField = document.getElementById("secret") as HTMLTextAreaElement;
        new MutationObserver((_, observer) => {
          if (!view.hidden && secretField.value !== "") {
            w.revealEnd = performance.now();
            observer.disconnect();
          }
        }).observe(view, { attributes: true, attributeFilter: ["hidden"] });
      });
      await page.keyboard.press("Enter");
      await waitForRevealed(page);
      expect(await page.getByRole("textbox", { name: "Secret", exact: true }).inputValue()).toBe(text);
      const ms = await page.evaluate(() => {
        const w = window as unknown as { revealStart: number; revealEnd: number };
        return Math.round(w.revealEnd - w.revealStart);
      });
      runs.push({ ms, friction });
    }
    await page.close();
    return runs;
  }

  it("measures Reveal -> text shown with the default proof of work (reported, not asserted)", async () => {
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const personRuns = await timeReveals(person, "timing-person", 5);
    // The same page in a browser that says it is automated: the server raises the proof of work for it.
    const automatedRuns = await timeReveals(recipient, "timing-automated", 3);
    const report = {
      powMaxNumber: "default (20000)",
      person: { runs: personRuns, medianMs: median(personRuns.map((r) => r.ms)) },
      automationFlagged: { runs: automatedRuns, medianMs: median(automatedRuns.map((r) => r.ms)) },
    };
    mkdirSync(LOG_DIR, { recursive: true });
    writeFileSync(join(LOG_DIR, "reveal-timing.json"), JSON.stringify(report, null, 2) + "\n");
    console.log(
      `reveal -> text shown, default POW_MAX_NUMBER: person-like browser ${personRuns.map((r) => `${r.ms} (${r.friction})`).join(", ")} ms, ` +
        `median ${report.person.medianMs} ms; automation-flagged ${automatedRuns.map((r) => `${r.ms} (${r.friction})`).join(", ")} ms`,
    );
    expect(personRuns.every((r) => r.ms > 0)).toBe(true);
  });

  it("saw no CSP or Trusted Types violation, script error or dialog, and no third-party request", () => {
    for (const { where, problems } of watched) expect(problems, where).toEqual({ csp: [], errors: [], dialogs: [] });
    for (const browser of [sender, recipient, person]) expect(thirdPartyRequests(browser.requests, server.url)).toEqual([]);
  });
});
