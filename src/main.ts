import { mkdirSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import pino from "pino";
import { ConfigError, loadConfig } from "./config.js";
import { loadKeyring } from "./crypto/keyring.js";
import { createApp } from "./http/app.js";
import { openSqliteStore } from "./store/sqlite.js";

/**
 * Builds the real dependencies from the environment and serves until SIGTERM/SIGINT.
 * The only place that touches the environment, the disk layout and the real clock.
 */
export async function serve(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`oncelink: configuration error: ${err.message}`);
      process.exitCode = 1;
      return;
    }
    throw err;
  }
  const logger = pino({
    level: config.logLevel,
    base: { service: "oncelink" },
    // Belt and braces: our log lines never carry these, but a future one must not either.
    redact: { paths: ["req.headers.authorization", "req.headers.cookie", "req.url", "headers.authorization"], remove: true },
  });
  if (config.databaseUrl !== null) {
    logger.fatal("DATABASE_URL is set, but this build serves only the embedded SQLite store; unset it");
    process.exitCode = 1;
    return;
  }
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const { keyring, generated } = loadKeyring({
    file: config.keysFile,
    envMasterKeys: config.masterKeys ?? undefined,
    envSigningKey: config.signingKey ?? undefined,
  });
  if (generated) logger.warn({ file: config.keysFile }, "generated a new master keyring (mode 0600); back it up separately from the database");
  const store = await openSqliteStore({ file: join(config.dataDir, "oncelink.db") });
  await store.purgeExpired(Date.now());
  const app = await createApp(
    { config, store, keyring, now: () => Date.now(), random: (n) => randomBytes(n) },
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
