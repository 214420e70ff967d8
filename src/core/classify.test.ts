import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  buildRegistry,
  classifyRequest,
  parseRegistryEntries,
  readSignals,
  RegistryError,
  type RequestHeaders,
} from "./classify.js";
import { decideFriction, powMaxNumber, RAISED_POW_FACTOR } from "./friction.js";
import { DEFAULT_POLICY, parseLinkPolicy, policyText } from "./link-policy.js";

const builtin = parseRegistryEntries(JSON.parse(readFileSync(new URL("../../config/previewers.json", import.meta.url), "utf8")));
const registry = buildRegistry(builtin);

// Real agent strings, as these services send them.
const CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
const SAFARI_IOS =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
const EDGE = `${CHROME} Edg/131.0.0.0`;

const AGENTS: Record<string, string[]> = {
  "chat-preview": [
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "Slack-ImgProxy (+https://api.slack.com/robots)",
    "Twitterbot/1.0",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "facebookexternalhit/1.1 Facebot Twitterbot/1.0",
    "WhatsApp/2.23.20.0 A",
    "WhatsApp/2.2407.3 i",
    "TelegramBot (like TwitterBot)",
    "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5 skype-url-preview@microsoft.com",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/91.0.4472.124 Safari/537.36 Teams/1.5.00.17656",
    "Mozilla/5.0 (compatible; Google-PageRenderer Google (+https://developers.google.com/+/web/snippet/))",
    "Mozilla/5.0 (compatible; Bluesky Cardyb/1.1; +mailto:support@bsky.app)",
    "MicrosoftPreview/2.0 (+https://aka.ms/MicrosoftPreview)",
  ],
  "mail-scanner": [
    `${EDGE} BingPreview/1.0b`,
    "Mozilla/5.0 (compatible; Proofpoint URL Defense)",
    "Mimecast URL Protect",
    "Barracuda Sentinel (EE)",
    "Symantec Email Security.cloud",
    "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)",
  ],
  "office-app": [
    "Microsoft Office Protocol Discovery",
    "Microsoft Office Existence Discovery",
    "Mozilla/4.0 (compatible; ms-office; MSOffice 16)",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17928; Pro)",
    "Microsoft-WebDAV-MiniRedir/10.0.19045",
  ],
  automated: [
    "curl/8.5.0",
    "python-requests/2.31.0",
    "Go-http-client/1.1",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
  ],
  person: [CHROME, FIREFOX, SAFARI_IOS, EDGE],
};

const NAVIGATE: RequestHeaders = { "sec-fetch-site": "none", "sec-fetch-mode": "navigate", "sec-fetch-dest": "document", "sec-fetch-user": "?1" };
const PAGE_FETCH: RequestHeaders = { "sec-fetch-site": "same-origin", "sec-fetch-mode": "cors", "sec-fetch-dest": "empty" };

describe("classifyRequest", () => {
  for (const [expected, agents] of Object.entries(AGENTS)) {
    it.each(agents)(`puts %s in ${expected}`, (agent) => {
      expect(classifyRequest("GET", { "user-agent": agent, ...NAVIGATE }, registry)).toBe(expected);
    });
  }

  it("calls a request without any User-Agent automated", () => {
    expect(classifyRequest("GET", {}, registry)).toBe("automated");
    expect(classifyRequest("GET", { "user-agent": "   " }, registry)).toBe("automated");
  });

  it.each([
    ["sec-purpose", "prefetch"],
    ["sec-purpose", "prefetch;prerender"],
    ["sec-purpose", "prefetch;anonymous-client-ip"],
    ["purpose", "prefetch"],
    ["x-purpose", "preview"],
    ["x-moz", "prefetch"],
  ])("recognises a browser prefetch by %s: %s", (name, value) => {
    expect(classifyRequest("GET", { "user-agent": CHROME, [name]: value }, registry)).toBe("prefetch");
  });

  it("calls HEAD, OPTIONS and Range requests probes, unless the agent says who it is", () => {
    expect(classifyRequest("HEAD", { "user-agent": CHROME }, registry)).toBe("probe");
    expect(classifyRequest("OPTIONS", { "user-agent": CHROME }, registry)).toBe("probe");
    expect(classifyRequest("GET", { "user-agent": CHROME, range: "bytes=0-1023" }, registry)).toBe("probe");
    expect(classifyRequest("HEAD", { "user-agent": "curl/8.5.0" }, registry)).toBe("probe");
    expect(classifyRequest("HEAD", { "user-agent": "Microsoft Office Existence Discovery" }, registry)).toBe("office-app");
    expect(classifyRequest("HEAD", { "user-agent": "Slackbot 1.0 (+https://api.slack.com/robots)" }, registry)).toBe("chat-preview");
  });

  it("treats a browser without Sec-Fetch headers (older Safari) as a person", () => {
    expect(classifyRequest("GET", { "user-agent": SAFARI_IOS }, registry)).toBe("person");
  });

  it("copes with repeated headers and absurdly long agents", () => {
    expect(classifyRequest("GET", { "user-agent": ["Twitterbot/1.0", CHROME] as unknown as string }, registry)).toBe("chat-preview");
    expect(classifyRequest("GET", { "user-agent": `${CHROME} ${"x".repeat(100_000)} Slackbot` }, registry)).toBe("person");
  });
});

