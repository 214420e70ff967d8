import { describe, expect, it } from "vitest";
import { normalizeServerUrl, parseLinkUrl, parseManageUrl } from "./link-urls.js";

const ID = "AAAAAAAAAAAAAAAAAAAAAA";
const KEY = "q3V1i0n2Yx_-Zt9aQkLmNA";
const TOKEN = "Zz0-_aBcDeFgHiJkLmNoPQ";

describe("parseLinkUrl", () => {
  it("parses a client-encrypted link", () => {
    expect(parseLinkUrl(`https://s.example/l/${ID}#${KEY}`)).toEqual({ server: "https://s.example", id: ID, key: KEY });
  });

  it("parses a server-encrypted link (no fragment, or an empty one) with a null key", () => {
    expect(parseLinkUrl(`http://127.0.0.1:8080/l/${ID}`)).toEqual({ server: "http://127.0.0.1:8080", id: ID, key: null });
    expect(parseLinkUrl(`http://127.0.0.1:8080/l/${ID}#`)).toEqual({ server: "http://127.0.0.1:8080", id: ID, key: null });
  });

  it("keeps a path prefix of PUBLIC_URL as part of the server", () => {
    expect(parseLinkUrl(`https://corp.example/tools/oncelink/l/${ID}#${KEY}`)?.server).toBe("https://corp.example/tools/oncelink");
  });

  it("tolerates surrounding whitespace from copy and paste, and ignores a query", () => {
    expect(parseLinkUrl(`  https://s.example/l/${ID}?utm=x#${KEY}\n`)).toEqual({ server: "https://s.example", id: ID, key: KEY });
  });

  it.each([
    ["a truncated key", `https://s.example/l/${ID}#${KEY.slice(0, 21)}`],
    ["a key with a stray character", `https://s.example/l/${ID}#${KEY}x`],
    ["a non-canonical key (stray low bits)", `https://s.example/l/${ID}#${KEY.slice(0, 21)}B`],
    ["a short id", `https://s.example/l/${ID.slice(1)}#${KEY}`],
    ["an id with characters outside base64url", `https://s.example/l/AAAAAAAAAAAAAAAAAAAA+A#${KEY}`],
    ["the manage path", `https://s.example/m/${ID}#${KEY}`],
    ["a trailing path segment", `https://s.example/l/${ID}/x#${KEY}`],
    ["a trailing slash", `https://s.example/l/${ID}/#${KEY}`],
    ["another scheme", `ftp://s.example/l/${ID}#${KEY}`],
    ["credentials in the URL", `https://u:p@s.example/l/${ID}#${KEY}`],
    ["no URL at all", "hello"],
    ["an empty string", ""],
  ])("rejects %s", (_what, url) => {
    expect(parseLinkUrl(url)).toBeNull();
  });
});

describe("parseManageUrl", () => {
  it("parses a manage link", () => {
    expect(parseManageUrl(`https://s.example/m/${ID}#${TOKEN}`)).toEqual({ server: "https://s.example", id: ID, token: TOKEN });
  });

  it.each([
    ["no token", `https://s.example/m/${ID}`],
    ["an empty token", `https://s.example/m/${ID}#`],
    ["a truncated token", `https://s.example/m/${ID}#${TOKEN.slice(0, 20)}`],
    ["a recipient link", `https://s.example/l/${ID}#${TOKEN}`],
    ["a bad id", `https://s.example/m/nope#${TOKEN}`],
  ])("rejects %s", (_what, url) => {
    expect(parseManageUrl(url)).toBeNull();
  });
});

describe("normalizeServerUrl", () => {
  it("drops trailing slashes and keeps a path prefix", () => {
    expect(normalizeServerUrl("http://localhost:8080/")).toBe("http://localhost:8080");
    expect(normalizeServerUrl("https://corp.example/oncelink//")).toBe("https://corp.example/oncelink");
  });

  it.each(["localhost:8080", "ftp://x.example", "https://x.example/?a=1", "https://x.example/#k", "https://u:p@x.example", ""])(
    "rejects %j",
    (server) => {
      expect(normalizeServerUrl(server)).toBeNull();
    },
  );
});
