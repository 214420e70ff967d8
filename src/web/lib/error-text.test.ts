import { describe, expect, it } from "vitest";
import { OncelinkApiError, OncelinkError } from "../../client/index.js";
import { en } from "../i18n/en.js";
import { interpolate } from "../i18n/format.js";
import { errorText } from "./error-text.js";
import type { Translate } from "./messages.js";

const t: Translate = (key, params) => interpolate(en[key], params);
const page = { t, locale: "en" };
const limited = (retryAfter: number | null) => new OncelinkApiError(429, "RATE_LIMITED", "Too many requests.", retryAfter);

describe("errorText", () => {
  it("says how long to wait when the server said (Retry-After), rounded up to a unit people use", () => {
    expect(errorText(limited(30), page)).toBe("Too many attempts right now. Try again in 30 seconds.");
    expect(errorText(limited(61), page)).toBe("Too many attempts right now. Try again in 2 minutes.");
    expect(errorText(limited(847), page)).toBe("Too many attempts right now. Try again in 15 minutes.");
    expect(errorText(limited(3_700), page)).toBe("Too many attempts right now. Try again in 2 hours.");
    expect(errorText(limited(null), page)).toBe(en["common.error.rateLimited"]);
    expect(errorText(limited(0), page)).toBe(en["common.error.rateLimited"]);
  });

  it("never shows the library's own English text", () => {
    expect(errorText(new OncelinkApiError(500, "INTERNAL", "Internal Server Error"), page)).toBe(en["common.error.generic"]);
    expect(errorText(new OncelinkError("Could not reach the oncelink server at http://x"), page)).toBe(en["common.error.network"]);
    expect(errorText(new Error("boom at line 3"), page)).toBe(en["common.error.generic"]);
    expect(errorText(new OncelinkApiError(400, "TTL_INVALID", "x"), page, { TTL_INVALID: "create.error.ttl" })).toBe(en["create.error.ttl"]);
  });
});
