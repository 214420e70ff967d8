import { mkdirSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import { ConfigError, loadConfig, type Config } from "./config.js";
import { hmacSha256 } from "./crypto/hash.js";
import { KeyringError, loadKeyring, type Keyring } from "./crypto/keyring.js";
import { secureRandomBytes } from "./crypto/random.js";
import { createApp } from "./http/app.js";
import type { LinkStore, RateLimitBackend } from "./store/link-store.js";
import type { KeyFingerprint, PostgresLinkStore } from "./store/postgres.js";
import { openSqliteStore } from "./store/sqlite.js";

/**
 * The keyring and store a configuration names; shared by the server and the operator commands. DATABASE_URL selects
 * PostgreSQL (any number of nodes, each with the same keys), else the embedded SQLite file under DATA_DIR.
 */
export async function openDependencies(
  config: Config,
): Promise<{ keyring: Keyring; generated: boolean; store: LinkStore; rateLimits?: RateLimitBackend }> {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const { keyring, generated } = loadKeyring({
    file: config.keysFile,
    envMasterKeys: config.masterKeys ?? undefined,
    envSigningKey: config.signingKey ?? undefined,
  });
  if (config.databaseUrl === null) {
    const file = join(config.dataDir, "oncelink.db");
    // The other stores are imported only when configured: pg alone is ~1.5 MB of heap a SQLite server never uses.
    const store = config.sqliteWriterThread
      ? await (await import("./store/sqlite-writer-thread.js")).openThreadedSqliteStore({ file })
      : await openSqliteStore({ file });
    return { keyring, generated, store };
  }
  const { openPostgresStore } = await import("./store/postgres.js");
  const store = await openPostgresStore({ connectionString: config.databaseUrl });
  try {
    await refuseOtherNodesKeys(store, keyring);
  } catch (error) {
    await store.close();
    throw error;
  }
  // Every node counts rate limits in the same table (a single SQLite node counts in memory).
  return { keyring, generated, store, rateLimits: store };
}

/**
 * Every node of a cluster must hold the same keys: compares one-way fingerprints of this node's keys with those the
 * first node recorded in the database, and refuses to start on a difference (a node that generated its own keyring,
 * or was given another file, would fail on every link and session of the other nodes).
 */
async function refuseOtherNodesKeys(store: PostgresLinkStore, keyring: Keyring): Promise<void> {
  const fingerprint = (key: Uint8Array) => hmacSha256(key, "oncelink key fingerprint v1");
  const mine: KeyFingerprint[] = [
    { kind: "signing", version: 0, fingerprint: fingerprint(keyring.signingKey) },
    ...[...keyring.masterKeys].map(([version, key]): KeyFingerprint => ({ kind: "master", version, fingerprint: fingerprint(key) })),
  ];
  const differing = await store.checkKeyFingerprints(mine);
  if (differing.length > 0) {
    const names = differing.map((k) => (k.kind === "signing" ? "the signing key" : `master key version ${k.version}`));
    throw new KeyringError(
      `${names.join(" and ")} differ from the keys this database was first used with: give every node the same ` +
        "ONCELINK_KEYS_FILE, or the same ONCELINK_MASTER_KEYS and ONCELINK_SIGNING_KEY",
    );
  }
}

/** A start stopped by a bad setting (a variable, the keyring, a file the configuration names), not by a fault. */
export function isConfigurationError(err: unknown): err is ConfigError | KeyringError {
  return err instanceof ConfigError || err instanceof KeyringError;
}

/**
 * Builds the real dependencies from the environment and serves until SIGTERM/SIGINT.
 * The only place that touches the environment, the disk layout and the real clock.
 * A start that fails throws (see isConfigurationError), after closing what it opened, so the caller exits non-zero.
 */
export async function serve(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const config = loadConfig(env);
  const { keyring, generated, store, rateLimits } = await openDependencies(config);
  const logger = pino({
    level: config.logLevel,
    base: { service: "oncelink" },
    // Belt and braces: our log lines never carry these, but a future one must not either.
    redact: { paths: ["req.headers.authorization", "req.headers.cookie", "req.url", "headers.authorization", "err.rawPacket"], remove: true },
  });
  if (generated) logger.warn({ file: config.keysFile }, "generated a new master keyring (mode 0600); back it up separately from the database");
  let app: Awaited<ReturnType<typeof createApp>>;
  try {
    await store.purgeExpired(Date.now());
    app = await createApp(
      { config, store, keyring, now: () => Date.now(), random: secureRandomBytes, ...(rateLimits ? { rateLimits } : {}) },
      { logger, defaultMetrics: true },
    );
  } catch (err) {
    // An open PostgreSQL pool would keep the process alive after the failed start.
    await store.close().catch(() => undefined);
    throw err;
  }
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, "shutting down");
    app
      .close()
      .then(() => store.close())
      .catch((err: Error) => logger.error({ err: { message: err.message } }, "shutdown failed"))
      .finally(() => process.exit());
  };
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (err) {
    // EADDRINUSE, EACCES, a bad HOST: nothing is served, so nothing is left running.
    await app
      .close()
      .then(() => store.close())
      .catch(() => undefined);
    throw err;
  }
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
  logger.info({ port: config.port, host: config.host, publicUrl: config.publicUrl }, "oncelink is listening");
}
