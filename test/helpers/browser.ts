import { execFileSync } from "node:child_process";
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
  /** Every URL any page of this browser requested since launch (see `thirdPartyRequests`). */
  requests: string[];
  /** Closes the browser and removes its profile directory. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Launches headless Chromium with a fresh temporary profile. Every call is a new device: nothing (cookies,
 * storage, cache) is shared with other launches.
 * @throws when /usr/bin/chromium is missing, with a message saying how to get it
 */
export async function launchBrowser(
  opts: {
    viewport?: { width: number; height: number };
    /**
     * Look like a person's browser to the server's friction scoring: no `navigator.webdriver`, no "HeadlessChrome"
     * in the User-Agent. For measuring what a person waits; everything else should keep the automation flags.
     */
    personLike?: boolean;
  } = {},
): Promise<LaunchedBrowser> {
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
      args: opts.personLike ? [...CHROMIUM_ARGS, "--disable-blink-features=AutomationControlled"] : CHROMIUM_ARGS,
      ...(opts.personLike ? { ignoreDefaultArgs: ["--enable-automation"], userAgent: personUserAgent() } : {}),
      viewport: opts.viewport ?? { width: 1024, height: 768 },
    });
  } catch (err) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw err;
  }
  const requests: string[] = [];
  context.on("request", (request) => requests.push(request.url()));
  let closed = false;
  return {
    context,
    userDataDir,
    requests,
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

/** The User-Agent of a desktop Chrome of the installed version (Debian's chromium reports its version). */
function personUserAgent(): string {
  const version = /(\d+)\./.exec(execFileSync(CHROMIUM_PATH, ["--version"], { encoding: "utf8" }))?.[1] ?? "140";
  return `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${version}.0.0.0 Safari/537.36`;
}

/** Closes every given browser (ignoring ones never launched) and removes their profiles. */
export async function closeBrowsers(...browsers: Array<LaunchedBrowser | undefined>): Promise<void> {
  await Promise.allSettled(browsers.map((b) => b?.close()));
}

/**
 * The requested URLs that did not go to `origin`: anything but same-origin requests and the page's own `data:`
 * and `blob:` URLs. The pages promise no third-party request of any kind (fonts, scripts, images, beacons).
 */
export function thirdPartyRequests(requests: readonly string[], origin: string): string[] {
  return requests.filter((url) => !url.startsWith("data:") && !url.startsWith("blob:") && new URL(url).origin !== origin);
}

/** What went wrong on a page while a test drove it. */
export interface PageProblems {
  /** Content-Security-Policy and Trusted Types violations: console reports and `securitypolicyviolation` events. */
  csp: string[];
  /** Uncaught exceptions in page scripts. */
  errors: string[];
  /** Dialogs (alert/confirm/prompt) that opened: injected markup running, in these tests. */
  dialogs: string[];
}

/**
 * Starts recording CSP and Trusted Types violations, uncaught errors and dialogs on a page. Dialogs are dismissed.
 * Violations are caught twice over: from the console, and from the `securitypolicyviolation` events of every
 * document the page loads (reported through a binding, which the page's CSP does not govern).
 */
export async function watchPage(page: Page): Promise<PageProblems> {
  const problems: PageProblems = { csp: [], errors: [], dialogs: [] };
  await page.exposeBinding("__oncelinkTestViolation", (_source, text: string) => problems.csp.push(text));
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      const report = (globalThis as unknown as { __oncelinkTestViolation(text: string): void }).__oncelinkTestViolation;
      report(`${event.effectiveDirective} blocked ${event.blockedURI || "inline"} at ${event.sourceFile}:${event.lineNumber}`);
    });
  });
  page.on("console", (msg) => {
    const text = msg.text();
    if (/Content Security Policy|Refused to (?:load|execute|apply|connect|frame|create)|Trusted ?Type/i.test(text)) {
      problems.csp.push(text);
    }
  });
  page.on("pageerror", (err) => problems.errors.push(err.message));
  page.on("dialog", (dialog) => {
    problems.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  return problems;
}

/** What Chromium's accessibility tree says about one element: what a screen reader announces for it. */
export interface AccessibleNode {
  role: string;
  name: string;
  description: string;
}

/**
 * The role, accessible name and accessible description Chromium computed for the first element matching `selector`:
 * what a screen reader reads when the element gets focus. Taken from the browser's own accessibility tree (DevTools
 * protocol), not re-derived from aria-labelledby or aria-describedby, so a reference to a missing or hidden element
 * shows up as it would for a person.
 */
export async function accessibleNode(page: Page, selector: string): Promise<AccessibleNode> {
  const cdp = await page.context().newCDPSession(page);
  try {
    const { root } = await cdp.send("DOM.getDocument", { depth: 0 });
    const { nodeId } = await cdp.send("DOM.querySelector", { nodeId: root.nodeId, selector });
    if (nodeId === 0) throw new Error(`no element matches ${selector}`);
    const { nodes } = await cdp.send("Accessibility.getPartialAXTree", { nodeId, fetchRelatives: false });
    const text = (value: unknown) => (typeof value === "string" ? value : "");
    return { role: text(nodes[0]?.role?.value), name: text(nodes[0]?.name?.value), description: text(nodes[0]?.description?.value) };
  } finally {
    await cdp.detach();
  }
}

/** The accessible description of the first element matching `selector` (see `accessibleNode`). */
export async function accessibleDescription(page: Page, selector: string): Promise<string> {
  return (await accessibleNode(page, selector)).description;
}

/**
 * What a screen reader announces for the element that has focus now (see `accessibleNode`), with its id; throws when
 * focus is on no element with an id (the page's body, say).
 */
export async function focusedNode(page: Page): Promise<AccessibleNode & { id: string }> {
  const id = await page.evaluate(() => document.activeElement?.id ?? "");
  if (id === "") throw new Error("focus is on no element with an id");
  return { id, ...(await accessibleNode(page, `#${id}`)) };
}

/** One axe-core finding, trimmed to what a failure message needs. */
export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
  /** axe's explanation for each target (for contrast: the colours and the ratio it measured). */
  summaries: string[];
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
      violations: Array<{
        id: string;
        impact: string | null;
        help: string;
        nodes: Array<{ target: unknown[]; failureSummary?: string }>;
      }>;
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
      summaries: v.nodes.map((n) => n.failureSummary ?? ""),
    }));
  });
}

