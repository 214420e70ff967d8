import { parseDuration } from "../core/link.js";
import { normalizePasskeyHandle } from "../core/policy.js";
import { loadConfig } from "../config.js";
import { secureRandomBytes } from "../crypto/random.js";
import { parseCommandArgs, singlePositional } from "./args.js";
import { CliError, EXIT_OK, writeFully, type CliContext } from "./cli-context.js";

/** Usage of the operator's enrolment command. */
export const ENROL_USAGE = `oncelink enrol HANDLE [--ttl 7d] [--replace]
  Operator: prints a one-time link with which the recipient sets up a passkey under HANDLE (links made with
  --passkey-handle HANDLE then open only with it). --replace issues one for a handle that already has a passkey
  (a lost device); the old passkey keeps working until the new one is set up.
oncelink enrol --remove HANDLE
  Operator: forgets HANDLE and its passkey at once (a stolen device).`;

/**
 * `oncelink enrol`: the operator's side of passkey handles, straight on the store (same environment as `serve`).
 * Senders issue enrolment links through the API for new handles; only the operator can replace or remove a handle
 * someone already uses.
 */
export async function runEnrol(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    ttl: { type: "string" },
    replace: { type: "boolean" },
    remove: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    await writeFully(ctx.stdout, `${ENROL_USAGE}\n`);
    return EXIT_OK;
  }
  const handle = normalizePasskeyHandle(singlePositional(positionals, "handle"));
  if (handle === null) throw new CliError("a handle is 3 to 64 characters of a-z, 0-9, . _ @ - (case-folded).");
  const config = loadConfig(ctx.env);
  const { ENROLMENT_TTL, issueEnrolment } = await import("../http/routes/passkeys.js");
  let ttl = ENROLMENT_TTL.defaultSeconds;
  if (values.ttl !== undefined) {
    const parsed = parseDuration(values.ttl);
    if (parsed === null || parsed < ENROLMENT_TTL.minSeconds || parsed > ENROLMENT_TTL.maxSeconds) {
      throw new CliError("--ttl must be a duration between 1m and 30d, such as 90m, 24h or 7d.");
    }
    ttl = parsed;
  }
  if (values.remove && (values.replace || values.ttl !== undefined)) throw new CliError("--remove takes no other option.");
  const { openDependencies } = await import("../main.js");
  const { store } = await openDependencies(config);
  try {
    if (values.remove) {
      const removed = await store.removeHandle(handle);
      await writeFully(ctx.stdout, removed ? `Removed ${handle} and its passkey.\n` : `No handle ${handle}; nothing changed.\n`);
      return EXIT_OK;
    }
    const issued = await issueEnrolment({ store, config, random: secureRandomBytes, now: () => Date.now() }, handle, ttl, values.replace === true);
    if (issued === null) {
      throw new CliError(`${handle} already has a passkey or a pending enrolment link; use --replace to issue a new one anyway.`);
    }
    // The link on stdout alone, so it can be piped; what it is for on stderr.
    await writeFully(ctx.stdout, `${issued.enrolUrl}\n`);
    await writeFully(
      ctx.stderr,
      `Send this one-time link to the person behind ${handle}; it works until ${new Date(issued.expiresAt).toISOString()}.\n` +
        `Manage token for GET/DELETE /api/v1/handles/${handle} (keep it): ${issued.manageToken}\n`,
    );
    return EXIT_OK;
  } finally {
    await store.close();
  }
}
