import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";

/** Debian's Chromium; `npm test` (scripts/test.mjs) installs it when missing. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/** Flags measured to work in this sandbox: no GPU, no sandbox (we run as root in a container), no background traffic. */
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** A running Chromium with its own profile: a "fresh device" as far as cookies and storage go. */
export interface LaunchedBrowser {
  context: BrowserContext;
  userDataDir: string;
  /** Closes the browser and removes its profile directory. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Launches headless Chromium with a fresh temporary profile. Every call is a new device: nothing (cookies,
 * storage, cache) is shared with other launches.
 * @throws when /usr/bin/chromium is missing, with a message saying how to get it
 */
export async function launchBrowser(opts: { viewport?: { width: number; height: number } } = {}): Promise<LaunchedBrowser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM_PATH}. Run \`npm test\` (it installs Debian's chromium) ` +
        "or `apt-get install chromium`.",
    );
  }
  const userDataDir = mkdtempSync(join(tmpdir(), "oncelink-chromium-"));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: opts.viewport ?? { width: 1024, height: 768 },
    });
  } catch (err) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw err;
  }
  let closed = false;
  return {
    context,
    userDataDir,
    async close() {
      if (closed) return;
      closed = true;
      try {
        await context.close();
      } finally {
        rmSync(userDataDir, { recursive: true, force: true });
      }
    },
  };
}

/** Closes every given browser (ignoring ones never launched) and removes their profiles. */
export async function closeBrowsers(...browsers: Array<LaunchedBrowser | undefined>): Promise<void> {
  await Promise.allSettled(browsers.map((b) => b?.close()));
}

/** What went wrong on a page while a test drove it. */
export interface PageProblems {
  /** Console messages reporting a Content-Security-Policy violation. */
  csp: string[];
  /** Uncaught exceptions in page scripts. */
  errors: string[];
  /** Dialogs (alert/confirm/prompt) that opened: injected markup running, in these tests. */
  dialogs: string[];
}

/** Starts recording CSP violations, uncaught errors and dialogs on a page. Dialogs are dismissed. */
export function watchPage(page: Page): PageProblems {
  const problems: PageProblems = { csp: [], errors: [], dialogs: [] };
  page.on("console", (msg) => {
    const text = msg.text();
    if (/Content Security Policy|Refused to (?:load|execute|apply|connect|frame)/i.test(text)) problems.csp.push(text);
  });
  page.on("pageerror", (err) => problems.errors.push(err.message));
  page.on("dialog", (dialog) => {
    problems.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  return problems;
}

/** One axe-core finding, trimmed to what a failure message needs. */
export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

let axeSource: string | undefined;

/**
 * Runs axe-core on the page's current state with the WCAG 2.0 A/AA, 2.1 AA and 2.2 AA rule sets.
 * axe is evaluated through the DevTools protocol rather than added as a `<script>`: the pages' strict CSP forbids
 * inline scripts, and turning the CSP off for the test would hide the violations the suite also checks for.
 */
export async function runAxe(page: Page): Promise<AxeViolation[]> {
  if (axeSource === undefined) {
    const require = createRequire(import.meta.url);
    axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
  }
  const loaded = await page.evaluate(() => typeof (globalThis as { axe?: unknown }).axe !== "undefined");
  if (!loaded) await page.evaluate(axeSource);
  return page.evaluate(async () => {
    interface AxeResult {
      violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[] }> }>;
    }
    const axe = (globalThis as unknown as { axe: { run(ctx: Document, opts: object): Promise<AxeResult> } }).axe;
    const result = await axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"] },
      resultTypes: ["violations"],
    });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.map((n) => n.target.map(String).join(" ")),
    }));
  });
}
