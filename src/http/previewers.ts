import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { buildRegistry, parseRegistryEntries, RegistryError, type PreviewerRegistry, type PreviewerSignature } from "../core/classify.js";
import { ConfigError } from "../config.js";

/** The built-in signature file, shipped in the repository (the same path from src/http and dist/http). */
export const BUILTIN_PREVIEWERS_FILE = fileURLToPath(new URL("../../config/previewers.json", import.meta.url));

function readSignatures(file: string, what: string): PreviewerSignature[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(`${what} (${file}) cannot be read: ${(err as NodeJS.ErrnoException).code ?? "error"}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigError(`${what} (${file}) is not valid JSON`);
  }
  try {
    return parseRegistryEntries(json);
  } catch (err) {
    if (err instanceof RegistryError) throw new ConfigError(`${what} (${file}): ${err.message}`);
    throw err;
  }
}

/**
 * Loads the previewer registry once at start: the operator's extra file (ONCELINK_PREVIEWERS_FILE), whose entries
 * are checked first, then the built-in list. A missing or malformed file stops the start with a ConfigError that
 * names the variable.
 */
export function loadPreviewerRegistry(extraFile: string | null, builtinFile: string = BUILTIN_PREVIEWERS_FILE): PreviewerRegistry {
  const extra = extraFile === null ? [] : readSignatures(extraFile, "ONCELINK_PREVIEWERS_FILE");
  return buildRegistry(extra, readSignatures(builtinFile, "the built-in previewer list"));
}
