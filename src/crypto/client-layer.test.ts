import { createCipheriv, hkdfSync, randomBytes, randomInt } from "node:crypto";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { fromBase64Url, toBase64Url } from "../core/base64url.js";
import {
  decryptEnvelope,
  encryptBytes,
  encryptText,
  encryptWithIv,
  generateLinkKey,
  isEnvelopeShape,
  isLinkKey,
  MIN_ENVELOPE_BYTES,
  textEnvelopeLength,
} from "./client-layer.js";

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

// Fixed vector: key bytes 00..0f, IV a0..ab.
const KAT_KEY_BYTES = Buffer.from("000102030405060708090a0b0c0d0e0f", "hex");
const KAT_LINK_KEY = "AAECAwQFBgcICQoLDA0ODw";
const KAT_IV = Buffer.from("a0a1a2a3a4a5a6a7a8a9aaab", "hex");

/** An independent implementation of envelope v1 sealing with node:crypto, used to pin the format. */
function nodeSeal(keyBytes: Uint8Array, iv: Uint8Array, inner: Uint8Array): Uint8Array {
  const key = Buffer.from(hkdfSync("sha256", keyBytes, "oncelink/v1", "content", 32));
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from([0x01]));
  const ct = Buffer.concat([cipher.update(inner), cipher.final()]);
  return Buffer.concat([Buffer.from([0x01]), iv, ct, cipher.getAuthTag()]);
}

function bytesInner(header: string, body: Uint8Array): Buffer {
  const h = Buffer.from(header, "utf8");
  return Buffer.concat([Buffer.from([0x02, h.length >> 8, h.length & 0xff]), h, body]);
}

/** Random text from a mix of ASCII, NUL, accented letters, CJK and astral emoji (no lone surrogates). */
function randomText(codePoints: number): string {
  const pools: Array<[number, number]> = [
    [0x00, 0x7f],
    [0x00, 0x00],
    [0xc0, 0x24f],
    [0x4e00, 0x9fff],
    [0x1f300, 0x1faff],
  ];
  // One bulk draw instead of two randomInt calls per code point, which took seconds at 50k code points.
  const draws = new Uint32Array(new Uint8Array(randomBytes(8 * codePoints)).buffer);
  const out: string[] = [];
  for (let i = 0; i < codePoints; i++) {
    const [lo, hi] = pools[draws[2 * i]! % pools.length]!;
    out.push(String.fromCodePoint(lo + (draws[2 * i + 1]! % (hi - lo + 1))));
  }
  return out.join("");
}

describe("link keys", () => {
  it("generates 22-character keys of 16 bytes, each different", () => {
    const keys = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const key = generateLinkKey();
      expect(key).toHaveLength(22);
      expect(fromBase64Url(key)).toHaveLength(16);
      expect(isLinkKey(key)).toBe(true);
      keys.add(key);
    }
    expect(keys.size).toBe(100);
  });

  it("rejects anything that is not a canonical 16-byte key", () => {
    for (const bad of ["", "short", "AAECAwQFBgcICQoLDA0ODw=", "AAECAwQFBgcICQoLDA0OD", "AAECAwQFBgcICQoLDA0ODx", "AAECAwQFBgcICQoLDA0OD+"]) {
      expect(isLinkKey(bad)).toBe(false);
    }
  });
});

describe("known answers (format pinned against node:crypto)", () => {
  it("matches the text vector", async () => {
    expect(toBase64Url(KAT_KEY_BYTES)).toBe(KAT_LINK_KEY);
    const inner = Buffer.concat([Buffer.from([0x01]), Buffer.from("hello, oncelink", "utf8")]);
    const expected =
      "01a0a1a2a3a4a5a6a7a8a9aaab18e7ec75531a987a9296b49c525ab4963cdcddb951c0372454ccdc8dc94570f5";
    expect(hex(nodeSeal(KAT_KEY_BYTES, KAT_IV, inner))).toBe(expected);
    const envelope = await encryptWithIv({ kind: "text", text: "hello, oncelink" }, KAT_LINK_KEY, KAT_IV);
    expect(hex(envelope)).toBe(expected);
    expect(await decryptEnvelope(Buffer.from(expected, "hex"), KAT_LINK_KEY)).toEqual({
      kind: "text",
      text: "hello, oncelink",
    });
  });

  it("matches the file vector, with name and type inside the ciphertext", async () => {
    const body = new Uint8Array([0x00, 0x01, 0x02, 0xff]);
    const inner = bytesInner('{"name":"a.txt","type":"text/plain"}', body);
    const expected =
      "01a0a1a2a3a4a5a6a7a8a9aaab1b8fad621d1bd53798daeddb5f1dae859a0ffdf96cf850e6efb74fb9e228500b8f27f532" +
      "c4ddd2ccfad27fb6546214d5495d71622d50249ac44f7c";
    expect(hex(nodeSeal(KAT_KEY_BYTES, KAT_IV, inner))).toBe(expected);
    const envelope = await encryptWithIv(
      { kind: "bytes", bytes: body, name: "a.txt", type: "text/plain" },
      KAT_LINK_KEY,
      KAT_IV,
    );
    expect(hex(envelope)).toBe(expected);
    expect(Buffer.from(envelope).includes("a.txt")).toBe(false);
    expect(Buffer.from(envelope).includes("text/plain")).toBe(false);
  });
});

