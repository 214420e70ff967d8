// The sender's view of automated visits: "Looked at by a chat preview twice; still unopened". The server records
// only a class and a time for each visit, so that is all there is to show.
import type { LinkStatus, LinkVisit } from "../../client/index.js";
import type { MessageKey } from "../i18n/en.js";
import type { Translate } from "./messages.js";

/** Each visit class the server records, in display order, with its catalog key. */
const WHO: ReadonlyArray<readonly [string, MessageKey]> = [
  ["chat-preview", "manage.visits.who.chatPreview"],
  ["mail-scanner", "manage.visits.who.mailScanner"],
  ["office-app", "manage.visits.who.officeApp"],
  ["prefetch", "manage.visits.who.prefetch"],
  ["probe", "manage.visits.who.probe"],
  ["automated", "manage.visits.who.automated"],
];

const ROW_ID = "visits-row";
const FIELD_ID = "visits";

function times(count: number, t: Translate): string {
  if (count === 1) return t("manage.visits.times.one");
  if (count === 2) return t("manage.visits.times.two");
  return t("manage.visits.times.many", { count });
}

/**
 * One line per class of visit, with how often it happened; the last line says "still unopened" while the link is
 * fresh. Classes this page does not know (a newer server) count as "an automated client".
 * @example summarizeVisits([{ kind: "chat-preview", at }, { kind: "chat-preview", at }], "fresh", t)
 * // ["Looked at by a chat preview twice; still unopened"]
 */
export function summarizeVisits(events: readonly LinkVisit[], state: LinkStatus["state"], t: Translate): string[] {
  const counts = new Map<string, number>();
  const known = new Set(WHO.map(([kind]) => kind));
  for (const { kind } of events) {
    const key = known.has(kind) ? kind : "automated";
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const lines = WHO.filter(([kind]) => counts.has(kind)).map(([kind, who]) =>
    t("manage.visits.line", { who: t(who), times: times(counts.get(kind)!, t) }),
  );
  // The catalog joins the two parts: the punctuation between them differs by language ("; ", " ; ", "、").
  if (lines.length > 0 && state === "fresh") lines[lines.length - 1] = t("manage.visits.stillUnopened", { line: lines[lines.length - 1]! });
  return lines;
}

/**
 * Shows the automated visits as one more row of the status page's facts list (made on first use, so the page
 * template needs nothing for it).
 */
export function showVisits(statusView: HTMLElement, status: LinkStatus, t: Translate): void {
  const facts = statusView.querySelector("dl");
  if (facts === null) return;
  let row = document.getElementById(ROW_ID);
  if (row === null) {
    row = document.createElement("div");
    row.id = ROW_ID;
    const label = document.createElement("dt");
    label.textContent = t("manage.visits.label");
    const field = document.createElement("dd");
    field.id = FIELD_ID;
    row.append(label, field);
    facts.append(row);
  }
  const field = row.querySelector("dd")!;
  const lines = summarizeVisits(status.events, status.state, t);
  if (lines.length === 0) {
    field.replaceChildren(t("manage.visits.none"));
    return;
  }
  const list = document.createElement("ul");
  for (const line of lines) {
    const item = document.createElement("li");
    item.textContent = line;
    list.append(item);
  }
  const hint = document.createElement("p");
  hint.className = "hint";
  hint.textContent = t("manage.visits.hint");
  field.replaceChildren(list, hint);
}
