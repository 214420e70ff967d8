import { open, type FileHandle } from "node:fs/promises";
import { basename } from "node:path";
import { createFileLink, type PartRetry } from "../client/create-file-link.js";
import { OncelinkApiError } from "../client/errors.js";
import { createLinks, type CreatedLink, type LinkPolicyOptions } from "../client/create-link.js";
import { parseCountryCodes } from "../core/countries.js";
import { MAX_RECIPIENTS } from "../core/templates.js";
import { MAX_SECRET_BYTES_CEILING, parseDuration } from "../core/link.js";
import { normalizePasskeyHandle } from "../core/policy.js";
import { parseCommandArgs, resolveServer } from "./args.js";
import { CliError, EXIT_OK, writeFully, type CliContext } from "./cli-context.js";
import { guessMediaType } from "./media-type.js";
import { readPassphraseFile } from "./passphrase-file.js";

/** Usage of `oncelink create`. */
export const CREATE_USAGE = `oncelink create [--server URL] [--ttl 24h] [--template NAME] [--file PATH] [--passphrase-file F]
               [--allow-ip CIDR]... [--deny-ip CIDR]... [--allow-country CC]... [--recipients N] [--no-preview]
               [--passkey | --passkey-handle HANDLE] [--passphrase-fallback] [--json]
  Reads a secret from stdin (or --file), encrypts it on this machine and prints the recipient link on stdout
  and the manage link on stderr. Stdin takes up to the server's MAX_SECRET_BYTES (1 MiB unless set otherwise);
  larger input goes in a file, with --file. --file PATH streams the file (any size up to the server's limit; its name and
  type are sealed inside the encryption) in parts, with memory that does not grow with the file. --ttl takes 90s,
  15m, 24h, 7d, 2w or seconds. --template NAME applies a policy template (lightweight, standard, ultra-secure or
  the server's own; see 'oncelink templates'); other options may only make it stricter. --no-preview: chat apps
  and mail scanners get no "private one-time link" preview card. --passphrase-file F: the recipient must also type
  the passphrase in F (its last line ending is dropped); it is mixed into the encryption key, and five wrong
  tries destroy the link. --allow-ip / --deny-ip CIDR: only from (or never from) these networks. --allow-country
  CC: only from these countries (ISO codes such as DE; repeat or separate with commas). --passkey: the recipient
  must confirm with a passkey (fingerprint, face, PIN) in a browser; --passkey-handle HANDLE: only the passkey
  enrolled under HANDLE opens it (see oncelink enrol); either one meets a template that needs a passkey; both work
  with --file too. --passphrase-fallback: with a passphrase, either one opens it (not with a template or server
  that requires a passkey or a passphrase). --recipients N (1-${MAX_RECIPIENTS}): N independent links for the same
  secret from stdin, one per line on stdout (their manage links on stderr); a --file link has one recipient.
  --json prints one JSON object
  {url, manage_url, id, expires_at, links: [{url, manage_url, id, expires_at}, ...]} on stdout instead.`;

/** The most `create` reads from stdin: the largest secret any server can be configured to accept. */
export const MAX_STDIN_BYTES = MAX_SECRET_BYTES_CEILING;

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
    passkey: { type: "boolean" },
    "passkey-handle": { type: "string" },
    "passphrase-fallback": { type: "boolean" },
    "allow-ip": { type: "string", multiple: true },
    "deny-ip": { type: "string", multiple: true },
    "allow-country": { type: "string", multiple: true },
    recipients: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    await writeFully(ctx.stdout, `${CREATE_USAGE}\n`);
    return EXIT_OK;
  }
  if (positionals.length > 0) {
    // A secret typed as an argument is already in the shell history; say so instead of accepting it.
    throw new CliError("takes no arguments; pipe the secret into stdin or use --file PATH.");
  }
  const server = resolveServer(values.server, ctx.env);
  if (values.passkey && values["passkey-handle"] !== undefined) throw new CliError("use --passkey or --passkey-handle, not both.");
  let passkey: "required" | { handle: string } | undefined;
  if (values.passkey) passkey = "required";
  if (values["passkey-handle"] !== undefined) {
    const handle = normalizePasskeyHandle(values["passkey-handle"]);
    if (handle === null) throw new CliError("--passkey-handle must be 3 to 64 characters of a-z, 0-9, . _ @ -");
    passkey = { handle };
  }
  if (values["passphrase-fallback"] && (passkey === undefined || values["passphrase-file"] === undefined)) {
    throw new CliError("--passphrase-fallback needs a passkey (--passkey or --passkey-handle) and --passphrase-file.");
  }
  const ttl = values.ttl === undefined ? undefined : parseTtl(values.ttl);
  const recipients = values.recipients === undefined ? 1 : parseRecipients(values.recipients);
  const allowCountry = values["allow-country"] === undefined ? undefined : parseCountries(values["allow-country"]);

  const passphrase = values["passphrase-file"] === undefined ? undefined : await readPassphraseFile(values["passphrase-file"]);
  const options: LinkPolicyOptions = {
    ttl,
    preview: values["no-preview"] ? "none" : undefined,
    passphrase,
    passkey,
    passphraseFallback: values["passphrase-fallback"] === true,
    template: values.template,
    allowIp: parseNetworks(values["allow-ip"], "--allow-ip"),
    denyIp: parseNetworks(values["deny-ip"], "--deny-ip"),
    allowCountry,
  };
  let links: CreatedLink[];
  if (values.file !== undefined) {
    // The server refuses it too (FILE_RECIPIENTS_UNSUPPORTED); said here before a byte is read or sent.
    if (recipients > 1) throw new CliError("--recipients works with a secret from stdin; a --file link has one recipient (run create once per recipient).");
    links = [await createFileLinkFromDisk(values.file, server, options, ctx)];
  } else {
    const input = await readSecretFromStdin(ctx);
    try {
      links = await createLinks({ server, bytes: input.bytes, name: input.name, type: input.type, ...options, recipients });
    } catch (err) {
      if (err instanceof OncelinkApiError && err.code === "PAYLOAD_TOO_LARGE") {
        throw new CliError("the secret is larger than this server accepts for a text link (MAX_SECRET_BYTES); save it to a file and send it with --file PATH.");
      }
      throw err;
    }
  }

  if (values.json) {
    const items = links.map((link) => ({ url: link.url, manage_url: link.manageUrl, id: link.id, expires_at: link.expiresAt }));
    await writeFully(ctx.stdout, `${JSON.stringify({ ...items[0], links: items })}\n`);
  } else {
    await writeFully(ctx.stdout, links.map((link) => `${link.url}\n`).join(""));
    const manage =
      links.length === 1
        ? `Manage link (status, revoke; keep it to yourself): ${links[0]!.manageUrl}\n`
        : `Manage links (status, revoke; keep them to yourself), in the same order:\n${links.map((l, i) => `  ${i + 1}. ${l.manageUrl}\n`).join("")}`;
    await writeFully(ctx.stderr, `${manage}Expires: ${links[0]!.expiresAt}\n`);
  }
  return EXIT_OK;
}

