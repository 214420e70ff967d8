/**
 * The server's master keyring and signing key (docs/formats.md, "Keys file").
 *
 * Master keys wrap per-link data keys and are versioned so an operator can rotate without downtime;
 * the signing key is the root of the HTTP layer's keys (see `deriveSubkey`). There is never a built-in
 * default key: keys come from the environment, from the keys file, or are generated into a new file.
 */
import { randomBytes } from "node:crypto";
import { fromBase64Url, toBase64Url } from "../core/base64url.js";
import { readPrivateFile, writePrivateFile } from "./private-file.js";

/** Every key in the keyring is 256 bits. */
export const KEY_BYTES = 32;

/** The loaded keys. `masterKeys` maps a version to its key; `currentVersion` wraps new data keys. */
export interface Keyring {
  currentVersion: number;
  masterKeys: ReadonlyMap<number, Buffer>;
  signingKey: Buffer;
}

/** The JSON layout of the keys file, format version 1. */
interface KeysFileV1 {
  version: 1;
  current: number;
  master: Record<string, string>;
  signing: string;
}

/** Thrown for any unusable key configuration. Messages name the source, never key material. */
export class KeyringError extends Error {
  override name = "KeyringError";
}

/**
 * Loads the keyring. With `envMasterKeys` (ONCELINK_MASTER_KEYS, `VERSION:BASE64URL32,...`, highest version
 * current) the master keys come from the environment, and the signing key from `envSigningKey`
 * (ONCELINK_SIGNING_KEY) or else from the keys file. Without it, the keys file is read, or generated with
 * fresh random keys (mode 0600, parent directory 0700) when it does not exist; `generated` then is true and
 * the caller should log that it happened.
 *
 * Throws (a KeyringError, or a plain Error for file-system faults) for a file readable by group or others,
 * a malformed file or variable, a key that is not 32 bytes, or a current version without a key. Messages
 * name the file or variable and the field, never key material.
 * @example
 * const { keyring, generated } = loadKeyring({ file: config.keysFile, envMasterKeys: env.ONCELINK_MASTER_KEYS });
 * if (generated) log.warn("generated a new master keyring; back it up");
 */
export function loadKeyring(opts: { file: string; envMasterKeys?: string; envSigningKey?: string }): {
  keyring: Keyring;
  generated: boolean;
} {
  if (opts.envMasterKeys !== undefined) {
    const { currentVersion, masterKeys } = parseEnvMasterKeys(opts.envMasterKeys);
    let signingKey: Buffer;
    if (opts.envSigningKey !== undefined) {
      signingKey = decodeKey(opts.envSigningKey, "ONCELINK_SIGNING_KEY");
    } else {
      const fromFile = readKeysFile(opts.file);
      if (fromFile === null) {
        // Generating a per-node signing key here would silently break tokens across a cluster.
        throw new KeyringError(
          `ONCELINK_MASTER_KEYS is set but there is no signing key: set ONCELINK_SIGNING_KEY or provide ${opts.file}`,
        );
      }
      signingKey = fromFile.signingKey;
    }
    return { keyring: makeKeyring(currentVersion, masterKeys, signingKey, "the environment"), generated: false };
  }
  if (opts.envSigningKey !== undefined) {
    // A signing key without master keys would be ignored in favour of the file: refuse instead of guessing.
    throw new KeyringError("ONCELINK_SIGNING_KEY is set without ONCELINK_MASTER_KEYS: set both or neither");
  }
  const existing = readKeysFile(opts.file);
  if (existing !== null) return { keyring: existing, generated: false };

  const masterKeys = new Map([[1, randomBytes(KEY_BYTES)]]);
  const fresh = makeKeyring(1, masterKeys, randomBytes(KEY_BYTES), opts.file);
  if (writeKeysFile(opts.file, fresh, "create")) return { keyring: fresh, generated: true };
  // Another process created the file between our read and our write: use its keys, not ours.
  const winner = readKeysFile(opts.file);
  if (winner === null) throw new KeyringError(`${opts.file} vanished while it was being created`);
  return { keyring: winner, generated: false };
}

/**
 * Adds master key version max+1, makes it current and rewrites the keys file atomically (mode 0600).
 * Existing wrapped data keys stay readable with their old version until `oncelink keys rewrap` moves them.
 * Concurrent rotations of one file are not serialized; run one operator command at a time.
 * @example const version = rotateMasterKey(config.keysFile); // 2
 */
export function rotateMasterKey(file: string): number {
  const keyring = readKeysFile(file);
  if (keyring === null) throw new KeyringError(`${file} does not exist; start the server once or create it first`);
  const next = Math.max(...keyring.masterKeys.keys()) + 1;
  const masterKeys = new Map(keyring.masterKeys);
  masterKeys.set(next, randomBytes(KEY_BYTES));
  writeKeysFile(file, makeKeyring(next, masterKeys, keyring.signingKey, file), "replace");
  return next;
}

