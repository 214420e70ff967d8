import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadKeyring, rotateMasterKey } from "./keyring.js";

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64url");
const posix = process.platform !== "win32";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "oncelink-keyring-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeKeys(file: string, content: unknown, mode = 0o600): void {
  writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content), { mode });
  chmodSync(file, mode);
}

/** Asserts that loading throws, and that the message quotes none of the given secrets. */
function expectRefused(load: () => unknown, secrets: string[], pattern?: RegExp): void {
  let message = "";
  try {
    load();
  } catch (error) {
    message = (error as Error).message;
  }
  expect(message, "expected an error").not.toBe("");
  if (pattern) expect(message).toMatch(pattern);
  for (const secret of secrets) expect(message).not.toContain(secret);
}

describe("keys file", () => {
  it("generates a 0600 file in a 0700 directory, and a second load reads the same keys", () => {
    const file = join(dir, "nested", "data", "keys.json");
    const first = loadKeyring({ file });
    expect(first.generated).toBe(true);
    expect(first.keyring.currentVersion).toBe(1);
    expect(first.keyring.masterKeys.get(1)).toHaveLength(32);
    expect(first.keyring.signingKey).toHaveLength(32);
    if (posix) {
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(statSync(join(dir, "nested", "data")).mode & 0o777).toBe(0o700);
    }
    const json = JSON.parse(readFileSync(file, "utf8")) as { version: number; current: number; master: Record<string, string>; signing: string };
    expect(json).toEqual({ version: 1, current: 1, master: { "1": b64(first.keyring.masterKeys.get(1)!) }, signing: b64(first.keyring.signingKey) });
    expect(readdirSync(join(dir, "nested", "data"))).toEqual(["keys.json"]);

    const second = loadKeyring({ file });
    expect(second.generated).toBe(false);
    expect(second.keyring.masterKeys.get(1)!.equals(first.keyring.masterKeys.get(1)!)).toBe(true);
    expect(second.keyring.signingKey.equals(first.keyring.signingKey)).toBe(true);
  });

  it("generates fresh keys every run: no key is shared with another run or between roles", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const file = join(dir, `run-${i}`, "keys.json");
      const { keyring, generated } = loadKeyring({ file });
      expect(generated).toBe(true);
      const text = readFileSync(file, "utf8");
      for (const earlier of seen) expect(text).not.toContain(earlier);
      for (const key of [keyring.masterKeys.get(1)!, keyring.signingKey]) seen.add(b64(key));
    }
    expect(seen.size).toBe(10);
  });

  it("concurrent first starts agree on one keyring (real processes)", async () => {
    const file = join(dir, "data", "keys.json");
    const module = fileURLToPath(new URL("./keyring.ts", import.meta.url));
    const script =
      `import { loadKeyring } from ${JSON.stringify(module)};` +
      `const { keyring, generated } = loadKeyring({ file: ${JSON.stringify(file)} });` +
      `console.log(JSON.stringify([generated, keyring.masterKeys.get(1).toString("hex"), keyring.signingKey.toString("hex")]));`;
    const run = promisify(execFile);
    const results = await Promise.all(
      Array.from({ length: 6 }, () => run(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script])),
    );
    const outputs = results.map((r) => JSON.parse(r.stdout) as [boolean, string, string]);
    expect(outputs.filter(([generated]) => generated)).toHaveLength(1);
    const onDisk = loadKeyring({ file }).keyring;
    for (const [, master, signing] of outputs) {
      expect(master).toBe(onDisk.masterKeys.get(1)!.toString("hex"));
      expect(signing).toBe(onDisk.signingKey.toString("hex"));
    }
    expect(readdirSync(join(dir, "data"))).toEqual(["keys.json"]);
  });

  it.skipIf(!posix)("refuses a file readable by group or others, without quoting it", () => {
    const file = join(dir, "keys.json");
    const { keyring } = loadKeyring({ file });
    const secrets = [b64(keyring.masterKeys.get(1)!), b64(keyring.signingKey)];
    for (const mode of [0o644, 0o640, 0o604, 0o660]) {
      chmodSync(file, mode);
      expectRefused(() => loadKeyring({ file }), secrets, /chmod 600/);
    }
    chmodSync(file, 0o400);
    expect(loadKeyring({ file }).generated).toBe(false);
  });

  it("refuses malformed files with messages that contain no key material", () => {
    const file = join(dir, "keys.json");
    const k1 = b64(randomBytes(32));
    const k2 = b64(randomBytes(32));
    const short = b64(randomBytes(31));
    const long = b64(randomBytes(33));
    const cases: Array<[unknown, RegExp]> = [
      [`{"version":1,"current":1,"master":{"1":"${k1}"},"signing":"${k2}"`, /not valid JSON/],
      [`["${k1}"]`, /not a JSON object/],
      [{ version: 2, current: 1, master: { "1": k1 }, signing: k2 }, /format version/],
      [{ version: 1, current: "1", master: { "1": k1 }, signing: k2 }, /current/],
      [{ version: 1, current: 0, master: { "1": k1 }, signing: k2 }, /current/],
      [{ version: 1, current: 1, master: [k1], signing: k2 }, /master/],
      [{ version: 1, current: 1, master: { "01": k1 }, signing: k2 }, /version/],
      [{ version: 1, current: 1, master: { "1": 5 }, signing: k2 }, /not a string/],
      [{ version: 1, current: 1, master: { "1": short }, signing: k2 }, /32 bytes/],
      [{ version: 1, current: 1, master: { "1": long }, signing: k2 }, /32 bytes, got 33/],
      [{ version: 1, current: 1, master: { "1": `${k1}==` }, signing: k2 }, /base64url/],
      [{ version: 1, current: 1, master: { "1": k1 }, signing: short }, /signing key must be 32 bytes/],
      [{ version: 1, current: 1, master: { "1": k1 } }, /signing/],
      [{ version: 1, current: 2, master: { "1": k1 }, signing: k2 }, /version 2 has no key/],
      [{ version: 1, current: 1, master: { "1": k1 }, signing: k1 }, /equals the signing key/],
    ];
    for (const [content, pattern] of cases) {
      writeKeys(file, content);
      expectRefused(() => loadKeyring({ file }), [k1, k2, short, long], pattern);
    }
  });

  it("refuses a path that is not a regular file", () => {
    expectRefused(() => loadKeyring({ file: dir }), [], /not a regular file/);
  });
});

