import { createDecipheriv, randomBytes, randomInt } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { hmacSha256 } from "./hash.js";
import { type Keyring, loadKeyring, rotateMasterKey } from "./keyring.js";
import {
  deriveSubkey,
  openContent,
  openWithKey,
  rewrapKey,
  SEAL_OVERHEAD_BYTES,
  sealContent,
  sealWithKeyInto,
  WRAPPED_KEY_BYTES,
} from "./server-layer.js";

function makeKeyring(versions: number[], current = Math.max(...versions)): Keyring {
  return { currentVersion: current, masterKeys: new Map(versions.map((v) => [v, randomBytes(32)])), signingKey: randomBytes(32) };
}

function onlyVersion(keyring: Keyring, version: number): Keyring {
  return { currentVersion: version, masterKeys: new Map([[version, keyring.masterKeys.get(version)!]]), signingKey: keyring.signingKey };
}

/** Independent GCM open of IV(12)||ct||tag(16), pinning the documented layout. */
function nodeOpen(key: Uint8Array, box: Uint8Array, aad: Uint8Array): Buffer {
  const decipher = createDecipheriv("aes-256-gcm", key, box.subarray(0, 12), { authTagLength: 16 });
  decipher.setAAD(aad);
  decipher.setAuthTag(box.subarray(box.length - 16));
  return Buffer.concat([decipher.update(box.subarray(12, box.length - 16)), decipher.final()]);
}

function wrapAad(version: number, aad: Uint8Array): Buffer {
  const v = Buffer.alloc(4);
  v.writeUInt32BE(version);
  return Buffer.concat([v, aad]);
}

function flip(bytes: Buffer, index: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[index]! ^= 0x01;
  return copy;
}

const aad = Buffer.from("link-id-hash-0001");