/**
 * Parses ONCELINK_MASTER_KEYS: comma-separated `VERSION:BASE64URL32`; the highest version is current.
 * @example parseEnvMasterKeys("2:q83v...,1:3mZk...").currentVersion // 2
 */
export function parseEnvMasterKeys(text: string): { currentVersion: number; masterKeys: Map<number, Buffer> } {
  const masterKeys = new Map<number, Buffer>();
  const entries = text.split(",").map((entry) => entry.trim());
  for (const [index, entry] of entries.entries()) {
    // Messages cite the entry's position only: the entry itself is key material.
    const where = `ONCELINK_MASTER_KEYS entry ${index + 1}`;
    const colon = entry.indexOf(":");
    if (colon < 0) throw new KeyringError(`${where} is not VERSION:BASE64URL_KEY`);
    const version = parseVersion(entry.slice(0, colon));
    if (version === null) throw new KeyringError(`${where} has an invalid version (expected a positive integer)`);
    if (masterKeys.has(version)) throw new KeyringError(`${where} repeats version ${version}`);
    masterKeys.set(version, decodeKey(entry.slice(colon + 1), `${where} (version ${version})`));
  }
  return { currentVersion: Math.max(...masterKeys.keys()), masterKeys };
}

function parseVersion(text: string): number | null {
  if (!/^[1-9][0-9]{0,8}$/.test(text)) return null;
  return Number(text);
}

function decodeKey(text: string, where: string): Buffer {
  const bytes = fromBase64Url(text.trim());
  if (bytes === null) throw new KeyringError(`${where} is not unpadded base64url`);
  if (bytes.length !== KEY_BYTES) throw new KeyringError(`${where} must be ${KEY_BYTES} bytes, got ${bytes.length}`);
  return Buffer.from(bytes);
}

function makeKeyring(
  currentVersion: number,
  masterKeys: Map<number, Buffer>,
  signingKey: Buffer,
  source: string,
): Keyring {
  if (!masterKeys.has(currentVersion)) {
    throw new KeyringError(`${source}: current master key version ${currentVersion} has no key`);
  }
  for (const [version, key] of masterKeys) {
    // One secret in two roles would let a fault in one use leak into the other; it is a copy-paste accident.
    if (key.equals(signingKey)) {
      throw new KeyringError(`${source}: master key version ${version} equals the signing key`);
    }
  }
  return Object.freeze({ currentVersion, masterKeys, signingKey });
}

/** Reads and validates the keys file; null when it does not exist. */
function readKeysFile(file: string): Keyring | null {
  const text = readPrivateFile(file);
  return text === null ? null : parseKeysFile(text, file);
}

function parseKeysFile(text: string, file: string): Keyring {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    // V8's SyntaxError quotes the input, which would put key material in the message.
    throw new KeyringError(`${file} is not valid JSON`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new KeyringError(`${file} is not a JSON object`);
  }
  const data = raw as Partial<Record<keyof KeysFileV1, unknown>>;
  if (data.version !== 1) throw new KeyringError(`${file} has an unsupported format version (expected 1)`);
  if (typeof data.current !== "number" || parseVersion(String(data.current)) === null) {
    throw new KeyringError(`${file}: "current" must be a positive integer`);
  }
  if (typeof data.master !== "object" || data.master === null || Array.isArray(data.master)) {
    throw new KeyringError(`${file}: "master" must be an object of version -> key`);
  }
  const masterKeys = new Map<number, Buffer>();
  for (const [name, value] of Object.entries(data.master)) {
    const version = parseVersion(name);
    if (version === null) throw new KeyringError(`${file}: master key version "${name}" is not a positive integer`);
    if (typeof value !== "string") throw new KeyringError(`${file}: master key version ${version} is not a string`);
    masterKeys.set(version, decodeKey(value, `${file}: master key version ${version}`));
  }
  if (typeof data.signing !== "string") throw new KeyringError(`${file}: "signing" must be a string`);
  return makeKeyring(data.current, masterKeys, decodeKey(data.signing, `${file}: signing key`), file);
}

function writeKeysFile(file: string, keyring: Keyring, mode: "create" | "replace"): boolean {
  const versions = [...keyring.masterKeys.keys()].sort((a, b) => a - b);
  const body: KeysFileV1 = {
    version: 1,
    current: keyring.currentVersion,
    master: Object.fromEntries(versions.map((v) => [String(v), toBase64Url(keyring.masterKeys.get(v)!)])),
    signing: toBase64Url(keyring.signingKey),
  };
  return writePrivateFile(file, `${JSON.stringify(body, null, 2)}\n`, mode);
}
