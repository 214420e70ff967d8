import { createDecipheriv, createHash, hkdfSync, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { fromBase64Url } from "../core/base64url.js";
import { releaseBuffer } from "../core/release-buffer.js";
import { generateLinkKey } from "./client-layer.js";
import {
  createFileDecryptStream,
  createFileEncryptStream,
  decryptFileBytes,
  encryptFileBytes,
  FILE_STREAM_HEADER_BYTES,
  fileStreamLength,
  fileStreamMaxLength,
  FileStreamError,
  MIN_PADDED_BYTES,
  padme,
  type FileStreamFailure,
} from "./file-stream.js";

const SMALL = 256; // the smallest chunk a reader accepts: boundaries are cheap to hit
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** An independent reader of format v1 with node:crypto, to pin the layout docs/formats.md describes. */
function nodeOpen(stream: Uint8Array, linkKey: string): { meta: unknown; data: Buffer; size: bigint; sha: string; padding: number } {
  const key = Buffer.from(hkdfSync("sha256", fromBase64Url(linkKey)!, "oncelink/v1", "file-stream", 32));
  const header = stream.subarray(0, 13);
  expect([header[0], header[1]]).toEqual([0x02, 0x01]);
  const chunk = Buffer.from(header).readUInt32BE(2);
  const body = stream.subarray(13);
  const n = Math.ceil(body.length / (chunk + 16));
  const plain: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const sealed = body.subarray(i * (chunk + 16), Math.min(body.length, (i + 1) * (chunk + 16)));
    const iv = Buffer.alloc(12);
    Buffer.from(header.subarray(6, 13)).copy(iv, 0);
    iv.writeUInt32BE(i, 7);
    iv[11] = i === n - 1 ? 1 : 0;
    const d = createDecipheriv("aes-256-gcm", key, iv);
    d.setAAD(header);
    d.setAuthTag(sealed.subarray(sealed.length - 16));
    plain.push(Buffer.concat([d.update(sealed.subarray(0, sealed.length - 16)), d.final()]));
  }
  const p = Buffer.concat(plain);
  expect(p[0]).toBe(0x4d);
  const metaLength = p.readUInt16BE(1);
  const meta: unknown = JSON.parse(p.subarray(3, 3 + metaLength).toString("utf8"));
  let at = 3 + metaLength;
  const data: Buffer[] = [];
  let padding = 0;
  for (;;) {
    const type = p[at];
    if (type === 0x45) {
      expect(at + 41).toBe(p.length);
      return { meta, data: Buffer.concat(data), size: p.readBigUInt64BE(at + 1), sha: p.subarray(at + 9, at + 41).toString("hex"), padding };
    }
    const length = p.readUInt32BE(at + 1);
    if (type === 0x44) data.push(p.subarray(at + 5, at + 5 + length));
    else if (type === 0x50) padding += length;
    else throw new Error(`unknown record ${type}`);
    at += 5 + length;
  }
}

async function failureOf(stream: Uint8Array, key: string, extra?: Uint8Array): Promise<FileStreamFailure | "opened"> {
  try {
    await decryptFileBytes(stream, key, extra ? { extra } : {});
    return "opened";
  } catch (error) {
    expect(error).toBeInstanceOf(FileStreamError);
    return (error as FileStreamError).reason;
  }
}

