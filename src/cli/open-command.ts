import { randomBytes } from "node:crypto";
import { renameSync, unlinkSync } from "node:fs";
import { open, unlink, type FileHandle } from "node:fs/promises";
import { constants as osConstants } from "node:os";
import { basename, dirname, join } from "node:path";
import { deriveKey as deriveKeyNode } from "altcha-lib/algorithms/sha";
import { openLinkStream, type OpenedFile, type OpenedStream } from "../client/open-link.js";
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
  status is 1; Ctrl-C, SIGTERM or SIGHUP remove both files (exit 130, 143, 129). --passphrase-file F: the
  passphrase the link asks for (a wrong one is counted and leaves the link unopened). A link that asks for a
  passkey opens only in a web browser, unless it lets its passphrase replace the passkey and --passphrase-file
  is given. Exit 0 on success, 2 if the link is no longer available, 1 otherwise.`;

/** Where `--out` writes: an empty placeholder at PATH (claims the name) and a temp file beside it (gets the bytes). */
interface OutTarget {
  path: string;
  temp: string;
  handle: FileHandle;
  /** The placeholder and the temp file until they are published or discarded (removed on a signal). */
  pending: PendingFiles;
}

/** Signals that end an `open --out` early; each removes our files, then exits 128 + its number (129, 130, 143). */
const CLEANUP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/**
 * The files an `open --out` made and has not published yet. On SIGINT, SIGTERM or SIGHUP they are removed
 * synchronously before the process exits: neither the empty placeholder nor the partial plaintext may stay behind.
 */
class PendingFiles {
  readonly paths = new Set<string>();
  private readonly handler = (signal: NodeJS.Signals) => {
    this.removeAllSync();
    process.exit(128 + (osConstants.signals[signal] ?? 0));
  };

  constructor() {
    for (const signal of CLEANUP_SIGNALS) process.on(signal, this.handler);
  }

  removeAllSync(): void {
    for (const path of this.paths) {
      try {
        unlinkSync(path);
      } catch {
        // Already gone.
      }
    }
    this.paths.clear();
  }

  dispose(): void {
    for (const signal of CLEANUP_SIGNALS) process.off(signal, this.handler);
  }
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
  const pending = values.out !== undefined ? new PendingFiles() : null;
  try {
    const out = values.out !== undefined ? await createOutTarget(values.out, pending!) : null;
    await openInto(url, passphrase, out, ctx);
  } finally {
    pending?.dispose();
  }
  return EXIT_OK;
}

async function openInto(url: string, passphrase: string | undefined, out: OutTarget | null, ctx: CliContext): Promise<void> {
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
}

/** Writes to the temp file, checks a file's size and hash, then renames the temp file over the placeholder. */
async function writeOut(opened: OpenedStream, out: OutTarget): Promise<void> {
  try {
    if (opened.kind === "file") {
      await writeChunks(opened, (piece) => writeAllToHandle(out.handle, piece));
      await opened.done;
    } else {
      await out.handle.writeFile(opened.kind === "text" ? Buffer.from(opened.text, "utf8") : opened.bytes);
    }
    await out.handle.sync();
  } finally {
    await out.handle.close();
  }
  // Atomic: PATH goes from our empty placeholder to the whole, verified content; never to a part of it. Synchronous,
  // so a signal handler cannot run between the rename and forgetting the files (it would delete the published file).
  renameSync(out.temp, out.path);
  out.pending.paths.clear();
}

/**
 * Writes all of `piece` at the handle's current position: a write may take only part of it (a full disk, a signal),
 * so it is repeated for the rest until everything is written. A write that takes nothing is an error.
 */
export async function writeAllToHandle(handle: Pick<FileHandle, "write">, piece: Uint8Array): Promise<void> {
  let at = 0;
  while (at < piece.length) {
    const { bytesWritten } = await handle.write(piece, at, piece.length - at, null);
    if (!(bytesWritten > 0)) throw Object.assign(new Error("the output file took no more bytes (ENOSPC?)."), { code: "EIO" });
    at += bytesWritten;
  }
}

async function writeStdout(opened: OpenedStream, ctx: CliContext): Promise<void> {
  if (opened.kind !== "file") {
    await writeFully(ctx.stdout, opened.kind === "text" ? Buffer.from(opened.text, "utf8") : opened.bytes);
    return;
  }
  // Straight through: a pipe cannot be taken back, so a failure (exit 1, one line on stderr) says to discard it.
  await writeChunks(opened, (piece) => writeFully(ctx.stdout, piece));
  await opened.done;
}

/**
 * Writes a file's decrypted pieces one after the other, and wipes and releases (releaseBuffer) each plaintext chunk
 * once all its pieces are written: they come one after the other (see createFileDecryptStream), so a piece of another
 * chunk says the previous one is done. The plaintext then neither lingers in memory nor waits for the collector.
 */
async function writeChunks(file: OpenedFile, write: (piece: Uint8Array) => Promise<unknown>): Promise<void> {
  const reader = file.stream.getReader();
  let held: ArrayBufferLike | null = null;
  const letGo = () => {
    if (!(held instanceof ArrayBuffer)) return;
    const whole = new Uint8Array(held);
    whole.fill(0);
    releaseBuffer(whole);
    held = null;
  };
  try {
    for (;;) {
      let next: ReadableStreamReadResult<Uint8Array>;
      try {
        next = await reader.read();
      } catch (err) {
        // The stream broke (cut off, altered): `done` says it as the library's error (FileIntegrityError, ...).
        throw await file.done.then(
          () => err,
          (reported: unknown) => reported,
        );
      }
      const { done, value } = next;
      if (done) break;
      if (value.buffer !== held) {
        letGo();
        held = value.buffer;
      }
      await write(value);
    }
  } catch (err) {
    // A failed write (EPIPE, ENOSPC) must stop the download too: cancelling the decrypted stream errors the decrypt
    // side, which cancels the fetch body and closes the connection. Left paused, it would keep the process alive.
    await reader.cancel(err).catch(() => undefined);
    throw err;
  } finally {
    letGo();
  }
}

async function createOutTarget(path: string, pending: PendingFiles): Promise<OutTarget> {
  try {
    // "wx" fails if the path exists (no overwrite, no symlink following); 0600 because it holds a secret.
    const placeholder = await open(path, "wx", 0o600);
    pending.paths.add(path);
    await placeholder.close();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST") throw new CliError(`${path} already exists; choose another --out path. The link was not opened.`);
    throw new CliError(`cannot create ${path}${code ? ` (${code})` : ""}. The link was not opened.`);
  }
  // Beside PATH, so the final rename stays on one file system and is atomic.
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.part`);
  try {
    // Counted as ours before it exists: a signal during the open then removes it too (unlinking a missing file is fine).
    pending.paths.add(temp);
    return { path, temp, handle: await open(temp, "wx", 0o600), pending };
  } catch (err) {
    pending.paths.delete(temp);
    pending.paths.delete(path);
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
  out.pending.paths.clear();
}