describe("environment keys", () => {
  const file = (): string => join(dir, "keys.json");

  it("parse VERSION:KEY lists with the highest version current, in any order", () => {
    const k1 = randomBytes(32);
    const k2 = randomBytes(32);
    const k7 = randomBytes(32);
    const signing = randomBytes(32);
    const { keyring, generated } = loadKeyring({
      file: file(),
      envMasterKeys: ` 2:${b64(k2)}, 7:${b64(k7)} ,1:${b64(k1)}`,
      envSigningKey: b64(signing),
    });
    expect(generated).toBe(false);
    expect(keyring.currentVersion).toBe(7);
    expect([...keyring.masterKeys.keys()].sort()).toEqual([1, 2, 7]);
    expect(keyring.masterKeys.get(2)!.equals(k2)).toBe(true);
    expect(keyring.signingKey.equals(signing)).toBe(true);
    // Environment keys never cause a file to be written.
    expect(readdirSync(dir)).toEqual([]);
  });

  it("take the signing key from the file when ONCELINK_SIGNING_KEY is absent", () => {
    const fromFile = loadKeyring({ file: file() }).keyring;
    const master = randomBytes(32);
    const { keyring } = loadKeyring({ file: file(), envMasterKeys: `3:${b64(master)}` });
    expect(keyring.currentVersion).toBe(3);
    expect(keyring.masterKeys.get(3)!.equals(master)).toBe(true);
    expect(keyring.masterKeys.has(1)).toBe(false);
    expect(keyring.signingKey.equals(fromFile.signingKey)).toBe(true);
  });

  it("refuse to invent a signing key when master keys come from the environment", () => {
    const master = b64(randomBytes(32));
    expectRefused(() => loadKeyring({ file: file(), envMasterKeys: `1:${master}` }), [master], /ONCELINK_SIGNING_KEY/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("refuse a signing key without master keys", () => {
    const signing = b64(randomBytes(32));
    expectRefused(() => loadKeyring({ file: file(), envSigningKey: signing }), [signing], /ONCELINK_MASTER_KEYS/);
  });

  it("refuse bad values with messages that contain no key material", () => {
    const good = b64(randomBytes(32));
    const short = b64(randomBytes(16));
    const signing = b64(randomBytes(32));
    const cases: Array<[string, RegExp]> = [
      ["", /entry 1 is not VERSION:BASE64URL_KEY/],
      [good, /entry 1 is not VERSION:BASE64URL_KEY/],
      [`1:${good},`, /entry 2/],
      [`0:${good}`, /invalid version/],
      [`-1:${good}`, /invalid version/],
      [`v1:${good}`, /invalid version/],
      [`1.5:${good}`, /invalid version/],
      [`1:${short}`, /entry 1 \(version 1\) must be 32 bytes, got 16/],
      [`1:${good}!`, /not unpadded base64url/],
      [`1:${good},1:${good}`, /repeats version 1/],
      [`1:${signing}`, /equals the signing key/],
    ];
    for (const [value, pattern] of cases) {
      expectRefused(() => loadKeyring({ file: file(), envMasterKeys: value, envSigningKey: signing }), [good, short, signing], pattern);
    }
    expectRefused(
      () => loadKeyring({ file: file(), envMasterKeys: `1:${good}`, envSigningKey: short }),
      [good, short],
      /ONCELINK_SIGNING_KEY must be 32 bytes/,
    );
  });
});

describe("rotateMasterKey", () => {
  it("adds version max+1, makes it current, keeps old keys and the 0600 mode", () => {
    const file = join(dir, "keys.json");
    const before = loadKeyring({ file }).keyring;
    expect(rotateMasterKey(file)).toBe(2);
    expect(rotateMasterKey(file)).toBe(3);
    const after = loadKeyring({ file }).keyring;
    expect(after.currentVersion).toBe(3);
    expect(after.masterKeys.get(1)!.equals(before.masterKeys.get(1)!)).toBe(true);
    expect(after.signingKey.equals(before.signingKey)).toBe(true);
    const keys = [1, 2, 3].map((v) => b64(after.masterKeys.get(v)!));
    expect(new Set(keys).size).toBe(3);
    if (posix) expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(["keys.json"]);
  });

  it("refuses to rotate a missing or unsafe file", () => {
    const file = join(dir, "keys.json");
    expectRefused(() => rotateMasterKey(file), [], /does not exist/);
    if (posix) {
      loadKeyring({ file });
      chmodSync(file, 0o644);
      expectRefused(() => rotateMasterKey(file), [], /readable by group or others/);
    }
  });
});