describe("file stream v1: round trips", () => {
  const key = generateLinkKey();
  it.each([0, 1, SMALL - 1, SMALL, SMALL + 1, 2 * SMALL, 17 * SMALL, 17 * SMALL + 3, 5000, 70_000])(
    "%i bytes with 256-byte chunks, exactly, with the length the formula predicts",
    async (size) => {
      const bytes = new Uint8Array(randomBytes(size));
      const meta = { name: "report ✓.pdf", type: "application/pdf" };
      const stream = await encryptFileBytes(bytes, key, meta, { chunkSize: SMALL });
      expect(stream.length).toBe(fileStreamLength(size, meta, SMALL));
      const { bytes: out, summary } = await decryptFileBytes(stream, key);
      expect(Buffer.from(out).equals(Buffer.from(bytes))).toBe(true);
      expect(summary).toEqual({ ...meta, size, sha256: sha256(bytes) });
      const independent = nodeOpen(stream, key);
      expect(independent.meta).toEqual(meta);
      expect(independent.data.equals(Buffer.from(bytes))).toBe(true);
      expect(independent.size).toBe(BigInt(size));
      expect(independent.sha).toBe(sha256(bytes));
    },
  );

  it("round-trips 3 MiB with the default 64 KiB chunks, fed and read in odd pieces", async () => {
    const bytes = new Uint8Array(randomBytes(3 * 1024 * 1024 + 11));
    const enc = createFileEncryptStream(key, { name: "big.bin" });
    const dec = createFileDecryptStream(key);
    const piped = enc.readable.pipeTo(dec.writable);
    const writer = enc.writable.getWriter();
    const writing = (async () => {
      for (let at = 0; at < bytes.length; at += 7777) await writer.write(bytes.subarray(at, at + 7777));
      await writer.close();
    })();
    const reader = dec.readable.getReader();
    const parts: Uint8Array[] = [];
    let metaBeforeData = false;
    void dec.meta.then(() => {
      metaBeforeData = parts.length === 0;
    });
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
    }
    await Promise.all([writing, piped]);
    expect(metaBeforeData).toBe(true);
    expect(Buffer.concat(parts).equals(Buffer.from(bytes))).toBe(true);
    expect(await dec.done).toEqual({ name: "big.bin", size: bytes.length, sha256: sha256(bytes) });
    expect(await enc.done).toEqual(await dec.done);
  });

  it("lets the writer reuse its array once a write resolved (pieces of odd sizes, one buffer overwritten each time)", async () => {
    const bytes = new Uint8Array(randomBytes(300 * 1024 + 5));
    const enc = createFileEncryptStream(key, {});
    const collected = new Response(enc.readable).arrayBuffer();
    const writer = enc.writable.getWriter();
    const reused = new Uint8Array(50_000);
    for (let at = 0, n = 1; at < bytes.length; at += n, n = (n * 7 + 13) % 50_000 || 1) {
      const piece = bytes.subarray(at, at + n);
      reused.set(piece);
      await writer.write(reused.subarray(0, piece.length));
      reused.fill(0xee);
    }
    await writer.close();
    const opened = await decryptFileBytes(new Uint8Array(await collected), key);
    expect(Buffer.from(opened.bytes).equals(Buffer.from(bytes))).toBe(true);
    expect(opened.summary.sha256).toBe(sha256(bytes));
  });

  it("lets the writer of a stream to decrypt reuse or release its arrays once a write resolved", async () => {
    const bytes = new Uint8Array(randomBytes(200 * 1024 + 9));
    const stream = await encryptFileBytes(bytes, key, {}, { chunkSize: 4096 });
    const dec = createFileDecryptStream(key);
    const collected = new Response(dec.readable).arrayBuffer();
    const writer = dec.writable.getWriter();
    const reused = new Uint8Array(10_000);
    for (let at = 0, n = 1, i = 0; at < stream.length; at += n, n = (n * 5 + 17) % 10_000 || 1, i++) {
      const piece = stream.subarray(at, at + n);
      if (i % 2 === 0) {
        reused.set(piece);
        await writer.write(reused.subarray(0, piece.length));
        reused.fill(0xee);
      } else {
        const own = piece.slice();
        await writer.write(own);
        expect(releaseBuffer(own)).toBe(true);
      }
    }
    await writer.close();
    expect(Buffer.from(await collected).equals(Buffer.from(bytes))).toBe(true);
    expect((await dec.done).sha256).toBe(sha256(bytes));
  });

  it("hands out chunks that are the reader's alone: releasing each once read changes nothing that follows", async () => {
    const bytes = new Uint8Array(randomBytes(150 * 1024 + 3));
    const enc = createFileEncryptStream(key, { name: "x" }, { chunkSize: 4096 });
    const writing = (async () => {
      const writer = enc.writable.getWriter();
      await writer.write(bytes);
      await writer.close();
    })();
    const sealed: Buffer[] = [];
    const encReader = enc.readable.getReader();
    for (;;) {
      const { done, value } = await encReader.read();
      if (done) break;
      sealed.push(Buffer.from(value));
      releaseBuffer(value);
    }
    await writing;
    const dec = createFileDecryptStream(key);
    void (async () => {
      const writer = dec.writable.getWriter();
      await writer.write(Buffer.concat(sealed));
      await writer.close();
    })();
    // Views of one plaintext chunk come one after the other: a chunk is released once a view of the next one arrives.
    const out: Buffer[] = [];
    let held: ArrayBufferLike | null = null;
    const decReader = dec.readable.getReader();
    for (;;) {
      const { done, value } = await decReader.read();
      if (done) break;
      out.push(Buffer.from(value));
      if (held !== null && held !== value.buffer) expect(releaseBuffer(new Uint8Array(held))).toBe(true);
      held = value.buffer;
    }
    expect(Buffer.concat(out).equals(Buffer.from(bytes))).toBe(true);
    expect((await dec.done).size).toBe(bytes.length);
  });

  it("relies on WebCrypto copying what it encrypts or decrypts when called (the streams reuse their buffers)", async () => {
    const aes = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
    const iv = new Uint8Array(12);
    const data = new Uint8Array(randomBytes(4096));
    const original = data.slice();
    const sealing = crypto.subtle.encrypt({ name: "AES-GCM", iv }, aes, data);
    data.fill(0);
    const sealed = new Uint8Array(await sealing);
    const opening = crypto.subtle.decrypt({ name: "AES-GCM", iv }, aes, sealed);
    sealed.fill(0);
    expect(new Uint8Array(await opening)).toEqual(original);
  });

  it("mixes the passphrase secret into the key: without it the stream does not open", async () => {
    const extra = new Uint8Array(randomBytes(32));
    const stream = await encryptFileBytes(new Uint8Array([1, 2, 3]), key, {}, { extra });
    expect((await decryptFileBytes(stream, key, { extra })).bytes).toEqual(new Uint8Array([1, 2, 3]));
    expect(await failureOf(stream, key)).toBe("authentication");
    expect(await failureOf(stream, key, new Uint8Array(randomBytes(32)))).toBe("authentication");
  });

  it("decrypts when the stream arrives one byte at a time", async () => {
    const bytes = new Uint8Array(randomBytes(1000));
    const stream = await encryptFileBytes(bytes, key, {}, { chunkSize: SMALL });
    const dec = createFileDecryptStream(key);
    const writer = dec.writable.getWriter();
    const writing = (async () => {
      for (let i = 0; i < stream.length; i++) await writer.write(stream.subarray(i, i + 1));
      await writer.close();
    })();
    const out: Uint8Array[] = [];
    const reader = dec.readable.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      out.push(value);
    }
    await writing;
    expect(Buffer.concat(out).equals(Buffer.from(bytes))).toBe(true);
  });
});

