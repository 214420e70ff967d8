import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { PassThrough } from "node:stream";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Challenge } from "altcha-lib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { derivePassphrase, newPassphraseSalt } from "../src/client/passphrase.js";
import { generateLinkKey } from "../src/crypto/client-layer.js";
import { decryptFileBytes, encryptFileBytes, fileStreamLength } from "../src/crypto/file-stream.js";
import { PART_BYTES } from "../src/http/routes/files.js";
import { buildTestApp, mintSession, solvePow, type TestApp } from "./helpers/app.js";
import { recordSecrets } from "./helpers/secrets.js";

// The file API through HTTP (app.inject) against a real store: the upload protocol, its limits, what the database
// holds, and the one-time streamed consume. The CLI and a real server are in test/files.test.ts.

const PROXY = "192.0.2.10";
const NL = "193.0.6.139"; // RIPE NCC
const DE = "194.25.0.1"; // Deutsche Telekom

let t: TestApp;
let small: TestApp;
let ruled: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
  // 64 KiB files at most, and room for about two of them in all.
  small = await buildTestApp({ MAX_FILE_BYTES: String(64 * 1024), FILE_STORAGE_QUOTA: String(150 * 1024) });
  // Instance minimums, and clients seen through a trusted proxy (for country rules).
  const policyFile = join(mkdtempSync(join(tmpdir(), "oncelink-policy-")), "policy.json");
  writeFileSync(policyFile, JSON.stringify({ minimums: { max_ttl: "72h" } }));
  ruled = await buildTestApp({ ONCELINK_POLICY_FILE: policyFile, TRUST_PROXY: PROXY });
});
afterAll(async () => {
  await t?.close();
  await small?.close();
  await ruled?.close();
});

const octets = { "content-type": "application/octet-stream" };

async function startUpload(app: TestApp): Promise<{ upload: string; part_bytes: number; max_stream_bytes: number }> {
  const res = await app.app.inject({ method: "POST", url: "/api/v1/files", payload: {} });
  expect(res.statusCode).toBe(201);
  const body = res.json() as { upload: string; part_bytes: number; max_stream_bytes: number };
  recordSecrets(body.upload);
  return body;
}

function putPart(app: TestApp, upload: string, part: number, payload: Uint8Array) {
  return app.app.inject({ method: "PUT", url: `/api/v1/files/${upload}/parts/${part}`, headers: octets, payload: Buffer.from(payload) });
}

/** Uploads a client file stream in parts and finishes it; returns the link's id and manage token. */
async function uploadStream(app: TestApp, stream: Uint8Array, finish: Record<string, unknown> = {}): Promise<{ id: string; manageToken: string }> {
  const { upload, part_bytes: partBytes } = await startUpload(app);
  for (let at = 0, part = 0; at < stream.length; at += partBytes, part++) {
    const res = await putPart(app, upload, part, stream.subarray(at, at + partBytes));
    expect(res.statusCode, res.body).toBe(200);
  }
  const res = await app.app.inject({ method: "POST", url: `/api/v1/files/${upload}/finish`, payload: finish });
  expect(res.statusCode, res.body).toBe(201);
  const body = res.json() as { id: string; manage_url: string };
  const manageToken = body.manage_url.split("#")[1]!;
  recordSecrets(body.id, manageToken);
  return { id: body.id, manageToken };
}

async function consume(app: TestApp, id: string) {
  const session = await mintSession(app.app, id);
  return app.app.inject({ method: "POST", url: `/api/v1/links/${id}/consume`, headers: { authorization: `Session ${session}` } });
}

