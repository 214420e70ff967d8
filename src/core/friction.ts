// The friction decision of the reveal step: how hard the proof of work is, and whether a second confirmation is
// asked for. Pure. Friction only ever raises the cost of opening a link; it never refuses one, because every signal
// can be wrong about a person (an old browser, a fast click) and every page-reported signal can be forged by a bot.
import type { RequestSignals } from "./classify.js";

/**
 * - none: the standard proof of work.
 * - raised: a proof of work RAISED_POW_FACTOR times harder.
 * - confirm: the harder proof of work, and the session step also needs `"confirm": true`, which our page sends only
 *   after a second, separate click on a confirmation it shows.
 */
export type FrictionLevel = "none" | "raised" | "confirm";

/** What the page reports about the click that started the reveal (self-reported, so it can only add friction). */
export interface GestureSignals {
  /** `navigator.webdriver`: the browser is driven by automation. Null when not reported (non-browser clients). */
  webdriver: boolean | null;
  /** Milliseconds from page load to the click. Null when not reported. */
  gestureMs: number | null;
}

/** Clicks faster than this after the page loaded come from something that did not read the page. */
export const FAST_GESTURE_MS = 300;
/** How much harder the proof of work gets above "none". */
export const RAISED_POW_FACTOR = 10;
/** Score from which a second confirmation is asked for. */
export const CONFIRM_SCORE = 4;

/** A friction decision, with the score behind it (for metrics and tests). */
export interface FrictionDecision {
  level: FrictionLevel;
  score: number;
}

/**
 * Scores the challenge request (server-observed headers) and the page's report of the click:
 * - +4 a known previewer, mail scanner or office app asks for a challenge, or the request is a prefetch/probe
 * - +3 no User-Agent at all
 * - +3 Sec-Fetch-* present but not our page's same-origin fetch (the API URL opened directly, or cross-site)
 * - +1 Sec-Fetch-* absent (a command-line client, an older browser)
 * - +1 an automated or headless agent (isbot), the CLI and curl included
 * - +1 navigator.webdriver is true
 * - +1 the click came less than FAST_GESTURE_MS after the page loaded
 * 0 is "none", 1 to 3 "raised", CONFIRM_SCORE and more "confirm". A person in a current browser scores 0; the CLI,
 * curl and a test-driven headless browser score 2 to 3 (a harder proof, which they solve in well under a second
 * with native hashing, or a few seconds in a browser).
 * @example decideFriction(readSignals("GET", headers, registry), { webdriver: false, gestureMs: 2400 }) // { level: "none", score: 0 }
 */
export function decideFriction(request: RequestSignals, gesture: GestureSignals): FrictionDecision {
  let score = 0;
  if ((request.registry !== null && request.registry !== "person") || request.prefetch || request.probe) score += 4;
  if (request.blankAgent) score += 3;
  if (request.secFetch === "absent") score += 1;
  else if (request.secFetch !== "page-fetch") score += 3;
  if (request.bot) score += 1;
  if (gesture.webdriver === true) score += 1;
  if (gesture.gestureMs !== null && gesture.gestureMs < FAST_GESTURE_MS) score += 1;
  const level: FrictionLevel = score >= CONFIRM_SCORE ? "confirm" : score > 0 ? "raised" : "none";
  return { level, score };
}

/**
 * The proof-of-work upper bound for a friction level, from the configured base (POW_MAX_NUMBER).
 * @example powMaxNumber(20_000, "raised") // 200_000
 */
export function powMaxNumber(base: number, level: FrictionLevel): number {
  return level === "none" ? base : Math.min(base * RAISED_POW_FACTOR, 100_000_000);
}
