import { readFile } from "node:fs/promises";
import { CliError } from "./cli-context.js";

/**
 * Reads `--passphrase-file F`: the whole file as UTF-8, minus one trailing newline (what `echo` or an editor adds).
 * A file rather than an argument: an argument is visible in the process list and lands in the shell history.
 */
export async function readPassphraseFile(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(`cannot read --passphrase-file ${path}${code ? ` (${code})` : ""}.`);
  }
  const passphrase = text.replace(/\r?\n$/, "");
  if (passphrase === "") throw new CliError("the passphrase file is empty.");
  return passphrase;
}
