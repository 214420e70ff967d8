import { open } from "node:fs/promises";
import { basename } from "node:path";
import { Readable } from "node:stream";
import { createFileLink } from "../client/create-file-link.js";
import { createLink, type CreatedLink } from "../client/create-link.js";
import { parseDuration } from "../core/link.js";
import { parseCommandArgs, rejectUnsupportedFlags, resolveServer } from "./args.js";
import { CliError, EXIT_OK, writeFully, type CliContext } from "./cli-context.js";
import { guessMediaType } from "./media-type.js";
import { readPassphraseFile } from "./passphrase-file.js";

/** Usage of `oncelink create`. */
export const CREATE_USAGE = `oncelink create [--server URL] [--ttl 24h] [--file PATH] [--passphrase-file F] [--no-preview] [--json]
  Reads a secret from stdin (or --file), encrypts it on this machine and prints the recipient link on stdout
  and the manage link on stderr. --file PATH streams the file (any size up to the server's limit; its name and
  type are sealed inside the encryption) in parts, with memory that does not grow with the file. --ttl takes 90s, 15m, 24h, 7d, 2w or seconds. --no-preview: chat apps and
  mail scanners get no "private one-time link" preview card. --passphrase-file F: the recipient must also type
  the passphrase in F (its first line ending is dropped); it is mixed into the encryption key, and five wrong
  tries destroy the link. --json prints one JSON object
  {url, manage_url, id, expires_at} on stdout instead.`;

/** A secret ready to seal: exact bytes, plus the name and type of a file. */
interface SecretInput {
  bytes: Uint8Array;
  name?: string;
  type?: string;
}

/**
 * `oncelink create`: reads the secret, encrypts it locally through the client library, registers it.
 * Stdin is sealed as bytes (not text) so that `create | open` reproduces the input byte for byte,
 * whatever its encoding or trailing newline.
 */
export async function runCreate(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    server: { type: "string" },
    ttl: { type: "string" },
    file: { type: "string" },
    json: { type: "boolean" },
    "no-preview": { type: "boolean" },
    template: { type: "string" },
    "passphrase-file": { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    await writeFully(ctx.stdout, `${CREATE_USAGE}\n`);
    return EXIT_OK;
  }
  rejectUnsupportedFlags(values, ["template"]);
  if (positionals.length > 0) {
    // A secret typed as an argument is already in the shell history; say so instead of accepting it.
    throw new CliError("takes no arguments; pipe the secret into stdin or use --file PATH.");
  }
  const server = resolveServer(values.server, ctx.env);
  const ttl = values.ttl === undefined ? undefined : parseTtl(values.ttl);

  const passphrase = values["passphrase-file"] === undefined ? undefined : await readPassphraseFile(values["passphrase-file"]);
  const preview = values["no-preview"] ? ("none" as const) : undefined;
  let link: CreatedLink;
  if (values.file !== undefined) {
    link = await createFileLinkFromDisk(values.file, { server, ttl, preview, passphrase });
  } else {
    const input = await readSecretFromStdin(ctx);
    link = await createLink({ server, bytes: input.bytes, name: input.name, type: input.type, ttl, preview, passphrase });
  }

  if (values.json) {
    const json = { url: link.url, manage_url: link.manageUrl, id: link.id, expires_at: link.expiresAt };
    await writeFully(ctx.stdout, `${JSON.stringify(json)}\n`);
  } else {
    await writeFully(ctx.stdout, `${link.url}\n`);
    await writeFully(ctx.stderr, `Manage link (status, revoke; keep it to yourself): ${link.manageUrl}\nExpires: ${link.expiresAt}\n`);
  }
  return EXIT_OK;
}

function parseTtl(text: string): number {
  const seconds = parseDuration(text);
  if (seconds === null || seconds <= 0) throw new CliError("--ttl must be a duration such as 90s, 15m, 24h or 7d.");
  return seconds;
}

/** A file link from a file on disk, read as a stream (bounded memory, any size); an empty file is a file too. */
async function createFileLinkFromDisk(
  path: string,
  opts: { server: string; ttl: number | undefined; preview: "none" | undefined; passphrase: string | undefined },
): Promise<CreatedLink> {
  let handle;
  try {
    handle = await open(path, "r");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(`cannot read --file ${path}${code ? ` (${code})` : ""}.`);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new CliError(`--file ${path} is not a regular file.`);
    const name = basename(path);
    const source = Readable.toWeb(handle.createReadStream({ autoClose: false, highWaterMark: 256 * 1024 })) as ReadableStream<Uint8Array>;
    return await createFileLink({ ...opts, source, name, type: guessMediaType(name), size: stat.size });
  } finally {
    await handle.close();
  }
}

async function readSecretFromStdin(ctx: CliContext): Promise<SecretInput> {
  if (ctx.stdin.isTTY) {
    // Reading a terminal would silently wait for typing; tell the user how to pass the secret instead.
    throw new CliError("no secret on stdin; pipe it in (e.g. `oncelink create < secret.txt`) or use --file PATH.");
  }
  const chunks: Uint8Array[] = [];
  for await (const chunk of ctx.stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Uint8Array));
  const bytes = Buffer.concat(chunks);
  if (bytes.length === 0) throw new CliError("the secret on stdin is empty; there is nothing to send.");
  return { bytes };
}