/** Repeated flags, each possibly a comma-separated list. */
function splitList(values: string[] | undefined): string[] | undefined {
  if (values === undefined) return undefined;
  return values.flatMap((v) => v.split(",")).map((v) => v.trim()).filter((v) => v !== "");
}

/**
 * --allow-ip / --deny-ip: refused when given with no entry at all (`--allow-ip "$UNSET"` or `--allow-ip ,`). Dropping
 * it would make a link open to every network while the sender asked for a restriction.
 */
function parseNetworks(values: string[] | undefined, flag: string): string[] | undefined {
  const list = splitList(values);
  if (list !== undefined && list.length === 0) throw new CliError(`${flag} was given without a network; name at least one CIDR such as 192.0.2.0/24.`);
  return list;
}

function parseCountries(values: string[]): string[] {
  const codes = parseCountryCodes(splitList(values) ?? []);
  if (codes === null || codes.length === 0) throw new CliError("--allow-country takes ISO 3166-1 alpha-2 country codes such as DE or FR.");
  return codes;
}

function parseRecipients(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > MAX_RECIPIENTS) throw new CliError(`--recipients must be a whole number from 1 to ${MAX_RECIPIENTS}.`);
  return n;
}

function parseTtl(text: string): number {
  const seconds = parseDuration(text);
  if (seconds === null || seconds <= 0) throw new CliError("--ttl must be a duration such as 90s, 15m, 24h or 7d.");
  return seconds;
}

/** A file link from a file on disk, read as a stream (bounded memory, any size); an empty file is a file too. */
async function createFileLinkFromDisk(path: string, server: string, opts: LinkPolicyOptions, ctx: CliContext): Promise<CreatedLink> {
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
    // Parts go out as request streams: Node's fetch takes them, and sends each from createFileLink's part buffer.
    // A part that fails on the way is sent again (createFileLink's default: 3 times); each retry is said on stderr, so
    // a pause is explained. Never on stdout, which holds only the link.
    const onRetry = ({ part, retry, error }: PartRetry) => {
      const reason = error.message.replace(/\s+/g, " ").replace(/\.$/, "");
      writeFully(ctx.stderr, `oncelink create: part ${part} of the file did not go through (${reason}); sending it again (retry ${retry}).\n`).catch(() => undefined);
    };
    return await createFileLink({
      ...opts,
      server,
      source: fileSource(handle),
      name,
      type: guessMediaType(name),
      size: stat.size,
      streamParts: true,
      onRetry,
    });
  } finally {
    await handle.close();
  }
}

/**
 * The file's bytes as a stream that reads them into one buffer, piece after piece. It reads only when asked (no
 * high-water mark), and createFileLink asks for a piece only once the previous one is encrypted: so one buffer serves
 * the whole file, where a file stream would allocate one per read for the collector to find.
 */
function fileSource(handle: FileHandle): ReadableStream<Uint8Array> {
  const buffer = new Uint8Array(256 * 1024);
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
        if (bytesRead === 0) controller.close();
        else controller.enqueue(buffer.subarray(0, bytesRead));
      },
    },
    { highWaterMark: 0 },
  );
}

async function readSecretFromStdin(ctx: CliContext): Promise<SecretInput> {
  if (ctx.stdin.isTTY) {
    // Reading a terminal would silently wait for typing; tell the user how to pass the secret instead.
    throw new CliError("no secret on stdin; pipe it in (e.g. `oncelink create < secret.txt`) or use --file PATH.");
  }
  // Bounded: past the largest text secret any server accepts, reading stops (leaving the loop destroys the stream)
  // instead of buffering whatever is piped in. The server's own, usually lower, limit answers PAYLOAD_TOO_LARGE.
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of ctx.stdin) {
    const piece = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Uint8Array);
    total += piece.length;
    if (total > MAX_STDIN_BYTES) {
      throw new CliError(
        `the input on stdin is larger than any server accepts for a text link (${MAX_STDIN_BYTES / 1024 / 1024} MiB); save it to a file and send it with --file PATH.`,
      );
    }
    chunks.push(piece);
  }
  const bytes = Buffer.concat(chunks);
  if (bytes.length === 0) throw new CliError("the secret on stdin is empty; there is nothing to send.");
  return { bytes };
}