describe("file links through HTTP", () => {
  it("uploads in parts, streams the file once, and keeps no chunk after", async () => {
    const key = generateLinkKey();
    recordSecrets(key);
    const bytes = new Uint8Array(randomBytes(PART_BYTES + 3 * 1024 * 1024 + 17)); // three parts, seven stored chunks
    const stream = await encryptFileBytes(bytes, key, { name: "quarterly.xlsx", type: "application/vnd.ms-excel" });
    const link = await uploadStream(t, stream);
    const info = await t.app.inject({ url: `/api/v1/links/${link.id}` });
    expect(info.json()).toMatchObject({ state: "fresh", encryption: "client", content: "file" });
    expect(await t.countRows("file_chunks")).toBeGreaterThanOrEqual(7);

    const res = await consume(t, link.id);
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("application/octet-stream");
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(Number(res.headers["content-length"])).toBe(stream.length);
    expect(res.rawPayload.equals(Buffer.from(stream))).toBe(true);
    const opened = await decryptFileBytes(new Uint8Array(res.rawPayload), key);
    expect(Buffer.from(opened.bytes).equals(Buffer.from(bytes))).toBe(true);
    expect(opened.summary.name).toBe("quarterly.xlsx");

    expect((await consume(t, link.id).catch(() => null))?.statusCode ?? 404).toBe(404);
    const status = await t.app.inject({ url: `/api/v1/links/${link.id}/status`, headers: { authorization: `Bearer ${link.manageToken}` } });
    expect(status.json()).toMatchObject({ state: "consumed" });
    expect(await t.countRows("file_chunks")).toBe(0);
    expect(await t.countRows("files")).toBe(0);
    expect(await t.store.storageBytes()).toBe(0);
  });

  it("lets a part sent again take over from a request still sending it: the stale one gets 409, the file stays whole", async () => {
    const key = generateLinkKey();
    recordSecrets(key);
    const bytes = new Uint8Array(randomBytes(PART_BYTES + 100_000)); // two parts
    const stream = await encryptFileBytes(bytes, key);
    const { upload } = await startUpload(t);
    const part0 = stream.subarray(0, PART_BYTES);
    const before = await t.store.storageBytes();
    // The first request sends part of its body and stalls (a slow network, a paused process, a client that gave up).
    const body = new PassThrough();
    const stale = t.app.inject({
      method: "PUT",
      url: `/api/v1/files/${upload}/parts/0`,
      headers: { ...octets, "content-length": String(part0.length) },
      payload: body,
    });
    body.write(part0.subarray(0, 1536 * 1024));
    for (let i = 0; (await t.store.storageBytes()) === before; i++) {
      if (i > 400) throw new Error("the first request stored nothing");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // The part sent again, whole, takes the part over.
    const again = await putPart(t, upload, 0, part0);
    expect(again.statusCode, again.body).toBe(200);
    // The stale body arrives after all, with other bytes: none of them may land in the file.
    body.end(Buffer.from(randomBytes(part0.length - 1536 * 1024)));
    const late = await stale;
    expect(late.statusCode).toBe(409);
    expect(late.json()).toMatchObject({ error: "UPLOAD_PART_SUPERSEDED" });
    // A third copy of part 0 (its answer was lost, say) learns that part 0 is stored.
    const third = await putPart(t, upload, 0, part0);
    expect(third.statusCode).toBe(409);
    expect(third.json()).toEqual({ error: "UPLOAD_PART_OUT_OF_ORDER", message: expect.any(String), next_part: 1 });
    expect((await putPart(t, upload, 1, stream.subarray(PART_BYTES))).statusCode).toBe(200);
    const finished = await t.app.inject({ method: "POST", url: `/api/v1/files/${upload}/finish`, payload: {} });
    expect(finished.statusCode, finished.body).toBe(201);
    const link = finished.json() as { id: string; manage_url: string };
    recordSecrets(link.id, link.manage_url.split("#")[1]!);

    const res = await consume(t, link.id);
    expect(res.statusCode).toBe(200);
    expect(res.rawPayload.equals(Buffer.from(stream))).toBe(true);
    const opened = await decryptFileBytes(new Uint8Array(res.rawPayload), key);
    expect(Buffer.from(opened.bytes).equals(Buffer.from(bytes))).toBe(true);
    expect(await t.store.storageBytes()).toBe(before);
  });

  it("keeps the file name, the exact size and the plaintext out of the database", async () => {
    const key = generateLinkKey();
    const name = `payroll-${randomBytes(8).toString("hex")}.pdf`;
    const marker = Buffer.from(`PLAINTEXT-MARKER-${randomBytes(8).toString("hex")}`);
    const size = 200_000 + (randomBytes(2).readUInt16BE(0) % 1000);
    const bytes = Buffer.alloc(size, marker); // the marker repeated: any stretch of plaintext would show
    recordSecrets(key, name);
    const stream = await encryptFileBytes(bytes, key, { name, type: "application/pdf" });
    // What the server stores is a padded bucket (4 KiB wide at this size): a file 1000 bytes smaller or larger looks
    // the same.
    const meta = { name, type: "application/pdf" };
    expect([fileStreamLength(size - 1000, meta), fileStreamLength(size + 1000, meta)]).toContain(stream.length);
    const link = await uploadStream(t, stream);
    const files = await t.diskBytes();
    if (files !== null) {
      expect(files.length).toBeGreaterThan(0);
      for (const file of files) {
        expect(file.includes(Buffer.from(name))).toBe(false);
        expect(file.includes(marker)).toBe(false);
        expect(file.includes(Buffer.from(String(size)))).toBe(false);
      }
    }
    await consume(t, link.id);
  });

  it("refuses an oversized upload with 413 FILE_TOO_LARGE and keeps nothing of it", async () => {
    const key = generateLinkKey();
    const stream = await encryptFileBytes(new Uint8Array(randomBytes(100 * 1024)), key);
    const { upload, max_stream_bytes: max } = await startUpload(small);
    expect(stream.length).toBeGreaterThan(max);
    // Declared too large up front: refused before a byte is read.
    const whole = await putPart(small, upload, 0, stream);
    expect(whole.statusCode).toBe(413);
    expect(whole.json()).toMatchObject({ error: "FILE_TOO_LARGE" });
    expect(await small.countRows("files")).toBe(0);
    // Over the limit part by part: the part that crosses it is refused, and the parts before it are deleted too.
    const second = await startUpload(small);
    expect((await putPart(small, second.upload, 0, stream.subarray(0, 40 * 1024))).statusCode).toBe(200);
    const crossing = await putPart(small, second.upload, 1, stream.subarray(40 * 1024));
    expect(crossing.statusCode).toBe(413);
    expect(crossing.json()).toMatchObject({ error: "FILE_TOO_LARGE" });
    expect(await small.countRows("file_chunks")).toBe(0);
    expect(await small.countRows("files")).toBe(0);
    expect(await small.store.storageBytes()).toBe(0);
    expect((await putPart(small, second.upload, 2, stream.subarray(0, 10))).json()).toMatchObject({ error: "UPLOAD_UNAVAILABLE" });
  });

  it("refuses uploads beyond the storage quota with 413 STORAGE_FULL, keeping the files already stored", async () => {
    const key = generateLinkKey();
    const stream = await encryptFileBytes(new Uint8Array(randomBytes(60 * 1024)), key);
    const first = await uploadStream(small, stream);
    const second = await uploadStream(small, stream);
    const { upload } = await startUpload(small);
    const third = await putPart(small, upload, 0, stream);
    expect(third.statusCode).toBe(413);
    expect(third.json()).toMatchObject({ error: "STORAGE_FULL" });
    expect(await small.countRows("files")).toBe(2);
    // Consuming a file frees its room.
    for (const link of [first, second]) expect((await consume(small, link.id)).statusCode).toBe(200);
    expect(await small.store.storageBytes()).toBe(0);
    await uploadStream(small, stream);
  });

  it("takes parts only in order, and refuses what is not a file stream", async () => {
    const key = generateLinkKey();
    const stream = await encryptFileBytes(new Uint8Array(randomBytes(10)), key);
    const { upload } = await startUpload(t);
    expect((await putPart(t, upload, 1, stream)).json()).toMatchObject({ error: "UPLOAD_PART_OUT_OF_ORDER" });
    const early = await t.app.inject({ method: "POST", url: `/api/v1/files/${upload}/finish`, payload: {} });
    expect(early.json()).toMatchObject({ error: "CONTENT_EMPTY" });
    const json = await t.app.inject({ method: "PUT", url: `/api/v1/files/${upload}/parts/0`, payload: { a: 1 } });
    expect(json.statusCode).toBe(415);
    expect((await putPart(t, upload, 0, stream)).statusCode).toBe(200);
    expect((await putPart(t, upload, 0, stream)).json()).toMatchObject({ error: "UPLOAD_PART_OUT_OF_ORDER" });
    const badTtl = await t.app.inject({ method: "POST", url: `/api/v1/files/${upload}/finish`, payload: { ttl: 1 } });
    expect(badTtl.json()).toMatchObject({ error: "TTL_INVALID" });
    expect((await t.app.inject({ method: "DELETE", url: `/api/v1/files/${upload}` })).statusCode).toBe(204);
    expect((await t.app.inject({ method: "POST", url: `/api/v1/files/${upload}/finish`, payload: {} })).statusCode).toBe(404);

    const garbage = await startUpload(t);
    const res = await putPart(t, garbage.upload, 0, Buffer.from("just some text, not a stream"));
    expect(res.json()).toMatchObject({ error: "CIPHERTEXT_INVALID" });
    // A refused part 0 ends the whole upload, as a 413 does: sent again, even well formed, it finds no upload.
    expect((await putPart(t, garbage.upload, 0, stream)).json()).toMatchObject({ error: "UPLOAD_UNAVAILABLE" });
    expect((await putPart(t, "AAAAAAAAAAAAAAAAAAAAAA", 0, stream)).json()).toMatchObject({ error: "UPLOAD_UNAVAILABLE" });
    expect((await putPart(t, "nope", 0, stream)).statusCode).toBe(404);
  });

  it("sweeps an upload that was never finished", async () => {
    const key = generateLinkKey();
    const stream = await encryptFileBytes(new Uint8Array(randomBytes(1000)), key);
    const { upload } = await startUpload(t);
    expect((await putPart(t, upload, 0, stream)).statusCode).toBe(200);
    const before = await t.countRows("files");
    const result = await t.store.purgeExpired(t.clock.now + t.config.uploadTtlSeconds * 1000 + 1);
    expect(result.files).toBeGreaterThanOrEqual(1);
    expect(await t.countRows("files")).toBe(before - 1);
    expect((await t.app.inject({ method: "POST", url: `/api/v1/files/${upload}/finish`, payload: {} })).statusCode).toBe(404);
  });
});

describe("file links and the link policy", () => {
  const finish = (app: TestApp, upload: string, payload: Record<string, unknown>) =>
    app.app.inject({ method: "POST", url: `/api/v1/files/${upload}/finish`, payload });

  /** An upload with one part stored, not finished. */
  async function storedUpload(app: TestApp, bytes: Uint8Array): Promise<string> {
    const key = generateLinkKey();
    recordSecrets(key);
    const { upload } = await startUpload(app);
    expect((await putPart(app, upload, 0, await encryptFileBytes(bytes, key))).statusCode).toBe(200);
    return upload;
  }

  async function trySession(app: TestApp, id: string, client: string, extra: Record<string, unknown> = {}) {
    const from = { remoteAddress: PROXY, headers: { "x-forwarded-for": client } };
    const ch = await app.app.inject({ url: `/api/v1/links/${id}/challenge`, ...from });
    expect(ch.statusCode).toBe(200);
    const pow = await solvePow(ch.json() as Challenge);
    const res = await app.app.inject({ method: "POST", url: `/api/v1/links/${id}/session`, payload: { pow, ...extra }, ...from });
    if (res.statusCode === 201) recordSecrets((res.json() as { session: string }).session);
    return res;
  }

  it("applies templates, minimums, country rules and the passphrase at the finish, exactly as for a text link", async () => {
    const bytes = new Uint8Array(randomBytes(5000));
    const upload = await storedUpload(ruled, bytes);
    const salt = newPassphraseSalt();
    const { proof } = await derivePassphrase("file words", salt);
    recordSecrets("file words", proof);

    // Refusals change nothing: the upload stays open and can be finished again.
    expect((await finish(ruled, upload, { template: "standard" })).json()).toMatchObject({ error: "TEMPLATE_CONFLICT" });
    expect((await finish(ruled, upload, { ttl: 7 * 86_400 })).json()).toMatchObject({ error: "POLICY_MINIMUM" });
    expect((await finish(ruled, upload, { template: "nope" })).json()).toMatchObject({ error: "TEMPLATE_UNKNOWN" });
    expect((await finish(ruled, upload, { policy: { allow_country: ["XX1"] } })).json()).toMatchObject({ error: "POLICY_INVALID" });
    const many = await finish(ruled, upload, { recipients: 2 });
    expect(many.statusCode).toBe(400);
    expect(many.json()).toMatchObject({ error: "FILE_RECIPIENTS_UNSUPPORTED" });
    expect(await ruled.countRows("links")).toBe(0);

    const res = await finish(ruled, upload, { template: "standard", policy: { passphrase: { salt, proof }, allow_country: ["de"] } });
    expect(res.statusCode, res.body).toBe(201);
    const created = res.json() as { id: string; manage_url: string; expires_at: string; links: unknown[] };
    const manageToken = created.manage_url.split("#")[1]!;
    recordSecrets(created.id, manageToken);
    expect(created.links).toHaveLength(1);
    // The template's lifetime (72 h, within the minimum's ceiling).
    expect(Date.parse(created.expires_at) - ruled.clock.now).toBe(72 * 3_600_000);
    const info = await ruled.app.inject({ url: `/api/v1/links/${created.id}` });
    expect(info.json()).toMatchObject({ content: "file", requires: { pow: true, passphrase: { salt } } });
    const status = await ruled.app.inject({ url: `/api/v1/links/${created.id}/status`, headers: { authorization: `Bearer ${manageToken}` } });
    expect(status.json()).toMatchObject({ policy: { template: "standard", passphrase: true, allow_country: ["DE"] } });

    // Opened from the wrong country, or without the passphrase: refused, and the file is still there.
    expect((await trySession(ruled, created.id, NL, { passphrase_proof: proof })).json()).toMatchObject({ error: "COUNTRY_DENIED" });
    expect((await trySession(ruled, created.id, DE)).json()).toMatchObject({ error: "PASSPHRASE_REQUIRED" });
    expect(await ruled.countRows("file_chunks")).toBeGreaterThan(0);
    const session = await trySession(ruled, created.id, DE, { passphrase_proof: proof });
    expect(session.statusCode, session.body).toBe(201);
    const opened = await ruled.app.inject({
      method: "POST",
      url: `/api/v1/links/${created.id}/consume`,
      headers: { authorization: `Session ${(session.json() as { session: string }).session}` },
    });
    expect(opened.statusCode).toBe(200);
    expect(opened.headers["content-type"]).toBe("application/octet-stream");
    expect(await ruled.countRows("file_chunks")).toBe(0);
  });

  it("fails closed on a passkey template: the session step refuses, nothing is spent", async () => {
    const upload = await storedUpload(ruled, new Uint8Array(randomBytes(100)));
    expect((await finish(ruled, upload, { template: "ultra-secure" })).json()).toMatchObject({ error: "TEMPLATE_CONFLICT" });
    const res = await finish(ruled, upload, { template: "ultra-secure", policy: { allow_country: ["DE"] } });
    expect(res.statusCode, res.body).toBe(201);
    const { id, manage_url: manageUrl } = res.json() as { id: string; manage_url: string };
    recordSecrets(id, manageUrl.split("#")[1]!);
    expect((await ruled.app.inject({ url: `/api/v1/links/${id}` })).json()).toMatchObject({ requires: { passkey: { mode: "required" } } });
    expect((await trySession(ruled, id, DE)).json()).toMatchObject({ error: "PASSKEY_REQUIRED" });
    const info = await ruled.app.inject({ url: `/api/v1/links/${id}` });
    expect(info.json()).toMatchObject({ state: "fresh", content: "file" });
  });
});
