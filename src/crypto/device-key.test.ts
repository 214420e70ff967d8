import { generateKeyPairSync, sign } from "node:crypto";
import { describe, expect, it } from "vitest";
import { toBase64Url } from "../core/base64url.js";
import { deviceProofMessage } from "../core/device-proof.js";
import { DeviceKeyCache, deviceBinding, parseDevicePublicKey, verifyDeviceProof } from "./device-key.js";

/** What a browser (or the client library) does at the click: a non-extractable WebCrypto ECDSA P-256 pair. */
async function createDeviceKey(): Promise<{ publicKey: string; signSession(token: string): Promise<string> }> {
  const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  return {
    publicKey: toBase64Url(raw),
    signSession: async (token) =>
      toBase64Url(new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, pair.privateKey, deviceProofMessage(token)))),
  };
}

const TOKEN = "AQAAAZPx-session-token-text_for-the-test";

describe("device keys", () => {
  it("accepts a WebCrypto key (non-extractable private key) and verifies its signature", async () => {
    const device = await createDeviceKey();
    const parsed = parseDevicePublicKey(device.publicKey);
    expect(parsed?.raw).toHaveLength(65);
    const binding = deviceBinding(parsed!.raw);
    const signature = await device.signSession(TOKEN);
    expect(verifyDeviceProof(binding, device.publicKey, signature, deviceProofMessage(TOKEN))).toBe(true);
    // With the key the session step imported, too.
    expect(verifyDeviceProof(binding, device.publicKey, signature, deviceProofMessage(TOKEN), parsed!.key)).toBe(true);
  });

  it("refuses a signature over another token, by another key, or for another binding", async () => {
    const device = await createDeviceKey();
    const other = await createDeviceKey();
    const binding = deviceBinding(parseDevicePublicKey(device.publicKey)!.raw);
    const signature = await device.signSession(TOKEN);
    expect(verifyDeviceProof(binding, device.publicKey, signature, deviceProofMessage(`${TOKEN}x`))).toBe(false);
    // The copied token with someone else's key: the key does not hash to the binding.
    expect(verifyDeviceProof(binding, other.publicKey, await other.signSession(TOKEN), deviceProofMessage(TOKEN))).toBe(false);
    // The right key presented, but the signature made by another key.
    expect(verifyDeviceProof(binding, device.publicKey, await other.signSession(TOKEN), deviceProofMessage(TOKEN))).toBe(false);
    expect(verifyDeviceProof(deviceBinding(new Uint8Array(65)), device.publicKey, signature, deviceProofMessage(TOKEN))).toBe(false);
  });

  it("refuses missing, malformed and tampered proofs without throwing", async () => {
    const device = await createDeviceKey();
    const binding = deviceBinding(parseDevicePublicKey(device.publicKey)!.raw);
    const signature = await device.signSession(TOKEN);
    const message = deviceProofMessage(TOKEN);
    expect(verifyDeviceProof(binding, undefined, signature, message)).toBe(false);
    expect(verifyDeviceProof(binding, device.publicKey, undefined, message)).toBe(false);
    expect(verifyDeviceProof(binding, device.publicKey, "A".repeat(86), message)).toBe(false);
    expect(verifyDeviceProof(binding, device.publicKey, `${signature}A`, message)).toBe(false);
    const bytes = Buffer.from(signature, "base64url");
    bytes[10]! ^= 1;
    expect(verifyDeviceProof(binding, device.publicKey, bytes.toString("base64url"), message)).toBe(false);
  });

  it("parses only points on the P-256 curve in raw uncompressed form", async () => {
    const raw = Buffer.from((await createDeviceKey()).publicKey, "base64url");
    const offCurve = Buffer.from(raw);
    offCurve[64]! ^= 1;
    const compressed = Buffer.from(raw);
    compressed[0] = 0x02;
    for (const bad of [offCurve, compressed, Buffer.alloc(65), raw.subarray(0, 64)]) {
      expect(parseDevicePublicKey(bad.toString("base64url"))).toBeNull();
    }
    expect(parseDevicePublicKey(`${raw.toString("base64url")}!`)).toBeNull();
    expect(parseDevicePublicKey("")).toBeNull();
  });

  it("interoperates with node:crypto keys and DER-free raw points (a non-WebCrypto client)", () => {
    const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const jwk = publicKey.export({ format: "jwk" });
    const raw = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, "base64url"), Buffer.from(jwk.y!, "base64url")]);
    const text = raw.toString("base64url");
    const signature = sign("sha256", deviceProofMessage(TOKEN), { key: privateKey, dsaEncoding: "ieee-p1363" }).toString("base64url");
    expect(verifyDeviceProof(deviceBinding(parseDevicePublicKey(text)!.raw), text, signature, deviceProofMessage(TOKEN))).toBe(true);
  });

  it("caches imported keys once per session, bounded and time-limited", async () => {
    const cache = new DeviceKeyCache(2);
    const keys = await Promise.all([createDeviceKey(), createDeviceKey(), createDeviceKey()]);
    const parsed = keys.map((k) => parseDevicePublicKey(k.publicKey)!);
    parsed.forEach((p, i) => cache.put(deviceBinding(p.raw), p.key, 1000 + i));
    expect(cache.size).toBe(2);
    expect(cache.take(deviceBinding(parsed[0]!.raw), 0)).toBeNull();
    expect(cache.take(deviceBinding(parsed[1]!.raw), 2000)).toBeNull();
    expect(cache.take(deviceBinding(parsed[2]!.raw), 0)).toBe(parsed[2]!.key);
    expect(cache.take(deviceBinding(parsed[2]!.raw), 0)).toBeNull();
    expect(cache.size).toBe(0);
  });
});