describe("readSignals", () => {
  it("tells a page's own fetch from a navigation, other metadata and none", () => {
    expect(readSignals("GET", { "user-agent": CHROME, ...PAGE_FETCH }, registry).secFetch).toBe("page-fetch");
    expect(readSignals("GET", { "user-agent": CHROME, ...NAVIGATE }, registry).secFetch).toBe("navigation");
    expect(readSignals("GET", { "user-agent": CHROME, ...PAGE_FETCH, "sec-fetch-site": "cross-site" }, registry).secFetch).toBe("other");
    expect(readSignals("GET", { "user-agent": CHROME }, registry).secFetch).toBe("absent");
    // Node's fetch sends Sec-Fetch-Mode alone.
    expect(readSignals("GET", { "user-agent": "node", "sec-fetch-mode": "cors" }, registry).secFetch).toBe("absent");
  });
});

describe("the registry", () => {
  it("parses both shapes and lets an earlier list win", () => {
    const extra = parseRegistryEntries([{ pattern: "Teams/", class: "person" }, { pattern: "AcmeGateway", class: "mail-scanner" }]);
    const merged = buildRegistry(extra, builtin);
    const teams = AGENTS["chat-preview"]![11]!;
    expect(classifyRequest("GET", { "user-agent": teams }, registry)).toBe("chat-preview");
    // Exempted: neither the registry nor isbot calls it automated any more.
    expect(classifyRequest("GET", { "user-agent": teams }, merged)).toBe("person");
    expect(classifyRequest("GET", { "user-agent": "AcmeGateway/3.1" }, merged)).toBe("mail-scanner");
    expect(parseRegistryEntries({ previewers: [{ pattern: "x", class: "office-app", name: "X" }] })).toHaveLength(1);
  });

  it("works with patterns that cannot be joined (backreferences)", () => {
    const odd = buildRegistry(parseRegistryEntries([{ pattern: "(ab)\\1", class: "chat-preview" }]), builtin);
    expect(odd.any).toBeNull();
    expect(classifyRequest("GET", { "user-agent": "xxababxx" }, odd)).toBe("chat-preview");
    expect(classifyRequest("GET", { "user-agent": "Twitterbot/1.0" }, odd)).toBe("chat-preview");
  });

  it.each([
    ["not a list", { nope: 1 }],
    ["a non-object entry", ["Slackbot"]],
    ["an empty pattern", [{ pattern: "", class: "chat-preview" }]],
    ["an unknown class", [{ pattern: "x", class: "friend" }]],
    ["a broken regular expression", [{ pattern: "(unclosed", class: "chat-preview" }]],
  ])("refuses %s", (_what, json) => {
    expect(() => parseRegistryEntries(json)).toThrow(RegistryError);
  });
});

describe("decideFriction", () => {
  const signals = (agent: string | null, headers: RequestHeaders) =>
    readSignals("GET", agent === null ? headers : { "user-agent": agent, ...headers }, registry);

  it("asks nothing extra of a person in a current browser who took a moment to read", () => {
    expect(decideFriction(signals(CHROME, PAGE_FETCH), { webdriver: false, gestureMs: 2500 })).toEqual({ level: "none", score: 0 });
  });

  it("raises the work for command-line clients, old browsers and test-driven headless browsers", () => {
    // The CLI: Node's fetch agent, no Sec-Fetch-Site, no page signals.
    expect(decideFriction(signals("node", { "sec-fetch-mode": "cors" }), { webdriver: null, gestureMs: null }).level).toBe("raised");
    expect(decideFriction(signals("curl/8.5.0", {}), { webdriver: null, gestureMs: null }).level).toBe("raised");
    expect(decideFriction(signals(SAFARI_IOS, {}), { webdriver: false, gestureMs: 4000 }).level).toBe("raised");
    // Playwright's Chromium: HeadlessChrome agent, navigator.webdriver, an instant click. Still one click.
    const headless = AGENTS.automated![3]!;
    expect(decideFriction(signals(headless, PAGE_FETCH), { webdriver: true, gestureMs: 120 })).toEqual({ level: "raised", score: 3 });
  });

  it("asks for a second confirmation on strong evidence, and never refuses", () => {
    expect(decideFriction(signals("Slackbot 1.0", PAGE_FETCH), { webdriver: false, gestureMs: 3000 }).level).toBe("confirm");
    expect(decideFriction(signals(null, {}), { webdriver: null, gestureMs: null }).level).toBe("confirm");
    expect(decideFriction(signals(CHROME, NAVIGATE), { webdriver: true, gestureMs: 3000 }).level).toBe("confirm");
    expect(decideFriction(signals(CHROME, { ...PAGE_FETCH, "sec-purpose": "prefetch" }), { webdriver: false, gestureMs: 3000 }).level).toBe("confirm");
  });

  it("scales the proof of work", () => {
    expect(powMaxNumber(20_000, "none")).toBe(20_000);
    expect(powMaxNumber(20_000, "raised")).toBe(20_000 * RAISED_POW_FACTOR);
    expect(powMaxNumber(20_000, "confirm")).toBe(20_000 * RAISED_POW_FACTOR);
    expect(powMaxNumber(50_000_000, "raised")).toBe(100_000_000);
  });
});

describe("link policy", () => {
  it("reads the preview choice and defaults to the card", () => {
    expect(parseLinkPolicy("{}")).toEqual(DEFAULT_POLICY);
    expect(parseLinkPolicy('{"preview":"none"}').preview).toBe("none");
    expect(parseLinkPolicy('{"preview":"card","other":1}').preview).toBe("card");
    for (const bad of ["", "null", "[1]", "{", '{"preview":"maybe"}']) expect(parseLinkPolicy(bad).preview).toBe("card");
  });

  it("stores only deliberate choices", () => {
    expect(policyText({})).toBe("{}");
    expect(policyText({ preview: "card" })).toBe("{}");
    expect(policyText({ preview: "none" })).toBe('{"preview":"none"}');
  });
});
