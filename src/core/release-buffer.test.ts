import { describe, expect, it } from "vitest";
import { releaseBuffer } from "./release-buffer.js";

const MIB = 1024 * 1024;

describe("releaseBuffer", () => {
  it("detaches a buffer that spans its whole ArrayBuffer: every view of it is empty", () => {
    const bytes = Buffer.allocUnsafeSlow(64 * 1024).fill(7);
    const other = new Uint8Array(bytes.buffer, 100, 10);
    expect(releaseBuffer(bytes)).toBe(true);
    expect(bytes.length).toBe(0);
    expect(other.length).toBe(0);
    expect(bytes.buffer.byteLength).toBe(0);
    expect(releaseBuffer(new Uint8Array(32))).toBe(true);
  });

  it("gives the memory back without waiting for a garbage collection", async () => {
    const freed = async () => {
      const pieces = Array.from({ length: 32 }, () => new Uint8Array(MIB).fill(1));
      const before = process.memoryUsage().arrayBuffers;
      for (const piece of pieces) expect(releaseBuffer(piece)).toBe(true);
      // (Node 20: the first releases wait for the closed end of the channel to finish closing, one turn of the loop.)
      await new Promise((resolve) => setTimeout(resolve, 0));
      // arrayBuffers counts the memory behind live ArrayBuffers: `pieces` still holds every (now empty) view, so a
      // collection could not have freed it; the release did.
      return before - process.memoryUsage().arrayBuffers;
    };
    expect(await freed()).toBeGreaterThanOrEqual(31 * MIB);
    expect(await freed()).toBeGreaterThanOrEqual(31 * MIB);
  });

  it("leaves alone what it must not detach: part of a buffer, a pooled Buffer, shared and WebAssembly memory", () => {
    const whole = new Uint8Array(1024).fill(3);
    const part = whole.subarray(0, 512);
    expect(releaseBuffer(part)).toBe(false);
    expect(whole.length).toBe(1024);
    expect(releaseBuffer(whole.subarray(1))).toBe(false);

    // Small Buffers share Node's pool with unrelated data.
    const pooled = Buffer.from("pooled bytes");
    expect(releaseBuffer(pooled)).toBe(false);
    expect(pooled.toString()).toBe("pooled bytes");

    const shared = new Uint8Array(new SharedArrayBuffer(64)).fill(5);
    expect(releaseBuffer(shared)).toBe(false);
    expect(shared[63]).toBe(5);

    const memory = new WebAssembly.Memory({ initial: 1 });
    const wasm = new Uint8Array(memory.buffer).fill(9);
    expect(releaseBuffer(wasm)).toBe(false);
    expect(wasm.length).toBe(65536);
    expect(wasm[0]).toBe(9);

    expect(releaseBuffer(new Uint8Array(0))).toBe(false);
  });
});
