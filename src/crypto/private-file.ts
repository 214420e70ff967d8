/**
 * Owner-only files for secrets (the keys file): read only when nobody else can read them, written atomically.
 * Node-only; used by the keyring, not by the client layer.
 */
import { randomBytes } from "node:crypto";
import {
  closeSync,
  fstatSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";

/**
 * Reads a UTF-8 file that only its owner may read; null when it does not exist. Throws when the file is
 * readable or writable by group or others (`mode & 0o077`) or is not a regular file. The check is skipped on
 * Windows, which has no POSIX modes.
 * @example const text = readPrivateFile("/var/lib/oncelink/keys.json"); // null: generate one
 */
export function readPrivateFile(file: string): string | null {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return null;
    throw new Error(`cannot open ${file}: ${code ?? "unknown error"}`);
  }
  try {
    // fstat on the open descriptor: the mode we check belongs to the bytes we read, with no swap in between.
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new Error(`${file} is not a regular file`);
    if (process.platform !== "win32" && (stat.mode & 0o077) !== 0) {
      const mode = (stat.mode & 0o777).toString(8).padStart(4, "0");
      throw new Error(`${file} is readable by group or others (mode ${mode}); run chmod 600 on it`);
    }
    return readFileSync(fd, "utf8");
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `text` to `file` through a temp file with mode 0600 in the same directory (created with mode 0700
 * if missing), so a reader sees the old file or the whole new one, never a torn write.
 * - "create" publishes with link(), which fails when the file appeared meanwhile: returns false and leaves the
 *   existing file alone (two first starts must not end up with two different keyrings).
 * - "replace" publishes with rename() and always returns true.
 * @example if (!writePrivateFile(file, json, "create")) text = readPrivateFile(file);
 */
export function writePrivateFile(file: string, text: string, mode: "create" | "replace"): boolean {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.${randomBytes(6).toString("hex")}.tmp`;
  let published = true;
  try {
    const fd = openSync(tmp, "wx", 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (mode === "replace") renameSync(tmp, file);
    else published = linkExclusive(tmp, file);
  } finally {
    rmSync(tmp, { force: true });
  }
  if (published) syncDirectory(dir);
  return published;
}

function linkExclusive(tmp: string, file: string): boolean {
  try {
    linkSync(tmp, file);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return false;
    // A few file systems have no hard links; rename is still atomic there, only the race guard is lost.
    if (code === "EPERM" || code === "ENOTSUP" || code === "EOPNOTSUPP" || code === "ENOSYS") {
      renameSync(tmp, file);
      return true;
    }
    throw error;
  }
}

function syncDirectory(dir: string): void {
  // Makes the new directory entry survive a crash. Best effort: not every platform can fsync a directory.
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Windows cannot open a directory; the rename or link is still atomic there.
  }
}
