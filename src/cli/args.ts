import { parseArgs, type ParseArgsConfig } from "node:util";
import { normalizeServerUrl } from "../client/link-urls.js";
import { CliError } from "./cli-context.js";

/** The server used when neither `--server` nor `ONCELINK_SERVER` names one (README, "CLI"). */
export const DEFAULT_SERVER = "http://localhost:8080";

type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * `parseArgs` in strict mode, with its errors turned into one-line `CliError`s. Only the first sentence of
 * Node's message is kept: it names the option, never the value (which could be a secret someone mistyped).
 */
export function parseCommandArgs<O extends Options>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (err) {
    const message = err instanceof Error ? (err.message.split(/\.\s|\n/)[0] ?? err.message) : String(err);
    throw new CliError(`${message.replace(/\.$/, "")}. See 'oncelink help'.`);
  }
}

/** `--server`, else `ONCELINK_SERVER`, else the default; normalized, or a CliError when it is not an http(s) URL. */
export function resolveServer(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const chosen = flag ?? (env.ONCELINK_SERVER?.trim() || DEFAULT_SERVER);
  const server = normalizeServerUrl(chosen);
  if (server === null) {
    const source = flag !== undefined ? "--server" : "ONCELINK_SERVER";
    throw new CliError(`${source} must be an http:// or https:// URL without query or fragment.`);
  }
  return server;
}

/** Exactly one positional argument (a link); a CliError naming what was expected otherwise. */
export function singlePositional(positionals: string[], what: string): string {
  if (positionals.length !== 1) throw new CliError(`expected exactly one ${what}. See 'oncelink help'.`);
  return positionals[0]!;
}
