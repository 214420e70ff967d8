import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../config.js";
import { BUNDLED_COUNTRY_DB, createCountryLookup } from "./country.js";

describe("country lookup (bundled ip-location-db database, mmdb-lib)", () => {
  const countryOf = createCountryLookup(null);

  it("places well-known public addresses, IPv4, IPv4-mapped and IPv6", () => {
    expect(countryOf("193.0.6.139")).toBe("NL"); // RIPE NCC, Amsterdam
    expect(countryOf("::ffff:193.0.6.139")).toBe("NL");
    expect(countryOf("194.25.0.1")).toBe("DE"); // Deutsche Telekom
    expect(countryOf("212.27.48.10")).toBe("FR"); // Free
    expect(countryOf("2001:67c:2e8::1")).toBe("NL"); // RIPE NCC
  });

  it("gives special-purpose addresses no country, whatever the data says", () => {
    for (const ip of ["127.0.0.1", "10.1.2.3", "192.168.1.1", "172.16.0.1", "100.64.0.1", "169.254.1.1", "192.0.2.1", "198.51.100.7", "203.0.113.5", "::1", "fe80::1", "fd00::1", "2001:db8::1", "not-an-ip", ""]) {
      expect(countryOf(ip), ip).toBeNull();
    }
  });

  it("refuses a missing or foreign ONCELINK_COUNTRY_DB at start, naming it", () => {
    const dir = mkdtempSync(join(tmpdir(), "oncelink-country-"));
    expect(() => createCountryLookup(join(dir, "missing.mmdb"))).toThrow(ConfigError);
    expect(() => createCountryLookup(join(dir, "missing.mmdb"))).toThrow(/ONCELINK_COUNTRY_DB .*ENOENT/);
    const junk = join(dir, "junk.mmdb");
    writeFileSync(junk, "not a database");
    expect(() => createCountryLookup(junk)).toThrow(/ONCELINK_COUNTRY_DB .*not a MaxMind DB/);
    // The operator's own copy of a country database works the same.
    expect(createCountryLookup(BUNDLED_COUNTRY_DB)("194.25.0.1")).toBe("DE");
  });

  it("checks the database at start but reads it to keep only at the first lookup that needs it", () => {
    const dir = mkdtempSync(join(tmpdir(), "oncelink-country-"));
    const file = join(dir, "country.mmdb");
    copyFileSync(BUNDLED_COUNTRY_DB, file);
    const countryOf = createCountryLookup(file);
    // Replaced after the start check: nothing of it was kept, so the next lookups see what is there now.
    writeFileSync(file, "not a database");
    expect(countryOf("10.1.2.3")).toBeNull(); // special-purpose: answered without the database
    expect(() => countryOf("194.25.0.1")).toThrow(/ONCELINK_COUNTRY_DB .*not a MaxMind DB/);
    copyFileSync(BUNDLED_COUNTRY_DB, file);
    expect(countryOf("194.25.0.1")).toBe("DE");
    // From then on it is held: a later change of the file changes nothing until the next start.
    writeFileSync(file, "not a database");
    expect(countryOf("212.27.48.10")).toBe("FR");
  });
});
