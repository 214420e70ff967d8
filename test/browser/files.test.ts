// Files through the web pages, in real headless Chromium against the real built server: the create page encrypts a
// file and sends it in parts; the reveal page decrypts it as a stream and saves it, either straight into a file the
// person picked (File System Access API) or, in browsers without it, as a download of a verified Blob.
//
// Headless Chromium cannot drive the native save dialog, so the recipient browsers set the environment up the way
// a browser would be: one replaces window.showSaveFilePicker with a picker that hands out files of the origin
// private file system (navigator.storage.getDirectory(): real FileSystemFileHandles, real createWritable(), read
// back afterwards), the other has no showSaveFilePicker at all (like Firefox and Safari). The pages carry no test
// code path.
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getStatus } from "../../src/client/index.js";
import { DEFAULT_CHUNK_BYTES } from "../../src/crypto/file-stream.js";
import {
  accessibleDescription,
  closeBrowsers,
  launchBrowser,
  thirdPartyRequests,
  watchPage,
  type LaunchedBrowser,
  type PageProblems,
} from "../helpers/browser.js";
import { recordSecrets } from "../helpers/secrets.js";
import { startServer, type RunningServer } from "../helpers/server.js";

const ROOT = new URL("../..", import.meta.url).pathname;
const MIB = 1024 * 1024;
/** Small enough to test the page's limit and the server's 413 without big files. */
const SMALL_LIMIT = 4096;
/** The small server's MAX_SECRET_BYTES (its lowest value): the encrypted text, 30 bytes more than the text. */
const SMALL_TEXT_LIMIT = 1024;

let server: RunningServer;
let small: RunningServer;
let sender: LaunchedBrowser;
let picker: LaunchedBrowser;
let noPicker: LaunchedBrowser;
let workDir: string;
const watched: Array<{ where: string; problems: PageProblems }> = [];

/** Stands in for the native save dialog: files of the origin private file system, named after the suggestion. */
function installOpfsPicker(): void {
  let n = 0;
  const state = { picks: 0, cancel: false };
  Object.defineProperty(window, "__picker", { value: state });
  Object.defineProperty(window, "showSaveFilePicker", {
    configurable: true,
    value: async (options?: { suggestedName?: string }) => {
      state.picks++;
      if (state.cancel) throw new DOMException("The user aborted a request.", "AbortError");
      const dir = await navigator.storage.getDirectory();
      return dir.getFileHandle(`${++n}-${options?.suggestedName ?? "file"}`, { create: true });
    },
  });
}

/** Like a browser without the File System Access API. (Window operations live on the global object itself.) */
function removePicker(): void {
  delete (window as unknown as { showSaveFilePicker?: unknown }).showSaveFilePicker;
}

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), "oncelink-webfiles-"));
  [server, small, sender, picker, noPicker] = await Promise.all([
    startServer({ name: "browser-files", env: { POW_MAX_NUMBER: "1000", MAX_FILE_BYTES: String(64 * MIB) } }),
    startServer({
      name: "browser-files-small",
      env: { POW_MAX_NUMBER: "1000", MAX_FILE_BYTES: String(SMALL_LIMIT), FILE_STORAGE_QUOTA: "2048", MAX_SECRET_BYTES: String(SMALL_TEXT_LIMIT) },
    }),
    launchBrowser(),
    launchBrowser(),
    launchBrowser(),
  ]);
  await picker.context.addInitScript(installOpfsPicker);
  await noPicker.context.addInitScript(removePicker);
});

afterAll(async () => {
  await closeBrowsers(sender, picker, noPicker);
  await Promise.all([server?.stop(), small?.stop()]);
});