describe("file stream v1: sizes the server sees", () => {
  it("pads with Padmé: only a bucket of the size remains", () => {
    expect(padme(1_000_000)).toBe(1_015_808);
    expect(padme(2 ** 30)).toBe(2 ** 30);
    expect(padme(2 ** 30 + 1)).toBe(2 ** 30 + 2 ** 25);
    for (const n of [5000, 123_456, 9_999_999, 2 ** 30 + 12345]) {
      expect(padme(n)).toBeGreaterThanOrEqual(n);
      expect(padme(n)).toBeLessThanOrEqual(n * 1.125);
    }
  });

  it("gives every small file, empty included, the same stream length, and different sizes the same bucket", () => {
    const small = fileStreamLength(0);
    for (const size of [1, 100, 2000, MIN_PADDED_BYTES - 200]) expect(fileStreamLength(size)).toBe(small);
    expect(fileStreamLength(1_000_000)).toBe(fileStreamLength(1_010_000));
    expect(fileStreamLength(1_000_000)).toBeLessThan(fileStreamLength(1_100_000));
  });

  it("bounds the stream of the largest allowed file with a name of up to 4 KiB", () => {
    const gib = 1024 ** 3;
    expect(fileStreamMaxLength(gib)).toBeGreaterThanOrEqual(fileStreamLength(gib, { name: "x".repeat(4000) }));
    expect(fileStreamMaxLength(gib)).toBeLessThan(gib * 1.13);
  });
});

