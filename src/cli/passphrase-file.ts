import { readFile } from "node:fs/promises";
import { CliError } from "./cli-context.js";

/**
 * Reads `--passphrase-file F`: the whole file as UTF-8, minus a leading byte-order mark (Windows editors write one)
 * and one trailing line ending (what `echo` or an editor adds). A file that is not valid UTF-8 is refused: decoding it
 * leniently would turn its bytes into U+FFFD, so a different passphrase would open (or fail to open) the link.
 * A file rather than an argument: an argument is visible in the process list and lands in the shell history.
 */
export async function readPassphraseFile(path: string): Promise<string> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(`cannot read --passphrase-file ${path}${code ? ` (${code})` : ""}.`);
  }
  let text: string;
  try {
    // ignoreBOM: false (the default) drops a leading U+FEFF; fatal refuses invalid sequences.
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new CliError(`--passphrase-file ${path} is not valid UTF-8 text; save it as UTF-8.`);
  }
  const passphrase = text.replace(/\r?\n$/, "");
  if (passphrase === "") throw new CliError("the passphrase file is empty.");
  return passphrase;
}