async function newPage(browser: LaunchedBrowser, where: string): Promise<Page> {
  const page = await browser.context.newPage();
  watched.push({ where, problems: await watchPage(page) });
  return page;
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const grouped = (hex: string) => hex.replace(/(.{8})(?=.)/g, "$1 ");

function writeInput(name: string, bytes: Uint8Array): string {
  const path = join(mkdtempSync(join(workDir, "in-")), name);
  writeFileSync(path, bytes);
  return path;
}

/** Chooses `path` on the create page (already loaded), creates the link, and returns the links and the SHA shown. */
async function createFileInPage(page: Page, path: string): Promise<{ url: string; manageUrl: string; sha: string }> {
  await page.getByRole("radio", { name: "A file" }).check();
  await page.getByLabel("File", { exact: true }).setInputFiles(path);
  await page.getByRole("button", { name: "Create link" }).click();
  await page.getByRole("heading", { level: 1, name: "Your one-time link is ready" }).waitFor({ timeout: 30_000 });
  const url = await page.getByRole("textbox", { name: "Link for the recipient" }).inputValue();
  const manageUrl = await page.getByRole("textbox", { name: "Manage link (for you only)" }).inputValue();
  const sha = await page.getByRole("textbox", { name: "SHA-256 of the file you sent" }).inputValue();
  recordSecrets(url, manageUrl, /\/l\/([\w-]+)#/.exec(url)?.[1], url.split("#")[1], manageUrl.split("#")[1]);
  // Nothing of the file stays in the page once the link is shown.
  expect(await page.getByLabel("File", { exact: true }).evaluate((input: HTMLInputElement) => input.files?.length ?? 0)).toBe(0);
  return { url, manageUrl, sha };
}

interface Facts {
  name: string;
  size: string;
  sha: string;
  check: string;
}

async function revealedFacts(page: Page): Promise<Facts> {
  await page.getByRole("heading", { level: 1, name: "Here is your file" }).waitFor({ timeout: 60_000 });
  const fact = (label: string) => page.locator("dt", { hasText: label }).locator("xpath=following-sibling::dd").innerText();
  return { name: await fact("Name"), size: await fact("Size"), sha: await fact("SHA-256"), check: await fact("Integrity check") };
}

/** Opens a file link in the picker browser; returns the facts shown and the bytes of the file it saved into. */
async function openWithPicker(url: string): Promise<{ facts: Facts; saved: Buffer; page: Page }> {
  const page = await newPage(picker, "recipient (picker)");
  await page.goto(url);
  await page.getByRole("heading", { level: 1, name: "Someone shared a file with you" }).waitFor();
  await page.getByRole("button", { name: "Reveal" }).click();
  const facts = await revealedFacts(page);
  const savedAs = /Saved as “(.+)” in the place you chose\./.exec(await page.getByText("Saved as").innerText())?.[1];
  expect(savedAs).toBeTruthy();
  const base64 = await page.evaluate(async (name) => {
    const file = await (await (await navigator.storage.getDirectory()).getFileHandle(name)).getFile();
    const bytes = new Uint8Array(await file.arrayBuffer());
    let text = "";
    for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(text);
  }, savedAs!);
  return { facts, saved: Buffer.from(base64, "base64"), page };
}

/** Opens a file link in the browser without the picker; saves the verified Blob as a download and reads it. */
async function openWithDownload(url: string): Promise<{ facts: Facts; saved: Buffer; page: Page; suggested: string }> {
  const page = await newPage(noPicker, "recipient (download)");
  await page.goto(url);
  await page.getByRole("heading", { level: 1, name: "Someone shared a file with you" }).waitFor();
  await page.getByRole("button", { name: "Reveal" }).click();
  const facts = await revealedFacts(page);
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Save file" }).click()]);
  const path = await download.path();
  return { facts, saved: readFileSync(path), page, suggested: download.suggestedFilename() };
}

function expectFacts(facts: Facts, name: string, bytes: Uint8Array, senderSha: string): void {
  expect(facts.name).toBe(name);
  expect(facts.size).toMatch(new RegExp(`^${bytes.length.toLocaleString("en")} bytes \\(`));
  expect(facts.sha).toBe(grouped(sha256(bytes)));
  expect(senderSha).toBe(facts.sha);
  expect(facts.check).toBe("Passed: the file arrived complete and unaltered.");
}

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, "bin/oncelink.js"), ...args], {
      env: { ...process.env, ONCELINK_SERVER: server.url },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("files in the browser", () => {
  it("round-trips empty, 1-byte and chunk-boundary files, saved straight into the file the person picked", async () => {
    const page = await newPage(sender, "sender");
    for (const size of [0, 1, DEFAULT_CHUNK_BYTES, DEFAULT_CHUNK_BYTES + 1]) {
      const bytes = randomBytes(size);
      const name = `boundary-${size}.bin`;
      await page.goto(`${server.url}/`);
      const created = await createFileInPage(page, writeInput(name, bytes));
      const opened = await openWithPicker(created.url);
      expectFacts(opened.facts, name, bytes, created.sha);
      expect(opened.saved.equals(bytes), `${size} bytes saved exactly`).toBe(true);
      expect(await opened.page.evaluate(() => (window as unknown as { __picker: { picks: number } }).__picker.picks)).toBe(1);
      await opened.page.close();
    }
  });

  it("round-trips a 12 MiB random file as a verified download where the browser has no save picker; reload shows unavailable", async () => {
    const bytes = randomBytes(12 * MIB + 12_345);
    const page = await newPage(sender, "sender");
    await page.goto(`${server.url}/`);
    const created = await createFileInPage(page, writeInput("large.dat", bytes));
    const opened = await openWithDownload(created.url);
    expectFacts(opened.facts, "large.dat", bytes, created.sha);
    expect(opened.suggested).toBe("large.dat");
    expect(opened.saved.equals(bytes)).toBe(true);
    // Neither the name nor the key is in the title, the address bar or storage.
    expect(await opened.page.title()).toBe("Here is your file");
    expect(opened.page.url()).not.toContain("#");
    expect(await opened.page.evaluate(() => localStorage.length + sessionStorage.length)).toBe(0);
    await opened.page.reload();
    await opened.page.getByRole("heading", { level: 1, name: "This link is no longer available" }).waitFor();
    await opened.page.close();
  });

  it("opens a file made by the CLI, and the CLI opens a file made in the browser", async () => {
    const cliBytes = randomBytes(150_000);
    const cliPath = writeInput("from-cli.pdf", cliBytes);
    const made = await runCli(["create", "--file", cliPath, "--ttl", "1h"]);
    expect(made.code, made.stderr).toBe(0);
    const cliUrl = made.stdout.trim();
    recordSecrets(cliUrl, cliUrl.split("#")[1], made.stderr.trim(), made.stderr.trim().split("#")[1]);
    const opened = await openWithPicker(cliUrl);
    expect(opened.facts.name).toBe("from-cli.pdf");
    expect(opened.facts.sha).toBe(grouped(sha256(cliBytes)));
    expect(opened.saved.equals(cliBytes)).toBe(true);
    await opened.page.close();

    const webBytes = randomBytes(DEFAULT_CHUNK_BYTES * 3 + 7);
    const page = await newPage(sender, "sender");
    await page.goto(`${server.url}/`);
    const created = await createFileInPage(page, writeInput("from-web.bin", webBytes));
    const out = join(mkdtempSync(join(workDir, "out-")), "received.bin");
    const got = await runCli(["open", created.url, "--out", out]);
    expect(got.code, got.stderr).toBe(0);
    expect(readFileSync(out).equals(webBytes)).toBe(true);
  });

  it("says plainly when the stream was altered, offers nothing, and deletes what was written", async () => {
    const bytes = randomBytes(300_000);
    const page = await newPage(sender, "sender");
    await page.goto(`${server.url}/`);
    const created = await createFileInPage(page, writeInput("tampered.bin", bytes));

    const recipient = await newPage(picker, "recipient (tampered)");
    // A byte flipped in the third chunk: the first chunks decrypt and are written before the damage shows.
    await recipient.route("**/consume", async (route) => {
      const response = await route.fetch();
      const body = Buffer.from(await response.body());
      body[2 * DEFAULT_CHUNK_BYTES + 100]! ^= 0x01;
      await route.fulfill({ response, body });
    });
    await recipient.goto(created.url);
    await recipient.getByRole("button", { name: "Reveal" }).click();
    await recipient.getByRole("heading", { level: 1, name: "The file did not arrive intact" }).waitFor({ timeout: 30_000 });
    expect(await recipient.getByText("The integrity check failed").innerText()).toContain("Nothing of it was kept");
    expect(await recipient.getByRole("button", { name: "Save file" }).isVisible()).toBe(false);
    expect(await recipient.getByText("Passed:").count()).toBe(0);
    // The file picked for it is gone again: no partial file is left to be mistaken for the sender's.
    const left = await recipient.evaluate(async () => {
      const names: string[] = [];
      // keys() is in Chromium but not yet in TypeScript's DOM types.
      const dir = (await navigator.storage.getDirectory()) as unknown as { keys(): AsyncIterable<string> };
      for await (const name of dir.keys()) names.push(name);
      return names.filter((n) => n.includes("received-file"));
    });
    const picks = await recipient.evaluate(() => (window as unknown as { __picker: { picks: number } }).__picker.picks);
    expect(picks).toBe(1);
    expect(left.filter((n) => n.startsWith(`${picks}-`))).toEqual([]);
    await recipient.unrouteAll();
    await recipient.reload();
    await recipient.getByRole("heading", { level: 1, name: "This link is no longer available" }).waitFor();
    await recipient.close();
  });

  it("spends nothing when the person closes the save picker", async () => {
    const page = await newPage(sender, "sender");
    await page.goto(`${server.url}/`);
    const created = await createFileInPage(page, writeInput("kept.txt", Buffer.from("still here")));
    const recipient = await newPage(picker, "recipient (cancel)");
    const consumes: string[] = [];
    recipient.on("request", (r) => {
      if (r.method() === "POST") consumes.push(new URL(r.url()).pathname);
    });
    await recipient.goto(created.url);
    await recipient.evaluate(() => ((window as unknown as { __picker: { cancel: boolean } }).__picker.cancel = true));
    await recipient.getByRole("button", { name: "Reveal" }).click();
    await recipient.getByText("No place to save the file was chosen, so nothing was opened.").waitFor();
    expect(consumes).toEqual([]);
    const id = /\/l\/([\w-]+)#/.exec(created.url)![1];
    expect((await fetch(`${server.url}/api/v1/links/${id}`)).status).toBe(200);
    // Then the person picks a place after all.
    await recipient.evaluate(() => ((window as unknown as { __picker: { cancel: boolean } }).__picker.cancel = false));
    await recipient.getByRole("button", { name: "Reveal" }).click();
    expect((await revealedFacts(recipient)).name).toBe("kept.txt");
    await recipient.close();
  });

  it("refuses a text over the server's limit at the field, saying the limit, and keeps a 413 from the server at the field", async () => {
    const page = await newPage(sender, "sender (small server, text)");
    const sent: string[] = [];
    page.on("request", (r) => {
      if (new URL(r.url()).pathname === "/api/v1/links") sent.push(r.method());
    });
    await page.goto(`${small.url}/`);
    const secret = page.getByRole("textbox", { name: "Secret", exact: true });
    // One byte over: 995 bytes of text make a 1,025-byte envelope.
    await secret.fill("ü".repeat(497) + "x");
    await page.getByRole("button", { name: "Create link" }).click();
    const tooLong = "This secret is too long: this server takes up to 994 bytes of text, and this one is 995 bytes. Shorten it.";
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe("secret");
    expect(await page.locator("#text-field").getByText(tooLong).isVisible()).toBe(true);
    expect(await accessibleDescription(page, "#secret")).toBe(`${tooLong} Or share it as a file: files may be up to 4 kB. It is encrypted in this browser before it is sent. The key travels inside the link, not to our server.`);
    expect(sent, "nothing was sent").toEqual([]);

    // A 413 for a text within that limit (a proxy in front of the server with a lower one answers with its own page):
    // at the field too, without a number the page cannot know.
    await page.route("**/api/v1/links", (route) => route.fulfill({ status: 413, contentType: "text/html", body: "<h1>413 Request Entity Too Large</h1>" }), {
      times: 1,
    });
    await secret.fill("ü".repeat(497));
    await page.getByRole("button", { name: "Create link" }).click();
    await expect.poll(() => accessibleDescription(page, "#secret")).toMatch(/^This secret is too large for this server\. Shorten it and try again\. /);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("secret");
    expect(await page.locator("#text-field").getByText("This secret is too large for this server.").isVisible()).toBe(true);

    // Exactly at the limit, the server takes it.
    const text = `${"ü".repeat(497)}`;
    await secret.fill(text);
    await page.getByRole("button", { name: "Create link" }).click();
    await page.getByRole("heading", { level: 1, name: "Your one-time link is ready" }).waitFor();
    const url = await page.getByRole("textbox", { name: "Link for the recipient" }).inputValue();
    const manageUrl = await page.getByRole("textbox", { name: "Manage link (for you only)" }).inputValue();
    recordSecrets(text, url, manageUrl, url.split("#")[1], manageUrl.split("#")[1]);
    await page.close();
  });

  it("refuses a file over the server's limit before sending anything, and explains a 413 from the server", async () => {
    const page = await newPage(sender, "sender (small server)");
    const uploads: string[] = [];
    page.on("request", (r) => {
      if (new URL(r.url()).pathname.startsWith("/api/v1/files")) uploads.push(r.method());
    });
    await page.goto(`${small.url}/`);
    await page.getByRole("radio", { name: "A file" }).check();
    // Rounded down: a 4,097-byte file shows as "4.1 kB", so the limit must not read "up to 4.1 kB" as well.
    await page.getByText("Up to 4 kB.").waitFor();
    await page.getByLabel("File", { exact: true }).setInputFiles(writeInput("big.bin", randomBytes(SMALL_LIMIT + 1)));
    await page.getByRole("alert").filter({ hasText: "This file is too large: this server accepts files up to 4 kB." }).waitFor();
    await page.getByRole("button", { name: "Create link" }).click();
    await page.getByRole("alert").filter({ hasText: "too large" }).waitFor();
    expect(uploads).toEqual([]);

    // Under the limit, but over the server's storage quota: the server answers 413 STORAGE_FULL mid-upload.
    await page.getByLabel("File", { exact: true }).setInputFiles(writeInput("fits.bin", randomBytes(3000)));
    await page.getByRole("button", { name: "Create link" }).click();
    await page.getByRole("alert").filter({ hasText: "The server has no room for this file right now." }).waitFor();
    expect(uploads.length).toBeGreaterThan(0);
    expect(await page.getByRole("button", { name: "Create link" }).isEnabled()).toBe(true);
  });

  it("sends a part again when its connection breaks, and says plainly when every try of it fails", async () => {
    const page = await newPage(sender, "sender (flaky network)");
    let broken = 0;
    let breakEvery = false;
    // The browser's own network layer resets the connection of part 1 (the second 4 MiB): once, then every time.
    await page.route(/\/api\/v1\/files\/[\w-]+\/parts\/1$/, async (route) => {
      if (broken === 0 || breakEvery) {
        broken++;
        return route.abort("connectionreset");
      }
      return route.continue();
    });
    await page.goto(`${server.url}/`);
    const bytes = randomBytes(5 * MIB);
    const made = await createFileInPage(page, writeInput("flaky.bin", bytes));
    expect(broken).toBe(1);
    const opened = await openWithDownload(made.url);
    expectFacts(opened.facts, "flaky.bin", bytes, made.sha);
    expect(opened.saved.equals(bytes)).toBe(true);
    await opened.page.close();

    breakEvery = true;
    broken = 0;
    const cancels: string[] = [];
    page.on("request", (r) => {
      if (r.method() === "DELETE") cancels.push(new URL(r.url()).pathname);
    });
    await page.goto(`${server.url}/`);
    await page.getByRole("radio", { name: "A file" }).check();
    await page.getByLabel("File", { exact: true }).setInputFiles(writeInput("never.bin", randomBytes(5 * MIB)));
    await page.getByRole("button", { name: "Create link" }).click();
    await page
      .getByRole("alert")
      .filter({ hasText: "The file could not be sent: the connection or the server kept failing, even after several tries. No link was made." })
      .waitFor({ timeout: 30_000 });
    // The first try and three retries; then the upload was cancelled, and the file stays chosen for another go.
    expect(broken).toBe(4);
    expect(cancels).toHaveLength(1);
    expect(await page.getByLabel("File", { exact: true }).evaluate((input: HTMLInputElement) => input.files?.length ?? 0)).toBe(1);
    expect(await page.getByRole("button", { name: "Create link" }).isEnabled()).toBe(true);
    await page.close();
  });

  it("a file with the Standard template: one recipient, the passphrase it demands, and an interstitial that says so", async () => {
    const page = await newPage(sender, "sender (template)");
    await page.goto(`${server.url}/`);
    const count = page.getByRole("combobox", { name: "Number of links" });
    expect(await count.isVisible()).toBe(true);
    await page.getByRole("radio", { name: "A file" }).check();
    // A file link is for one person: the count goes away, and the file's hint says why.
    expect(await count.isVisible()).toBe(false);
    await page.getByText("A file link is for one person").first().waitFor();
    await page.getByRole("radio", { name: "Standard" }).check();
    const bytes = randomBytes(DEFAULT_CHUNK_BYTES + 99);
    await page.getByLabel("File", { exact: true }).setInputFiles(writeInput("offer.pdf", bytes));
    await page.getByRole("button", { name: "Create link" }).click();
    await page.getByRole("alert").filter({ hasText: "This choice needs a passphrase" }).waitFor();
    recordSecrets("file template words");
    await page.getByLabel("Passphrase (required)").fill("file template words");
    await page.getByRole("button", { name: "Create link" }).click();
    await page.getByRole("heading", { level: 1, name: "Your one-time link is ready" }).waitFor({ timeout: 30_000 });
    const url = await page.getByRole("textbox", { name: "Link for the recipient" }).inputValue();
    const manageUrl = await page.getByRole("textbox", { name: "Manage link (for you only)" }).inputValue();
    recordSecrets(url, manageUrl, url.split("#")[1], manageUrl.split("#")[1]);
    const status = await getStatus(manageUrl);
    expect(status.policy).toMatchObject({ template: "standard", passphrase: true });
    expect(Date.parse(status.expiresAt) - Date.parse(status.createdAt)).toBe(72 * 3_600_000);

    const recipient = await newPage(picker, "recipient (template)");
    await recipient.goto(url);
    await recipient.getByRole("heading", { level: 1, name: "Someone shared a file with you" }).waitFor();
    expect((await recipient.getByRole("list", { name: "What you will need" }).innerText()).trim()).toBe("You will be asked for a passphrase.");
    await recipient.getByLabel("Passphrase", { exact: true }).fill("file template words");
    await recipient.getByRole("button", { name: "Reveal" }).click();
    const facts = await revealedFacts(recipient);
    expect(facts.sha).toBe(grouped(sha256(bytes)));
    expect(facts.check).toBe("Passed: the file arrived complete and unaltered.");
    await recipient.close();
    await page.close();
  });

  it("creates a file link with the keyboard alone", async () => {
    const page = await newPage(sender, "sender (keyboard)");
    await page.goto(`${server.url}/`);
    const focused = () => page.evaluate(() => document.activeElement?.id ?? "");
    for (let i = 0; i < 20 && (await focused()) !== "kind-text"; i++) await page.keyboard.press("Tab");
    expect(await focused()).toBe("kind-text");
    await page.keyboard.press("ArrowRight");
    expect(await focused()).toBe("kind-file");
    await page.keyboard.press("Tab");
    expect(await focused()).toBe("file");
    // The native picker opens on Enter/Space; headless Chromium has no dialog, so the choice is set on the focused input.
    const bytes = randomBytes(1234);
    await page.locator(":focus").setInputFiles(writeInput("keys.txt", bytes));
    await page.getByText("Chosen: keys.txt (1.2 kB).").first().waitFor();
    for (let i = 0; i < 20 && (await focused()) !== "create-submit"; i++) await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { level: 1, name: "Your one-time link is ready" }).waitFor({ timeout: 30_000 });
    const url = await page.getByRole("textbox", { name: "Link for the recipient" }).inputValue();
    recordSecrets(url, url.split("#")[1]);
    const opened = await openWithDownload(url);
    expect(opened.saved.equals(bytes)).toBe(true);
    await opened.page.close();
  });
});

describe("whole suite", () => {
  it("saw no CSP or Trusted Types violation, script error or dialog, and no third-party request", () => {
    for (const { where, problems } of watched) expect(problems, where).toEqual({ csp: [], errors: [], dialogs: [] });
    for (const browser of [sender, picker, noPicker]) {
      expect(thirdPartyRequests(browser.requests, server.url).filter((u) => !u.startsWith(small.url))).toEqual([]);
    }
  });
});