describe("round trips", () => {
  it("text of random sizes up to 200 KiB, including emoji and NUL", async () => {
    const lengths = [0, 1, 2, 15, 16, 17, ...Array.from({ length: 8 }, () => randomInt(200 * 1024 / 4))];
    for (const n of lengths) {
      const text = randomText(n);
      const key = generateLinkKey();
      const envelope = await encryptText(text, key);
      expect(isEnvelopeShape(envelope)).toBe(true);
      expect(await decryptEnvelope(envelope, key)).toEqual({ kind: "text", text });
    }
    const fixed = "nul:\u0000 emoji: 👩‍💻🔐 rtl: שלום zwj: 🏳️‍🌈";
    const key = generateLinkKey();
    expect(await decryptEnvelope(await encryptText(fixed, key), key)).toEqual({ kind: "text", text: fixed });
  });

  it("random binary of random sizes up to 200 KiB, with and without metadata", async () => {
    const lengths = [0, 1, 65535, 65536, 200 * 1024, ...Array.from({ length: 8 }, () => randomInt(200 * 1024 + 1))];
    for (const [i, n] of lengths.entries()) {
      const bytes = new Uint8Array(randomBytes(n));
      const key = generateLinkKey();
      const meta = i % 2 === 0 ? { name: `Ünïcødé 📄 ${i}.bin`, type: "application/octet-stream" } : undefined;
      const out = await decryptEnvelope(await encryptBytes(bytes, key, meta), key);
      if (out?.kind !== "bytes") throw new Error(`size ${n}: expected bytes, got ${out?.kind ?? "null"}`);
      // Buffer.equals: vitest's deep equality walks 200 KiB element by element and takes seconds.
      expect(Buffer.from(out.bytes).equals(bytes), `size ${n}`).toBe(true);
      expect({ name: out.name, type: out.type }).toEqual({ name: meta?.name, type: meta?.type });
    }
  });

  it("omits absent metadata instead of inventing it", async () => {
    const key = generateLinkKey();
    const onlyType = await decryptEnvelope(await encryptBytes(new Uint8Array([7]), key, { type: "image/png" }), key);
    expect(onlyType).toEqual({ kind: "bytes", bytes: new Uint8Array([7]), type: "image/png" });
    expect(onlyType && "name" in onlyType).toBe(false);
  });

  it("uses a fresh IV: two encryptions of the same text differ", async () => {
    const key = generateLinkKey();
    const a = await encryptText("same", key);
    const b = await encryptText("same", key);
    expect(hex(a.subarray(1, 13))).not.toBe(hex(b.subarray(1, 13)));
    expect(hex(a)).not.toBe(hex(b));
  });

  it("decrypts an envelope that is a view into a larger buffer", async () => {
    const key = generateLinkKey();
    const envelope = await encryptText("in a view", key);
    const big = new Uint8Array(envelope.length + 10);
    big.set(envelope, 5);
    expect(await decryptEnvelope(big.subarray(5, 5 + envelope.length), key)).toEqual({ kind: "text", text: "in a view" });
  });
});

