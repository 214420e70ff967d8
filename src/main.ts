import { mkdirSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import { ConfigError, loadConfig, type Config } from "./config.js";
import { KeyringError, loadKeyring, type Keyring } from "./crypto/keyring.js";
import { secureRandomBytes } from "./crypto/random.js";
import { createApp } from "./http/app.js";
import type { LinkStore } from "./store/link-store.js";
import { openSqliteStore } from "./store/sqlite.js";

/** The keyring and store a configuration names; shared by the server and the operator commands. */
export async function openDependencies(config: Config): Promise<{ keyring: Keyring; generated: boolean; store: LinkStore }> {
  if (config.databaseUrl !== null) {
    throw new ConfigError("DATABASE_URL is set, but this build serves only the embedded SQLite store; unset it");
  }
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const { keyring, generated } = loadKeyring({
    file: config.keysFile,
    envMasterKeys: config.masterKeys ?? undefined,
    envSigningKey: config.signingKey ?? undefined,
  });
  const store = await openSqliteStore({ file: join(config.dataDir, "oncelink.db") });
  return { keyring, generated, store };
}

/**
 * Builds the real dependencies from the environment and serves until SIGTERM/SIGINT.
 * The only place that touches the environment, the disk layout and the real clock.
 */
export async function serve(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let config: Config;
  let deps: Awaited<ReturnType<typeof openDependencies>>;
  try {
    config = loadConfig(env);
    deps = await openDependencies(config);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof KeyringError) {
      console.error(`oncelink: configuration error: ${err.message}`);
      process.exitCode = 1;
      return;
    }
    throw err;
  }
  const { keyring, generated, store } = deps;
  const logger = pino({
    level: config.logLevel,
    base: { service: "oncelink" },
    // Belt and braces: our log lines never carry these, but a future one must not either.
    redact: { paths: ["req.headers.authorization", "req.headers.cookie", "req.url", "headers.authorization"], remove: true },
  });
  if (generated) logger.warn({ file: config.keysFile }, "generated a new master keyring (mode 0600); back it up separately from the database");
  await store.purgeExpired(Date.now());
  const app = await createApp(
    { config, store, keyring, now: () => Date.now(), random: secureRandomBytes },
    { logger, defaultMetrics: true },
  );
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
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
  await app.listen({ port: config.port, host: config.host });
  logger.info({ port: config.port, host: config.host, publicUrl: config.publicUrl }, "oncelink is listening");
}
