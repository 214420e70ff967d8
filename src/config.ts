import { isIP } from "node:net";
import { resolve } from "node:path";
import { MAX_SECRET_BYTES_CEILING, parseDuration } from "./core/link.js";

/** Everything the server reads from its environment, parsed and checked once at start. */
export interface Config {
  readonly port: number;
  readonly host: string;
  readonly publicUrl: string;
  readonly dataDir: string;
  readonly databaseUrl: string | null;
  /** SQLite only: run the writes (and their fsync) on a worker thread (off by default: on 2 cores it costs more than it saves). */
  readonly sqliteWriterThread: boolean;
  /** Proxies whose X-Forwarded-For is believed, or false: true, or a checked comma-separated list (Fastify's trustProxy). */
  readonly trustProxy: string | boolean;
  readonly keysFile: string;
  /** ONCELINK_MASTER_KEYS: "VERSION:KEY,..." overriding the keys file's master keys. */
  readonly masterKeys: string | null;
  /** ONCELINK_SIGNING_KEY: overrides the keys file's signing key. */
  readonly signingKey: string | null;
  readonly defaultTtlSeconds: number;
  readonly maxTtlSeconds: number;
  readonly minTtlSeconds: number;
  /** Largest secret accepted, in bytes (plaintext for server-encrypted, envelope for client-encrypted). */
  readonly maxSecretBytes: number;
  /** MAX_FILE_BYTES: largest file (plaintext) a file link may carry; the server enforces it on the padded stream. */
  readonly maxFileBytes: number;
  /** FILE_STORAGE_QUOTA: sealed bytes all stored file chunks may take together; uploads beyond it get 413. */
  readonly fileStorageQuota: number;
  /** UPLOAD_TTL: how long an unfinished file upload may take before it is swept. */
  readonly uploadTtlSeconds: number;
  /** Upper bound of the proof-of-work counter: the expected work is half of it. */
  readonly powMaxNumber: number;
  readonly sessionTtlSeconds: number;
  readonly challengeTtlSeconds: number;
  readonly purgeIntervalSeconds: number;
  /** CLIPBOARD_CLEAR_SECONDS: the reveal page clears a copied secret from the clipboard after this long; 0 never. */
  readonly clipboardClearSeconds: number;
  /** RATE_LIMIT_CREATE: link creations one client address may make per minute; 0 turns the limit off. */
  readonly rateLimitCreate: number;
  /** RATE_LIMIT_OPEN: challenge and session requests (each counted apart) one client address may make per minute; 0 off. */
  readonly rateLimitOpen: number;
  /** PASSPHRASE_MAX_ATTEMPTS: wrong passphrases a link survives; the last one expires it and destroys its content. */
  readonly passphraseMaxAttempts: number;
  /** ONCELINK_PREVIEWERS_FILE: extra previewer signatures, checked before the built-in ones; null for none. */
  readonly previewersFile: string | null;
  /** ONCELINK_POLICY_FILE: the operator's policy templates, default template and instance-wide minimums; null for none. */
  readonly policyFile: string | null;
  /** ONCELINK_COUNTRY_DB: a country .mmdb (GeoLite2-Country or alike) instead of the bundled one; null for the bundled. */
  readonly countryDb: string | null;
  /** RATE_LIMIT_PASSPHRASE: passphrase tries (right or wrong, across links) one client address may make per 15 minutes; 0 off. */
  readonly rateLimitPassphrase: number;
  readonly logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
}

/** A configuration problem, reported to the operator before the server starts. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

function duration(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = parseDuration(raw);
  if (value === null) throw new ConfigError(`${name} must be a duration such as 90s, 15m, 24h or 30d, got "${raw}"`);
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min}s and ${max}s, got ${value}s`);
  return value;
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (raw === "1" || raw === "true") return true;
  if (raw === "0" || raw === "false") return false;
  throw new ConfigError(`${name} must be true or false (or 1 or 0), got "${raw}"`);
}

const TRUST_PROXY_KEYWORDS: ReadonlySet<string> = new Set(["loopback", "linklocal", "uniquelocal"]);

/**
 * One TRUST_PROXY item as proxy-addr (Fastify's trustProxy) takes it: an IPv4/IPv6 address, a CIDR with a prefix of
 * 1 to 32 (IPv4) or 1 to 128 (IPv6), or a keyword. proxy-addr throws on a /0 (TRUST_PROXY=true says "everyone"), and
 * a zone id (%eth0) or a dotted netmask is refused here rather than half-understood.
 */
function isTrustProxyItem(item: string): boolean {
  if (TRUST_PROXY_KEYWORDS.has(item)) return true;
  const [address = "", prefixText, extra] = item.split("/");
  if (extra !== undefined || address.includes("%")) return false;
  const version = isIP(address);
  if (version === 0) return false;
  if (prefixText === undefined) return true;
  if (!/^\d{1,3}$/.test(prefixText)) return false;
  const prefix = Number(prefixText);
  return prefix >= 1 && prefix <= (version === 4 ? 32 : 128);
}

