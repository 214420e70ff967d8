import { describe, expect, it } from "vitest";
import { secureRandomBytes } from "./random.js";

describe("pooled CSPRNG", () => {
  it("never hands out the same bytes twice across pool refills", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) seen.add(secureRandomBytes(16).toString("hex"));
    expect(seen.size).toBe(5000);
  });

  it("returns independent copies of the requested length, small and large", () => {
    for (const n of [0, 1, 12, 32, 1024, 5000]) expect(secureRandomBytes(n)).toHaveLength(n);
    const a = secureRandomBytes(32);
    const copy = Buffer.from(a);
    secureRandomBytes(4096);
    expect(a).toEqual(copy);
  });

  it("looks uniform: each byte value appears about equally often in 1 MiB", () => {
    const counts = new Array(256).fill(0);
    for (let i = 0; i < 1024; i++) for (const b of secureRandomBytes(1024)) counts[b]++;
    for (const c of counts) expect(Math.abs(c - 4096)).toBeLessThan(450);
  });
});