describe("sealContent / openContent", () => {
  it("round trips random sizes, including 0 and 1 MiB", () => {
    const keyring = makeKeyring([1]);
    const sizes = [0, 1, 15, 16, 17, 4096, 1024 * 1024, ...Array.from({ length: 5 }, () => randomInt(300_000))];
    for (const size of sizes) {
      const plaintext = randomBytes(size);
      const stored = sealContent(keyring, plaintext, aad);
      expect(stored.keyVersion).toBe(1);
      expect(stored.wrappedKey).toHaveLength(WRAPPED_KEY_BYTES);
      expect(stored.sealed).toHaveLength(12 + size + 16);
      expect(openContent(keyring, stored, aad).equals(plaintext), `size ${size}`).toBe(true);
    }
  });

  it("follows the documented layout (checked with an independent decryption)", () => {
    const keyring = makeKeyring([1, 4]);
    const plaintext = Buffer.from("pinned layout");
    const stored = sealContent(keyring, plaintext, aad);
    expect(stored.keyVersion).toBe(4);
    const dataKey = nodeOpen(keyring.masterKeys.get(4)!, stored.wrappedKey, wrapAad(4, aad));
    expect(dataKey).toHaveLength(32);
    expect(nodeOpen(dataKey, stored.sealed, aad).equals(plaintext)).toBe(true);
  });

  it("uses a fresh data key and fresh IVs for every seal", () => {
    const keyring = makeKeyring([1]);
    const master = keyring.masterKeys.get(1)!;
    const plaintext = Buffer.from("same plaintext every time");
    const seen = { dataKeys: new Set<string>(), ivs: new Set<string>(), bodies: new Set<string>() };
    for (let i = 0; i < 50; i++) {
      const { wrappedKey, sealed } = sealContent(keyring, plaintext, aad);
      const dataKey = nodeOpen(master, wrappedKey, wrapAad(1, aad));
      seen.dataKeys.add(dataKey.toString("hex"));
      seen.ivs.add(sealed.subarray(0, 12).toString("hex"));
      seen.ivs.add(wrappedKey.subarray(0, 12).toString("hex"));
      seen.bodies.add(sealed.subarray(12).toString("hex"));
    }
    expect(seen.dataKeys.size).toBe(50);
    expect(seen.ivs.size).toBe(100);
    expect(seen.bodies.size).toBe(50);
  });

  it("throws on a wrong aad (a row moved to another link)", () => {
    const keyring = makeKeyring([1]);
    const stored = sealContent(keyring, Buffer.from("x"), aad);
    expect(() => openContent(keyring, stored, Buffer.from("link-id-hash-0002"))).toThrow(/failed authentication/);
    expect(() => openContent(keyring, stored, Buffer.alloc(0))).toThrow(/failed authentication/);
  });

  it("throws when the wrapped key of another link is swapped in", () => {
    const keyring = makeKeyring([1]);
    const a = sealContent(keyring, Buffer.from("a"), aad);
    const b = sealContent(keyring, Buffer.from("b"), Buffer.from("other link"));
    expect(() => openContent(keyring, { ...a, wrappedKey: b.wrappedKey }, aad)).toThrow(/wrapped key failed authentication/);
  });

  it("throws on every tampered byte of sealed content and of the wrapped key", () => {
    const keyring = makeKeyring([1]);
    const stored = sealContent(keyring, randomBytes(40), aad);
    for (let i = 0; i < stored.sealed.length; i++) {
      expect(() => openContent(keyring, { ...stored, sealed: flip(stored.sealed, i) }, aad)).toThrow(/sealed content/);
    }
    for (let i = 0; i < stored.wrappedKey.length; i++) {
      expect(() => openContent(keyring, { ...stored, wrappedKey: flip(stored.wrappedKey, i) }, aad)).toThrow(/wrapped key/);
    }
  });

  it("throws on truncated or extended stored bytes", () => {
    const keyring = makeKeyring([1]);
    const stored = sealContent(keyring, randomBytes(10), aad);
    for (const n of [0, 11, 27, stored.sealed.length - 1]) {
      expect(() => openContent(keyring, { ...stored, sealed: stored.sealed.subarray(0, n) }, aad)).toThrow();
    }
    expect(() => openContent(keyring, { ...stored, sealed: Buffer.concat([stored.sealed, Buffer.alloc(1)]) }, aad)).toThrow();
    expect(() => openContent(keyring, { ...stored, wrappedKey: stored.wrappedKey.subarray(0, 59) }, aad)).toThrow(/wrong length/);
  });

  it("throws on an unknown key version, and on a version label that does not match the wrap", () => {
    const keyring = makeKeyring([1, 2]);
    const stored = sealContent(keyring, Buffer.from("x"), aad);
    expect(() => openContent(keyring, { ...stored, keyVersion: 3 }, aad)).toThrow(/no master key for version 3/);
    expect(() => openContent(keyring, { ...stored, keyVersion: 1 }, aad)).toThrow(/failed authentication/);
    // Even with the right key under both labels, the version is authenticated.
    const same = randomBytes(32);
    const twin: Keyring = { currentVersion: 2, masterKeys: new Map([[1, same], [2, same]]), signingKey: randomBytes(32) };
    const twinStored = sealContent(twin, Buffer.from("x"), aad);
    expect(() => openContent(twin, { ...twinStored, keyVersion: 1 }, aad)).toThrow(/failed authentication/);
  });

  it("never puts plaintext or key material in an error message", () => {
    const keyring = makeKeyring([1]);
    const stored = sealContent(keyring, Buffer.from("very secret text"), aad);
    try {
      openContent(keyring, { ...stored, sealed: flip(stored.sealed, 20) }, aad);
      expect.unreachable();
    } catch (error) {
      const message = (error as Error).message;
      expect(message).not.toContain("very secret");
      expect(message).not.toContain(keyring.masterKeys.get(1)!.toString("hex"));
    }
  });
});