/** An axe finding with the colour scheme it was found in. */
export type SchemedViolation = AxeViolation & { scheme: "light" | "dark" };

/**
 * Runs axe on the page's current state twice: in the light and in the dark colour scheme (`prefers-color-scheme`),
 * then leaves the page in the light scheme. Contrast problems usually show up in only one of the two.
 */
export async function runAxeLightAndDark(page: Page): Promise<SchemedViolation[]> {
  const found: SchemedViolation[] = [];
  for (const scheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await settleStyles(page);
    let violations = await runAxe(page);
    if (violations.length > 0) {
      // Now and then Chromium leaves an element styled for the previous scheme right after an emulated switch
      // (seen on the footer: light-scheme text on the dark background). A real violation survives a second look.
      await page.waitForTimeout(150);
      await settleStyles(page);
      violations = await runAxe(page);
    }
    found.push(...violations.map((v) => ({ ...v, scheme })));
  }
  await page.emulateMedia({ colorScheme: "light" });
  await settleStyles(page);
  return found;
}

/**
 * Waits until an emulated media change has reached every style: Chromium applies a new `prefers-color-scheme` in
 * its next rendering step (until then computed styles mix both schemes), and colours then fade on buttons (a 120 ms
 * transition). Finite animations only: the progress pulse loops forever and does not change contrast.
 */
async function settleStyles(page: Page): Promise<void> {
  await page.evaluate(async () => {
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    const finite = document.getAnimations().filter((a) => a.effect?.getComputedTiming().iterations !== Infinity);
    await Promise.all(finite.map((a) => a.finished.catch(() => undefined)));
  });
}
