import { OncelinkApiError, OncelinkError, PassphraseIncorrectError, UnavailableError } from "../client/errors.js";
import { FileStreamError } from "../crypto/file-stream.js";
import { CliError, EXIT_FAILURE, EXIT_OK, EXIT_UNAVAILABLE, processContext, writeFully, type CliContext } from "./cli-context.js";
import { CREATE_USAGE, runCreate } from "./create-command.js";
import { ENROL_USAGE, runEnrol } from "./enrol-command.js";
import { KEYS_USAGE, runKeys } from "./keys-command.js";
import { MANAGE_USAGE, runRevoke, runStatus } from "./manage-commands.js";
import { OPEN_USAGE, runOpen } from "./open-command.js";
import { runTemplates, TEMPLATES_USAGE } from "./templates-command.js";

/** Usage of `oncelink serve`. */
export const SERVE_USAGE = `oncelink serve
  Serves the web app and API (configuration by environment variables, see the README).`;

/** The usage text of the whole command. */
export const USAGE = `Usage: oncelink <command> [options]

${SERVE_USAGE}
${CREATE_USAGE}
${OPEN_USAGE}
${MANAGE_USAGE}
${TEMPLATES_USAGE}
${KEYS_USAGE}
${ENROL_USAGE}
oncelink help
  Shows this text.

--server defaults to $ONCELINK_SERVER, else http://localhost:8080.
`;

type Command = (args: string[], ctx: CliContext) => Promise<number>;

const COMMANDS: Readonly<Record<string, Command>> = {
  serve: runServe,
  create: runCreate,
  open: runOpen,
  status: runStatus,
  revoke: runRevoke,
  templates: runTemplates,
  keys: runKeys,
  enrol: runEnrol,
};

/**
 * Entry point of the `oncelink` command (`bin/oncelink.js` calls it with `process.argv.slice(2)`).
 * Sets `process.exitCode` instead of exiting, so pending output is flushed: 0 on success, 2 when a link is
 * unavailable, 1 for anything else, with a one-line reason on stderr.
 * @example await main(["open", "https://s.example/l/ID#KEY"]);
 */
export async function main(argv: string[], ctx: CliContext = processContext()): Promise<void> {
  process.exitCode = await runCommand(argv, ctx);
}

/** Runs one command line and returns its exit status; every expected failure is reported on `ctx.stderr`. */
export async function runCommand(argv: string[], ctx: CliContext): Promise<number> {
  const [verb, ...args] = argv;
  if (verb === undefined) {
    await writeFully(ctx.stderr, USAGE);
    return EXIT_FAILURE;
  }
  if (verb === "help" || verb === "--help" || verb === "-h") {
    await writeFully(ctx.stdout, USAGE);
    return EXIT_OK;
  }
  const command = COMMANDS[verb];
  if (command === undefined) {
    // The verb itself is not echoed back: a pasted secret in that position would land in a terminal log.
    await writeFully(ctx.stderr, `oncelink: unknown command.\n\n${USAGE}`);
    return EXIT_FAILURE;
  }
  try {
    return await command(args, ctx);
  } catch (err) {
    const { message, exitCode } = describeFailure(verb, err);
    await writeFully(ctx.stderr, `oncelink ${verb}: ${oneLine(message)}\n`).catch(() => undefined);
    return exitCode;
  }
}

async function runServe(args: string[], ctx: CliContext): Promise<number> {
  if (args.length === 1 && (args[0] === "--help" || args[0] === "-h")) {
    await writeFully(ctx.stdout, `${SERVE_USAGE}\n`);
    return EXIT_OK;
  }
  if (args.length > 0) throw new CliError("serve takes no arguments; it is configured by environment variables.");
  // Imported on demand so the client verbs never load Fastify, SQLite and the keyring.
  const { serve, isConfigurationError } = await import("../main.js");
  try {
    await serve(ctx.env);
  } catch (err) {
    // A bad setting gets one plain line; any other failure of the start is reported by runCommand. Either way the
    // exit status is non-zero, so scripts and supervisors see that nothing is served.
    if (isConfigurationError(err)) throw new CliError(`configuration error: ${err.message}`);
    throw err;
  }
  return EXIT_OK;
}

function describeFailure(verb: string, err: unknown): { message: string; exitCode: number } {
  if (err instanceof CliError) return { message: err.message, exitCode: err.exitCode };
  if (err instanceof UnavailableError) {
    const message =
      verb === "open"
        ? "this link is no longer available (already opened, expired, revoked, or it never existed)."
        : "no such link, or the manage link is wrong.";
    return { message, exitCode: EXIT_UNAVAILABLE };
  }
  // The last wrong try ended the link: like any link that is gone, exit 2, so a script does not try again.
  if (err instanceof PassphraseIncorrectError && err.attemptsLeft === 0) return { message: err.message, exitCode: EXIT_UNAVAILABLE };
  if (err instanceof OncelinkApiError) return { message: `${err.message} (${err.code})`, exitCode: EXIT_FAILURE };
  if (err instanceof OncelinkError) return { message: err.message, exitCode: EXIT_FAILURE };
  if (err instanceof FileStreamError) {
    return { message: `${err.message} The link is now used up; nothing that was received can be trusted.`, exitCode: EXIT_FAILURE };
  }
  if ((err as NodeJS.ErrnoException | null)?.code === "EPIPE") {
    return { message: "the output was closed before everything was written (EPIPE).", exitCode: EXIT_FAILURE };
  }
  // A bug or a system fault (ENOSPC, EACCES): the message names the fault; none of our secrets is in it.
  return { message: err instanceof Error ? err.message : String(err), exitCode: EXIT_FAILURE };
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}
