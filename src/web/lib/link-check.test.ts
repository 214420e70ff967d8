import { afterEach, describe, expect, it, vi } from "vitest";
import { checkLink } from "./link-check.js";

const ID = "AAAAAAAAAAAAAAAAAAAAAA";
const KEY = "BBBBBBBBBBBBBBBBBBBBBA";
const BASE = "https://s.example";

/** Stubs the global fetch with a server that answers the check and records every request it sees. */
function fakeServer(check: { status: number; body: unknown }): string[] {
  const seen: string[] = [];
  vi.stubGlobal("location", { href: `${BASE}/l/${ID}` });
  vi.stubGlobal("fetch", async (input: string | URL | Request, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : String(input);
    seen.push(`${init?.method ?? "GET"} ${new URL(url).pathname}`);
    // Answer everything, as a real server would: only the guard may stop the later steps.
    return new Response(JSON.stringify(check.body), { status: check.status, headers: { "content-type": "application/json" } });
  });
  return seen;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("checkLink", () => {
  it("reports a fresh link after exactly one non-consuming GET", async () => {
    const seen = fakeServer({ status: 200, body: { state: "fresh", encryption: "client", requires: { pow: true } } });
    expect(await checkLink(`${BASE}/l/${ID}#${KEY}`)).toBe("fresh");
    expect(seen).toEqual([`GET /api/v1/links/${ID}`]);
  });

  it("says when the link holds a file, a passkey file link included", async () => {
    let needs: unknown = null;
    const seen = fakeServer({ status: 200, body: { state: "fresh", content: "file", encryption: "client", requires: { pow: true } } });
    expect(await checkLink(`${BASE}/l/${ID}#${KEY}`, (found) => (needs = found))).toBe("fresh");
    expect(needs).toEqual({ passphrase: false, passkey: null, file: true });
    expect(seen).toHaveLength(1);
    fakeServer({ status: 200, body: { state: "fresh", content: "file", encryption: "client", requires: { pow: true, passkey: { mode: "required" } } } });
    expect(await checkLink(`${BASE}/l/${ID}#${KEY}`, (found) => (needs = found))).toBe("fresh");
    expect(needs).toEqual({ passphrase: false, passkey: { mode: "required", passphraseFallback: false }, file: true });
  });

  it("reports a client-encrypted link without its key as key-missing", async () => {
    const seen = fakeServer({ status: 200, body: { state: "fresh", encryption: "client", requires: { pow: true } } });
    expect(await checkLink(`${BASE}/l/${ID}`)).toBe("key-missing");
    expect(seen).toHaveLength(1);
  });

  it("reports unavailable and unsupported links without going further", async () => {
    let seen = fakeServer({ status: 404, body: { error: "UNAVAILABLE", message: "gone" } });
    expect(await checkLink(`${BASE}/l/${ID}#${KEY}`)).toBe("unavailable");
    expect(seen).toHaveLength(1);
    seen = fakeServer({ status: 200, body: { state: "fresh", encryption: "client", requires: { telepathy: true } } });
    expect(await checkLink(`${BASE}/l/${ID}#${KEY}`)).toBe("unsupported");
    expect(seen).toHaveLength(1);
  });

  it("says what a fresh link will ask for: a passkey (of which kind), a passphrase, or either one", async () => {
    fakeServer({ status: 200, body: { state: "fresh", encryption: "client", requires: { pow: true, passkey: { mode: "required" } } } });
    let needs: unknown = null;
    expect(await checkLink(`${BASE}/l/${ID}#${KEY}`, (found) => (needs = found))).toBe("fresh");
    expect(needs).toEqual({ passphrase: false, passkey: { mode: "required", passphraseFallback: false }, file: false });

    const salt = "AAAAAAAAAAAAAAAAAAAAAA";
    const either = { pow: true, passphrase: { salt, params: {} }, passkey: { mode: "recipient", passphrase_fallback: true } };
    fakeServer({ status: 200, body: { state: "fresh", encryption: "client", requires: either } });
    expect(await checkLink(`${BASE}/l/${ID}#${KEY}`, (found) => (needs = found))).toBe("passphrase");
    expect(needs).toEqual({ passphrase: true, passkey: { mode: "recipient", passphraseFallback: true }, file: false });
  });

  it("says when the link asks for a passphrase before the Reveal", async () => {
    const requires = { pow: true, passphrase: { salt: "AAAAAAAAAAAAAAAAAAAAAA", params: {} } };
    const seen = fakeServer({ status: 200, body: { state: "fresh", encryption: "client", requires } });
    expect(await checkLink(`${BASE}/l/${ID}#${KEY}`)).toBe("passphrase");
    expect(seen).toHaveLength(1);
  });

  it("rethrows other failures for the page to show", async () => {
    fakeServer({ status: 503, body: { error: "NOT_READY", message: "later" } });
    await expect(checkLink(`${BASE}/l/${ID}#${KEY}`)).rejects.toMatchObject({ code: "NOT_READY" });
  });
});
