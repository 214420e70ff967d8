import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { BlockList, isIP } from "node:net";
import { Reader } from "mmdb-lib";
import { ConfigError } from "../config.js";

/**
 * The country database shipped with oncelink: @ip-location-db/geo-whois-asn-country-mmdb (GeoFeed, RIR whois and
 * ASN data merged by sapics/ip-location-db; data under CC BY 4.0 by the NRO). Its answers are as old as the
 * installed package; ONCELINK_COUNTRY_DB points at a database the operator keeps current instead.
 */
export const BUNDLED_COUNTRY_DB = createRequire(import.meta.url).resolve("@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb");

/** Resolves a client address to an ISO 3166-1 alpha-2 country code, or null when it has none. */
export type CountryLookup = (ip: string) => string | null;

// Addresses that belong to no country, whatever a database says about them (IANA special-purpose registries):
// private networks, loopback, link-local, shared CGNAT space, documentation, benchmarking, multicast, reserved.
const SPECIAL_PURPOSE = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8], ["10.0.0.0", 8], ["100.64.0.0", 10], ["127.0.0.0", 8], ["169.254.0.0", 16], ["172.16.0.0", 12],
  ["192.0.0.0", 24], ["192.0.2.0", 24], ["192.88.99.0", 24], ["192.168.0.0", 16], ["198.18.0.0", 15],
  ["198.51.100.0", 24], ["203.0.113.0", 24], ["224.0.0.0", 4], ["240.0.0.0", 4],
] as const) SPECIAL_PURPOSE.addSubnet(net, prefix, "ipv4");
for (const [net, prefix] of [
  ["::", 128], ["::1", 128], ["64:ff9b::", 96], ["100::", 64], ["2001::", 23], ["2001:db8::", 32], ["2002::", 16],
  ["fc00::", 7], ["fe80::", 10], ["ff00::", 8],
] as const) SPECIAL_PURPOSE.addSubnet(net, prefix, "ipv6");

/** A record of either database shape: ip-location-db's `{country_code}` or MaxMind's `{country: {iso_code}}`. */
function countryCode(record: unknown): string | null {
  if (typeof record !== "object" || record === null) return null;
  const r = record as { country_code?: unknown; country?: { iso_code?: unknown } };
  const code = typeof r.country_code === "string" ? r.country_code : r.country?.iso_code;
  return typeof code === "string" && /^[A-Z]{2}$/.test(code) ? code : null;
}

/** Databases a lookup needed, kept from then on (one per file, shared by every app of the process). */
const readers = new Map<string, Reader<Record<string, unknown>>>();
/** Databases that passed the check at start in this process (and so need not be read again for it). */
const checked = new Set<string>();

function readDatabase(file: string, what: string): Reader<Record<string, unknown>> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new ConfigError(`${what} (${file}) cannot be read: ${(err as NodeJS.ErrnoException).code ?? "error"}`);
  }
  let reader: Reader<Record<string, unknown>>;
  try {
    reader = new Reader<Record<string, unknown>>(bytes);
  } catch {
    throw new ConfigError(`${what} (${file}) is not a MaxMind DB (.mmdb) file`);
  }
  // A database that places no well-known public address is the wrong kind (a city or ASN database without
  // countries, or an empty one): refuse it at start rather than refuse every recipient later.
  if (countryCode(reader.get("8.8.8.8")) === null && countryCode(reader.get("193.0.6.139")) === null) {
    throw new ConfigError(`${what} (${file}) has no country for well-known public addresses; use a country database such as GeoLite2-Country`);
  }
  return reader;
}

/**
 * Checks the country database (the operator's ONCELINK_COUNTRY_DB, else the bundled one) at once, so a bad one
 * stops the start with a ConfigError naming it, and returns the lookup the session step uses. Special-purpose
 * addresses (private, loopback, documentation, ...) and addresses the database does not know resolve to null, which
 * a country rule refuses.
 *
 * The database is held in memory (~8 MB for the bundled one) only from the first lookup on: most links carry no
 * country rule, and a server that never sees one keeps those megabytes for file transfers instead. The check reads
 * it once and lets it go; the first lookup reads it again (a few milliseconds, once per process) and keeps it. Should
 * the file have become unreadable meanwhile, that lookup throws (an infrastructure fault, logged by the error handler)
 * and the next one tries again.
 * @example createCountryLookup(null)("193.0.6.139") // "NL"
 */
export function createCountryLookup(file: string | null): CountryLookup {
  const path = file ?? BUNDLED_COUNTRY_DB;
  const what = file === null ? "the bundled country database" : "ONCELINK_COUNTRY_DB";
  if (!readers.has(path) && !checked.has(path)) {
    readDatabase(path, what);
    checked.add(path);
  }
  return (ip) => {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
    const address = mapped ? mapped[1]! : ip;
    const version = isIP(address);
    if (version === 0 || SPECIAL_PURPOSE.check(address, version === 4 ? "ipv4" : "ipv6")) return null;
    let reader = readers.get(path);
    if (reader === undefined) {
      reader = readDatabase(path, what);
      readers.set(path, reader);
    }
    return countryCode(reader.get(address));
  };
}