/**
 * TRUST_PROXY: false (unset), true, or a comma-separated list mixing addresses, CIDRs and the keywords loopback,
 * linklocal and uniquelocal, handed to Fastify normalized ("loopback,10.0.0.5"), which splits it for proxy-addr.
 */
function parseTrustProxy(raw: string | undefined): string | boolean {
  if (raw === undefined || raw === "" || raw === "false") return false;
  if (raw === "true") return true;
  const items = raw.split(",").map((item) => item.trim());
  const bad = items.find((item) => !isTrustProxyItem(item));
  if (bad !== undefined) {
    throw new ConfigError(
      `TRUST_PROXY must be true or a comma-separated list of proxy addresses/CIDRs (or loopback, linklocal, uniquelocal), got "${bad}" in "${raw}"`,
    );
  }
  return items.join(",");
}

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/**
 * Parses the environment into a frozen Config; throws ConfigError naming the bad variable.
 * @example loadConfig({ PORT: "9000" }).port // 9000
 */
export function loadConfig(env: Env = process.env): Config {
  const port = int(env, "PORT", 8080, 0, 65535);
  const host = env.HOST || "127.0.0.1";
  const publicUrlRaw = env.PUBLIC_URL || `http://localhost:${port}`;
  let publicUrl: string;
  try {
    const u = new URL(publicUrlRaw);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error("scheme");
    if (u.search || u.hash) throw new Error("query");
    publicUrl = u.toString().replace(/\/+$/, "");
  } catch {
    throw new ConfigError(`PUBLIC_URL must be an absolute http(s) URL without query or fragment, got "${publicUrlRaw}"`);
  }
  const dataDir = resolve(env.DATA_DIR || "./data");
  const databaseUrl = env.DATABASE_URL || null;
  if (databaseUrl !== null && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError("DATABASE_URL must start with postgres:// (unset it to use the embedded SQLite store)");
  }
  const logLevel = (env.LOG_LEVEL || "info") as Config["logLevel"];
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}`);
  const maxTtlSeconds = duration(env, "MAX_TTL", 30 * 86400, 60, 365 * 86400);
  const defaultTtlSeconds = duration(env, "DEFAULT_TTL", Math.min(86400, maxTtlSeconds), 60, maxTtlSeconds);
  return Object.freeze({
    port,
    host,
    publicUrl,
    dataDir,
    databaseUrl,
    sqliteWriterThread: flag(env, "SQLITE_WRITER_THREAD", false),
    trustProxy: parseTrustProxy(env.TRUST_PROXY),
    keysFile: resolve(env.ONCELINK_KEYS_FILE || `${dataDir}/keys.json`),
    masterKeys: env.ONCELINK_MASTER_KEYS || null,
    signingKey: env.ONCELINK_SIGNING_KEY || null,
    defaultTtlSeconds,
    maxTtlSeconds,
    minTtlSeconds: 60,
    maxSecretBytes: int(env, "MAX_SECRET_BYTES", 1024 * 1024, 1024, MAX_SECRET_BYTES_CEILING),
    maxFileBytes: int(env, "MAX_FILE_BYTES", 1024 ** 3, 1024, 2 ** 40),
    fileStorageQuota: int(env, "FILE_STORAGE_QUOTA", 10 * 1024 ** 3, 0, 2 ** 50),
    uploadTtlSeconds: duration(env, "UPLOAD_TTL", 3600, 60, 86400),
    powMaxNumber: int(env, "POW_MAX_NUMBER", 20_000, 1, 10_000_000),
    sessionTtlSeconds: duration(env, "SESSION_TTL", 120, 10, 600),
    challengeTtlSeconds: duration(env, "CHALLENGE_TTL", 600, 30, 3600),
    purgeIntervalSeconds: duration(env, "PURGE_INTERVAL", 60, 1, 3600),
    clipboardClearSeconds: int(env, "CLIPBOARD_CLEAR_SECONDS", 60, 0, 3600),
    rateLimitCreate: int(env, "RATE_LIMIT_CREATE", 60, 0, 1_000_000),
    rateLimitOpen: int(env, "RATE_LIMIT_OPEN", 120, 0, 1_000_000),
    passphraseMaxAttempts: int(env, "PASSPHRASE_MAX_ATTEMPTS", 5, 1, 100),
    previewersFile: env.ONCELINK_PREVIEWERS_FILE ? resolve(env.ONCELINK_PREVIEWERS_FILE) : null,
    policyFile: env.ONCELINK_POLICY_FILE ? resolve(env.ONCELINK_POLICY_FILE) : null,
    countryDb: env.ONCELINK_COUNTRY_DB ? resolve(env.ONCELINK_COUNTRY_DB) : null,
    rateLimitPassphrase: int(env, "RATE_LIMIT_PASSPHRASE", 10, 0, 1_000_000),
    logLevel,
  });
}
