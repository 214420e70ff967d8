import { describe, expect, it } from "vitest";
import { en, type MessageKey } from "../i18n/en.js";
import { fr } from "../i18n/fr.js";
import { ja } from "../i18n/ja.js";
import { interpolate, type MessageParams } from "../i18n/format.js";
import { summarizeVisits } from "./visit-summary.js";

const t = (key: MessageKey, params?: MessageParams) => interpolate(en[key], params);
const at = "2030-01-01T00:00:00.000Z";
const visits = (...kinds: string[]) => kinds.map((kind) => ({ kind, at }));

describe("summarizeVisits", () => {
  it("says what looked at a fresh link, and that it is still unopened", () => {
    expect(summarizeVisits(visits("chat-preview", "chat-preview"), "fresh", t)).toEqual(["Looked at by a chat preview twice; still unopened"]);
  });

  it("joins 'still unopened' with each language's own punctuation", () => {
    const tFr = (key: MessageKey, params?: MessageParams) => interpolate(fr[key] ?? key, params);
    const tJa = (key: MessageKey, params?: MessageParams) => interpolate(ja[key] ?? key, params);
    expect(summarizeVisits(visits("chat-preview"), "fresh", tFr)).toEqual(["Consulté par un aperçu de messagerie une fois\u202f; toujours pas ouvert"]);
    expect(summarizeVisits(visits("chat-preview"), "fresh", tJa)[0]).not.toContain(";");
  });

  it("lists each class once, in a fixed order, with how often", () => {
    const lines = summarizeVisits(visits("prefetch", "mail-scanner", "chat-preview", "mail-scanner", "mail-scanner", "probe"), "consumed", t);
    expect(lines).toEqual([
      "Looked at by a chat preview once",
      "Looked at by a mail scanner 3 times",
      "Looked at by a browser prefetch once",
      "Looked at by a link checker once",
    ]);
  });

  it("counts classes it does not know as automated clients, and says nothing when there was nothing", () => {
    expect(summarizeVisits(visits("holo-scanner", "automated"), "expired", t)).toEqual(["Looked at by an automated client twice"]);
    expect(summarizeVisits([], "fresh", t)).toEqual([]);
  });
});
