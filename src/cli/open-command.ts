import { open, unlink, type FileHandle } from "node:fs/promises";
import { deriveKey as deriveKeyNode } from "altcha-lib/algorithms/sha";
import { openLink, type OpenedContent } from "../client/open-link.js";
import { parseLinkUrl } from "../client/link-urls.js";
import { PasskeyRequiredError } from "../client/errors.js";
import { parseCommandArgs, singlePositional } from "./args.js";
import { CliError, EXIT_OK, writeFully, type CliContext } from "./cli-context.js";
import { readPassphraseFile } from "./passphrase-file.js";

/** Usage of `oncelink open`. */
export const OPEN_USAGE = `oncelink open URL [--out PATH] [--passphrase-file F]
  Opens a link (this uses it up), decrypts it here and writes the exact secret to stdout or to PATH
  (which must not exist yet). --passphrase-file F: the passphrase the link asks for (a wrong one is counted
  and leaves the link unopened). A link that asks for a passkey opens only in a web browser, unless it lets its
  passphrase replace the passkey and --passphrase-file is given. Exit 0 on success, 2 if the link is no longer
  available, 1 otherwise.`;

/**
 * `oncelink open`: the whole two-step open through the client library, with node:crypto hashing for the
 * proof of work. Everything that can fail without burning the link (a malformed URL, a missing key, an
 * existing --out file) is checked before the consume.
 */
export async function runOpen(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    out: { type: "string", short: "o" },
    "passphrase-file": { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    await writeFully(ctx.stdout, `${OPEN_USAGE}\n`);
    return EXIT_OK;
  }
  const url = singlePositional(positionals, "link URL");
  if (parseLinkUrl(url) === null) {
    throw new CliError("not a complete oncelink link (expected …/l/ID#KEY); check that it was copied whole.");
  }

  const passphrase = values["passphrase-file"] === undefined ? undefined : await readPassphraseFile(values["passphrase-file"]);
  // Create the output file before consuming: if it cannot be written, the link must still be unspent.
  const outFile = values.out !== undefined ? await createOutFile(values.out) : null;
  let content: OpenedContent;
  try {
    // The session is bound to a key pair made for this run (openLink makes it). Running the command is the
    // deliberate act, so a second confirmation, if the server asks for one, is given here.
    content = await openLink(url, { deriveKey: deriveKeyNode, confirm: async () => true, passphrase });
  } catch (err) {
    if (outFile) await discardOutFile(outFile, values.out!);
    if (err instanceof PasskeyRequiredError) {
      throw new CliError(
        err.passphraseFallback
          ? "this link asks for a passkey, which only a web browser can provide; it also accepts its passphrase instead: pass it with --passphrase-file F. The link was not opened."
          : "this link asks for a passkey, which only a web browser can provide: open it in a browser. The link was not opened.",
      );
    }
    throw err;
  }

  const bytes = content.kind === "text" ? Buffer.from(content.text, "utf8") : content.bytes;
  if (outFile) {
    try {
      await outFile.writeFile(bytes);
    } finally {
      await outFile.close();
    }
  } else {
    await writeFully(ctx.stdout, bytes);
  }
  return EXIT_OK;
}

async function createOutFile(path: string): Promise<FileHandle> {
  try {
    // "wx" fails if the path exists (no overwrite, no symlink following); 0600 because it holds a secret.
    return await open(path, "wx", 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST") throw new CliError(`${path} already exists; choose another --out path. The link was not opened.`);
    throw new CliError(`cannot create ${path}${code ? ` (${code})` : ""}. The link was not opened.`);
  }
}

async function discardOutFile(handle: FileHandle, path: string): Promise<void> {
  await handle.close().catch(() => undefined);
  // The file is ours and still empty; leaving it would make a retry fail with "already exists".
  await unlink(path).catch(() => undefined);
}