describe("file stream v1: what a reader rejects", () => {
  const key = generateLinkKey();
  const chunkBytes = SMALL + 16;
  async function sample(size = 3000): Promise<Uint8Array> {
    return encryptFileBytes(new Uint8Array(randomBytes(size)), key, { name: "x" }, { chunkSize: SMALL });
  }
  const chunkAt = (stream: Uint8Array, i: number) => stream.subarray(FILE_STREAM_HEADER_BYTES + i * chunkBytes, FILE_STREAM_HEADER_BYTES + (i + 1) * chunkBytes);
  const join = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

  it("rejects a stream cut at a chunk boundary as truncated, and cut inside a chunk as unauthentic", async () => {
    const stream = await sample();
    const n = Math.ceil((stream.length - FILE_STREAM_HEADER_BYTES) / chunkBytes);
    expect(await failureOf(stream.subarray(0, FILE_STREAM_HEADER_BYTES + (n - 1) * chunkBytes), key)).toBe("truncated");
    expect(await failureOf(stream.subarray(0, FILE_STREAM_HEADER_BYTES + 2 * chunkBytes), key)).toBe("truncated");
    expect(await failureOf(stream.subarray(0, FILE_STREAM_HEADER_BYTES), key)).toBe("truncated");
    expect(await failureOf(stream.subarray(0, 5), key)).toBe("header");
    expect(await failureOf(new Uint8Array(0), key)).toBe("truncated");
    expect(await failureOf(stream.subarray(0, stream.length - 1), key)).toBe("authentication");
    expect(await failureOf(stream.subarray(0, FILE_STREAM_HEADER_BYTES + chunkBytes + 100), key)).toBe("authentication");
  });

  it("rejects reordered, duplicated and dropped chunks", async () => {
    const stream = await sample();
    const head = stream.subarray(0, FILE_STREAM_HEADER_BYTES);
    const rest = stream.subarray(FILE_STREAM_HEADER_BYTES + 3 * chunkBytes);
    expect(await failureOf(join(head, chunkAt(stream, 1), chunkAt(stream, 0), chunkAt(stream, 2), rest), key)).toBe("authentication");
    expect(await failureOf(join(head, chunkAt(stream, 0), chunkAt(stream, 0), chunkAt(stream, 1), chunkAt(stream, 2), rest), key)).toBe("authentication");
    expect(await failureOf(join(head, chunkAt(stream, 0), chunkAt(stream, 2), rest), key)).toBe("authentication");
  });

  it("rejects a changed byte anywhere: header, a middle chunk, the final chunk", async () => {
    const stream = await sample();
    for (const [at, reason] of [
      [0, "header"],
      [1, "header"],
      [5, "authentication"], // chunk size: the chunks no longer line up, and the header is the AAD
      [8, "authentication"], // nonce prefix
      [FILE_STREAM_HEADER_BYTES + chunkBytes + 7, "authentication"],
      [stream.length - 1, "authentication"],
    ] as const) {
      const copy = new Uint8Array(stream);
      copy[at]! ^= 0x01;
      expect(await failureOf(copy, key)).toBe(reason);
    }
  });

  it("rejects data after the final chunk", async () => {
    const stream = await sample(SMALL * 4); // its final chunk is full: trailing bytes make a whole extra "chunk"
    expect(await failureOf(join(stream, new Uint8Array([0])), key)).not.toBe("opened");
    expect(await failureOf(join(stream, stream.subarray(stream.length - chunkBytes)), key)).toBe("trailing-data");
    const short = await sample(10);
    expect(await failureOf(join(short, new Uint8Array(randomBytes(chunkBytes + 5))), key)).not.toBe("opened");
  });

  it("rejects the wrong key, and a malformed one, without output", async () => {
    const stream = await sample();
    expect(await failureOf(stream, generateLinkKey())).toBe("authentication");
    expect(await failureOf(stream, "not-a-key")).toBe("authentication");
    const dec = createFileDecryptStream(generateLinkKey());
    const out: Uint8Array[] = [];
    await Promise.allSettled([
      new Blob([new Uint8Array(stream)]).stream().pipeTo(dec.writable),
      dec.readable.pipeTo(new WritableStream({ write: (c) => void out.push(c) })),
    ]);
    expect(out).toEqual([]);
    await expect(dec.meta).rejects.toBeInstanceOf(FileStreamError);
  });

  it("reports a source that fails midway (a dropped connection) as truncated", async () => {
    const stream = await sample(5000);
    const dec = createFileDecryptStream(key);
    let sent = false;
    const source = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent) return controller.error(new TypeError("terminated"));
        sent = true;
        controller.enqueue(stream.subarray(0, 1000));
      },
    });
    await Promise.allSettled([source.pipeTo(dec.writable), dec.readable.pipeTo(new WritableStream())]);
    await expect(dec.done).rejects.toMatchObject({ reason: "truncated" });
  });

  it("refuses to write with a chunk size a reader would refuse", () => {
    expect(() => createFileEncryptStream(generateLinkKey(), {}, { chunkSize: 100 })).toThrow(RangeError);
    expect(() => createFileEncryptStream(generateLinkKey(), {}, { chunkSize: 4 * 1024 * 1024 })).toThrow(RangeError);
    expect(() => createFileEncryptStream("short", {})).toThrow(TypeError);
  });
});
