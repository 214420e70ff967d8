import { listTemplates } from "../client/templates.js";
import { parseCommandArgs, resolveServer } from "./args.js";
import { CliError, EXIT_OK, writeFully, type CliContext } from "./cli-context.js";

/** Usage of `oncelink templates`. */
export const TEMPLATES_USAGE = `oncelink templates [--server URL] [--json]
  Lists the server's policy templates (for create --template NAME) with what each does, and what the server
  requires of every link. --json prints them as one JSON object, with the client library's field names.`;

/** `oncelink templates`: what a sender can choose, in plain words. */
export async function runTemplates(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    server: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    await writeFully(ctx.stdout, `${TEMPLATES_USAGE}\n`);
    return EXIT_OK;
  }
  if (positionals.length > 0) throw new CliError("takes no arguments. See 'oncelink help'.");
  const server = resolveServer(values.server, ctx.env);
  const found = await listTemplates({ server, language: "en" });
  if (values.json) {
    await writeFully(ctx.stdout, `${JSON.stringify(found)}\n`);
    return EXIT_OK;
  }
  const width = Math.max(...found.templates.map((t) => t.id.length));
  const lines = found.templates.map((t) => `${t.id.padEnd(width)}  ${t.name}${t.id === found.defaultTemplate ? " (default)" : ""}: ${t.summary}`);
  const m = found.minimums;
  const rules = [
    m.passphrase ? "a passphrase on every link" : null,
    m.passkey ? "a passkey on every link" : null,
    m.maxTtl !== null ? `a lifetime of at most ${m.maxTtl}s` : null,
    m.allowCountry.length > 0 ? `opening only in ${m.allowCountry.join(", ")}` : null,
  ].filter((r) => r !== null);
  if (rules.length > 0) lines.push("", `This server requires ${rules.join(", ")}.`);
  await writeFully(ctx.stdout, `${lines.join("\n")}\n`);
  return EXIT_OK;
}