describe("rejection (null, never a throw)", () => {
  it("wrong or malformed key", async () => {
    const envelope = await encryptText("secret", generateLinkKey());
    expect(await decryptEnvelope(envelope, generateLinkKey())).toBeNull();
    expect(await decryptEnvelope(envelope, "not-a-key")).toBeNull();
    expect(await decryptEnvelope(envelope, "")).toBeNull();
  });

  it("every single-byte flip of a small envelope", async () => {
    const key = generateLinkKey();
    const envelope = await encryptText("hi", key);
    for (let i = 0; i < envelope.length; i++) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const bad = envelope.slice();
        bad[i]! ^= mask;
        expect(await decryptEnvelope(bad, key), `byte ${i} mask ${mask}`).toBeNull();
      }
    }
  });

  it("every truncation and an appended byte", async () => {
    const key = generateLinkKey();
    const envelope = await encryptText("hi", key);
    for (let n = 0; n < envelope.length; n++) {
      expect(await decryptEnvelope(envelope.subarray(0, n), key)).toBeNull();
    }
    const longer = new Uint8Array(envelope.length + 1);
    longer.set(envelope);
    expect(await decryptEnvelope(longer, key)).toBeNull();
  });

  it("unknown versions", async () => {
    const key = generateLinkKey();
    const envelope = await encryptText("hi", key);
    for (const version of [0x00, 0x02, 0x7f, 0xff]) {
      const bad = envelope.slice();
      bad[0] = version;
      expect(isEnvelopeShape(bad)).toBe(false);
      expect(await decryptEnvelope(bad, key)).toBeNull();
    }
  });

  it("authentic envelopes with a malformed inner structure", async () => {
    const key = generateLinkKey();
    const keyBytes = fromBase64Url(key)!;
    const iv = randomBytes(12);
    const malformed: Array<[string, Uint8Array]> = [
      ["unknown kind", Buffer.from([0x03, 0x41])],
      ["kind 0", Buffer.from([0x00])],
      ["text that is not UTF-8", Buffer.from([0x01, 0xc3, 0x28])],
      ["lone surrogate in UTF-8", Buffer.from([0x01, 0xed, 0xa0, 0x80])],
      ["bytes without header length", Buffer.from([0x02, 0x00])],
      ["header longer than the rest", Buffer.from([0x02, 0x00, 0x10, 0x7b, 0x7d])],
      ["empty header", Buffer.from([0x02, 0x00, 0x00, 0x41])],
      ["header not JSON", bytesInner("{name", new Uint8Array(1))],
      ["header an array", bytesInner("[]", new Uint8Array(1))],
      ["header null", bytesInner("null", new Uint8Array(1))],
      ["header a string", bytesInner('"x"', new Uint8Array(1))],
      ["name not a string", bytesInner('{"name":1}', new Uint8Array(1))],
      ["type not a string", bytesInner('{"type":null}', new Uint8Array(1))],
    ];
    for (const [label, inner] of malformed) {
      expect(await decryptEnvelope(nodeSeal(keyBytes, iv, inner), key), label).toBeNull();
    }
    // Control: the same path accepts a well-formed inner structure and ignores unknown header fields.
    const ok = await decryptEnvelope(nodeSeal(keyBytes, iv, bytesInner('{"future":true}', new Uint8Array([9]))), key);
    expect(ok).toEqual({ kind: "bytes", bytes: new Uint8Array([9]) });
  });

  it("knows the envelope's length of a text without encrypting it: ASCII, accents, CJK, emoji, lone surrogates", async () => {
    const key = generateLinkKey();
    const samples = ["", "a", "é", "秘密", "🔑", "x\ud800y", "\udc00", "\ud83d", `mixed ✓ ${"ü".repeat(50)} 🔑🔑 end`];
    for (let i = 0; i < 20; i++) samples.push(String.fromCharCode(...Array.from({ length: randomInt(0, 40) }, () => randomInt(0, 0x10000))));
    for (const text of samples) expect(textEnvelopeLength(text), JSON.stringify(text)).toBe((await encryptText(text, key)).length);
  });

  it("structural check only accepts the known version with room for IV, tag and kind", () => {
    expect(MIN_ENVELOPE_BYTES).toBe(30);
    const ok = new Uint8Array(30);
    ok[0] = 0x01;
    expect(isEnvelopeShape(ok)).toBe(true);
    expect(isEnvelopeShape(ok.subarray(0, 29))).toBe(false);
    expect(isEnvelopeShape(new Uint8Array(0))).toBe(false);
  });
});

describe("misuse by the caller throws", () => {
  it("encrypting with a malformed key or IV", async () => {
    await expect(encryptText("x", "nope")).rejects.toThrow(TypeError);
    await expect(encryptBytes(new Uint8Array(1), "nope")).rejects.toThrow(TypeError);
    await expect(encryptWithIv({ kind: "text", text: "x" }, KAT_LINK_KEY, new Uint8Array(8))).rejects.toThrow(TypeError);
  });

  it("a file header over 65535 bytes", async () => {
    await expect(encryptBytes(new Uint8Array(1), generateLinkKey(), { name: "n".repeat(70_000) })).rejects.toThrow(
      RangeError,
    );
  });
});

describe("portability", () => {
  it("bundles for the browser with no Node built-ins", async () => {
    const entry = fileURLToPath(new URL("./client-layer.ts", import.meta.url));
    const result = await build({ entryPoints: [entry], bundle: true, platform: "browser", format: "esm", write: false, logLevel: "silent" });
    const code = result.outputFiles[0]!.text;
    expect(code).not.toMatch(/\bBuffer\b/);
    expect(code).not.toMatch(/node:/);
  });
});
