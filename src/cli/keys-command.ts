import { loadConfig } from "../config.js";
import { rotateMasterKey } from "../crypto/keyring.js";
import { rewrapKey } from "../crypto/server-layer.js";
import { parseCommandArgs } from "./args.js";
import { CliError, EXIT_OK, writeFully, type CliContext } from "./cli-context.js";

/** Usage of the operator's key commands. */
export const KEYS_USAGE = `oncelink keys rotate
  Adds a new master key to the keys file and makes it current (restart each node to start using it).
oncelink keys rewrap
  Re-wraps every stored data key under the current master key; safe while the server runs.`;

/**
 * `oncelink keys rotate|rewrap`: master-key rotation without downtime. Rotate, restart the nodes one at a time
 * (new links then use the new key, old ones still open with the old), then rewrap, after which the old key can
 * be retired. Reads the same environment as `serve`.
 */
export async function runKeys(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, { help: { type: "boolean", short: "h" } });
  const [action, ...rest] = positionals;
  if (values.help || action === undefined) {
    await writeFully(values.help ? ctx.stdout : ctx.stderr, `${KEYS_USAGE}\n`);
    return values.help ? EXIT_OK : 1;
  }
  if (rest.length > 0) throw new CliError("keys takes one action: rotate or rewrap.");
  const config = loadConfig(ctx.env);
  if (action === "rotate") {
    if (config.masterKeys !== null) {
      throw new CliError("ONCELINK_MASTER_KEYS is set: add the new key to that variable instead of the keys file.");
    }
    const version = rotateMasterKey(config.keysFile);
    await writeFully(ctx.stdout, `Master key version ${version} is now current. Restart the server, then run: oncelink keys rewrap\n`);
    return EXIT_OK;
  }
  if (action === "rewrap") {
    const { openDependencies } = await import("../main.js");
    const { keyring, store } = await openDependencies(config);
    try {
      const count = await store.rewrapKeys(keyring.currentVersion, (idHash, keyVersion, wrappedKey) =>
        rewrapKey(keyring, keyVersion, wrappedKey, idHash),
      );
      await writeFully(ctx.stdout, `Re-wrapped ${count} data key(s) under master key version ${keyring.currentVersion}.\n`);
    } finally {
      await store.close();
    }
    return EXIT_OK;
  }
  throw new CliError("unknown keys action; use rotate or rewrap.");
}
