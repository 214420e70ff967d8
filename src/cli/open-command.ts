import { randomBytes } from "node:crypto";
import { open, rename, unlink, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { deriveKey as deriveKeyNode } from "altcha-lib/algorithms/sha";
import { openLinkStream, type OpenedStream } from "../client/open-link.js";
import { parseLinkUrl } from "../client/link-urls.js";
import { releaseBuffer } from "../core/release-buffer.js";
import { PasskeyRequiredError } from "../client/errors.js";
import { parseCommandArgs, singlePositional } from "./args.js";
import { CliError, EXIT_OK, writeFully, type CliContext } from "./cli-context.js";
import { readPassphraseFile } from "./passphrase-file.js";

/** Usage of `oncelink open`. */
export const OPEN_USAGE = `oncelink open URL [--out PATH] [--passphrase-file F]
  Opens a link (this uses it up), decrypts it here and writes the exact secret to stdout or to PATH
  (which must not exist yet). A file is streamed: with --out it goes to a temporary file beside PATH and is
  renamed to PATH only once its size and SHA-256 check out; a file cut off or altered is deleted and the exit
  status is 1. --passphrase-file F: the passphrase the link asks for (a wrong one is counted and leaves the link
  unopened). A link that asks for a passkey opens only in a web browser, unless it lets its passphrase replace the
  passkey and --passphrase-file is given. Exit 0 on success, 2 if the link is no longer available, 1 otherwise.`;

/** Where `--out` writes: an empty placeholder at PATH (claims the name) and a temp file beside it (gets the bytes). */
interface OutTarget {
  path: string;
  temp: string;
  handle: FileHandle;
}

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
  // Create the output files before consuming: if they cannot be written, the link must still be unspent.
  const out = values.out !== undefined ? await createOutTarget(values.out) : null;
  try {
    // The session is bound to a key pair made for this run (openLinkStream makes it). Running the command is the
    // deliberate act, so a second confirmation, if the server asks for one, is given here.
    const opened = await openLinkStream(url, { deriveKey: deriveKeyNode, confirm: async () => true, passphrase });
    if (out) await writeOut(opened, out);
    else await writeStdout(opened, ctx);
  } catch (err) {
    if (out) await discardOut(out);
    if (err instanceof PasskeyRequiredError) {
      throw new CliError(
        err.passphraseFallback
          ? "this link asks for a passkey, which only a web browser can provide; it also accepts its passphrase instead: pass it with --passphrase-file F. The link was not opened."
          : "this link asks for a passkey, which only a web browser can provide: open it in a browser. The link was not opened.",
      );
    }
    throw err;
  }
  return EXIT_OK;
}

/** Writes to the temp file, checks a file's size and hash, then renames the temp file over the placeholder. */
async function writeOut(opened: OpenedStream, out: OutTarget): Promise<void> {
  try {
    if (opened.kind === "file") {
      await writeChunks(opened.stream, (piece) => out.handle.write(piece));
      await opened.done;
    } else {
      await out.handle.writeFile(opened.kind === "text" ? Buffer.from(opened.text, "utf8") : opened.bytes);
    }
    await out.handle.sync();
  } finally {
    await out.handle.close();
  }
  // Atomic: PATH goes from our empty placeholder to the whole, verified content; never to a part of it.
  await rename(out.temp, out.path);
}

async function writeStdout(opened: OpenedStream, ctx: CliContext): Promise<void> {
  if (opened.kind !== "file") {
    await writeFully(ctx.stdout, opened.kind === "text" ? Buffer.from(opened.text, "utf8") : opened.bytes);
    return;
  }
  // Straight through: a pipe cannot be taken back, so a failure (exit 1, one line on stderr) says to discard it.
  await writeChunks(opened.stream, (piece) => writeFully(ctx.stdout, piece));
  await opened.done;
}

/**
 * Writes a file's decrypted pieces one after the other, and wipes and releases (releaseBuffer) each plaintext chunk
 * once all its pieces are written: they come one after the other (see createFileDecryptStream), so a piece of another
 * chunk says the previous one is done. The plaintext then neither lingers in memory nor waits for the collector.
 */
async function writeChunks(stream: ReadableStream<Uint8Array>, write: (piece: Uint8Array) => Promise<unknown>): Promise<void> {
  const reader = stream.getReader();
  let held: ArrayBufferLike | null = null;
  const letGo = () => {
    if (!(held instanceof ArrayBuffer)) return;
    const whole = new Uint8Array(held);
    whole.fill(0);
    releaseBuffer(whole);
  };
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (value.buffer !== held) {
      letGo();
      held = value.buffer;
    }
    await write(value);
  }
  letGo();
}

async function createOutTarget(path: string): Promise<OutTarget> {
  try {
    // "wx" fails if the path exists (no overwrite, no symlink following); 0600 because it holds a secret.
    await (await open(path, "wx", 0o600)).close();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST") throw new CliError(`${path} already exists; choose another --out path. The link was not opened.`);
    throw new CliError(`cannot create ${path}${code ? ` (${code})` : ""}. The link was not opened.`);
  }
  // Beside PATH, so the final rename stays on one file system and is atomic.
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.part`);
  try {
    return { path, temp, handle: await open(temp, "wx", 0o600) };
  } catch (err) {
    await unlink(path).catch(() => undefined);
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(`cannot create a temporary file beside ${path}${code ? ` (${code})` : ""}. The link was not opened.`);
  }
}

async function discardOut(out: OutTarget): Promise<void> {
  await out.handle.close().catch(() => undefined);
  // Both are ours: the placeholder still empty, the temp file unverified. Leaving them would make a retry fail.
  await unlink(out.temp).catch(() => undefined);
  await unlink(out.path).catch(() => undefined);
}
