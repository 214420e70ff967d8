import { getStatus, revokeLink, type LinkStatus } from "../client/manage-link.js";
import { parseManageUrl } from "../client/link-urls.js";
import { parseCommandArgs, singlePositional } from "./args.js";
import { CliError, EXIT_OK, writeFully, type CliContext } from "./cli-context.js";

/** Usage of `oncelink status` and `oncelink revoke`. */
export const MANAGE_USAGE = `oncelink status MANAGE_URL [--json]
  Shows whether the link is fresh, consumed, expired or revoked, and when. --json prints the raw object.
oncelink revoke MANAGE_URL
  Revokes the link and destroys its content on the server.`;

/** `oncelink status`: the sender's view, human readable or (`--json`) as the API's snake_case object. */
export async function runStatus(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    await writeFully(ctx.stdout, `${MANAGE_USAGE}\n`);
    return EXIT_OK;
  }
  const manageUrl = requireManageUrl(positionals);
  const status = await getStatus(manageUrl);
  await writeFully(ctx.stdout, values.json ? `${JSON.stringify(statusJson(status))}\n` : formatStatus(status));
  return EXIT_OK;
}

/** `oncelink revoke`: revokes through the manage link; repeating it is harmless. */
export async function runRevoke(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, { help: { type: "boolean", short: "h" } });
  if (values.help) {
    await writeFully(ctx.stdout, `${MANAGE_USAGE}\n`);
    return EXIT_OK;
  }
  await revokeLink(requireManageUrl(positionals));
  await writeFully(ctx.stdout, "Revoked: the link no longer opens and its content is destroyed.\n");
  return EXIT_OK;
}

/** The status as the API spells it, so scripts see the same field names as with curl. */
function statusJson(status: LinkStatus): Record<string, unknown> {
  const p = status.policy;
  return {
    state: status.state,
    created_at: status.createdAt,
    expires_at: status.expiresAt,
    consumed_at: status.consumedAt,
    ended_at: status.endedAt,
    policy: {
      template: p.template,
      passphrase: p.passphrase,
      passkey: p.passkey,
      passkey_mode: p.passkeyMode,
      passphrase_fallback: p.passphraseFallback,
      preview: p.preview,
      allow_country: p.allowCountry,
      allow_ip: p.allowIp,
      deny_ip: p.denyIp,
    },
  };
}

function formatStatus(status: LinkStatus): string {
  // ended_at is when the link ended, whichever way; name the line after how it ended.
  const ended = status.state === "consumed" || status.state === "fresh" ? "opened" : status.state;
  return [
    `state:    ${status.state}`,
    `created:  ${status.createdAt}`,
    `expires:  ${status.expiresAt}`,
    `${`${ended}:`.padEnd(10)}${status.endedAt ?? "-"}`,
    `template: ${status.policy.template ?? "-"}`,
    "",
  ].join("\n");
}

function requireManageUrl(positionals: string[]): string {
  const url = singlePositional(positionals, "manage link (…/m/ID#TOKEN)");
  if (parseManageUrl(url) === null) {
    throw new CliError("not a complete oncelink manage link (expected …/m/ID#TOKEN).");
  }
  return url;
}