describe("sealWithKeyInto", () => {
  it("writes IV || ciphertext || tag into a reused buffer, which openWithKey (and plain GCM) opens", () => {
    const key = randomBytes(32);
    const out = Buffer.alloc(70_000 + SEAL_OVERHEAD_BYTES);
    for (const size of [0, 1, 4096, 70_000]) {
      const plaintext = randomBytes(size);
      out.fill(0xaa);
      const n = sealWithKeyInto(key, plaintext, aad, out);
      expect(n).toBe(size + SEAL_OVERHEAD_BYTES);
      expect(openWithKey(key, out.subarray(0, n), aad).equals(plaintext)).toBe(true);
      expect(nodeOpen(key, out.subarray(0, n), aad).equals(plaintext)).toBe(true);
      expect(() => openWithKey(key, flip(out.subarray(0, n), n - 1), aad)).toThrow();
    }
    // Fresh IVs: the same chunk sealed twice differs.
    const a = Buffer.from(out.subarray(0, sealWithKeyInto(key, Buffer.from("x"), aad, out)));
    const b = Buffer.from(out.subarray(0, sealWithKeyInto(key, Buffer.from("x"), aad, out)));
    expect(a.equals(b)).toBe(false);
    expect(() => sealWithKeyInto(key, randomBytes(10), aad, Buffer.alloc(10 + SEAL_OVERHEAD_BYTES - 1))).toThrow(RangeError);
  });
});

describe("rotation and rewrap", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it("keeps content readable after rotate + rewrap, with only the new key present", () => {
    const dir = mkdtempSync(join(tmpdir(), "oncelink-rewrap-"));
    dirs.push(dir);
    const file = join(dir, "keys.json");
    const v1 = loadKeyring({ file }).keyring;
    const plaintext = randomBytes(5000);
    const stored = sealContent(v1, plaintext, aad);
    expect(stored.keyVersion).toBe(1);

    expect(rotateMasterKey(file)).toBe(2);
    const both = loadKeyring({ file }).keyring;
    expect(openContent(both, stored, aad).equals(plaintext)).toBe(true);
    expect(sealContent(both, Buffer.from("new"), aad).keyVersion).toBe(2);

    const rewrapped = rewrapKey(both, stored.keyVersion, stored.wrappedKey, aad);
    expect(rewrapped.keyVersion).toBe(2);
    const moved = { keyVersion: rewrapped.keyVersion, wrappedKey: rewrapped.wrappedKey, sealed: stored.sealed };
    expect(openContent(both, moved, aad).equals(plaintext)).toBe(true);

    const onlyNew = onlyVersion(both, 2);
    expect(openContent(onlyNew, moved, aad).equals(plaintext)).toBe(true);
    expect(() => openContent(onlyNew, stored, aad)).toThrow(/no master key for version 1/);
  });

  it("refuses to rewrap with the wrong aad, a tampered wrap or an unknown version", () => {
    const keyring = makeKeyring([1, 2], 1);
    const stored = sealContent(keyring, Buffer.from("x"), aad);
    const rotated: Keyring = { ...keyring, currentVersion: 2 };
    expect(() => rewrapKey(rotated, 1, stored.wrappedKey, Buffer.from("other"))).toThrow(/failed authentication/);
    expect(() => rewrapKey(rotated, 1, flip(stored.wrappedKey, 30), aad)).toThrow(/failed authentication/);
    expect(() => rewrapKey(rotated, 9, stored.wrappedKey, aad)).toThrow(/no master key for version 9/);
  });
});

describe("deriveSubkey", () => {
  it("is HMAC-SHA-256(signingKey, 'oncelink/' + purpose), distinct per purpose and per keyring", () => {
    const keyring = makeKeyring([1]);
    const pow = deriveSubkey(keyring, "pow");
    expect(pow.equals(hmacSha256(keyring.signingKey, "oncelink/pow"))).toBe(true);
    expect(pow).toHaveLength(32);
    const purposes = ["pow", "log-tag", "ip-hash", "session"];
    const keys = new Set(purposes.map((p) => deriveSubkey(keyring, p).toString("hex")));
    expect(keys.size).toBe(purposes.length);
    expect(deriveSubkey(makeKeyring([1]), "pow").equals(pow)).toBe(false);
    expect(deriveSubkey(keyring, "pow").equals(pow)).toBe(true);
    expect(() => deriveSubkey(keyring, "")).toThrow(TypeError);
  });
});
