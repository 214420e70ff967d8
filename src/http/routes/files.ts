import { Readable } from "node:stream";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { ERRORS, errorBody } from "../../core/errors.js";
import { isSecretShape, newSecret } from "../../core/ids.js";
import { releaseBuffer } from "../../core/release-buffer.js";
import { fileStreamMaxLength, isFileStreamHeader } from "../../crypto/file-stream.js";
import { logTag, safeEqual, sha256 } from "../../crypto/hash.js";
import { secureRandomBytes } from "../../crypto/random.js";
import { newDataKey, openWithKey, SEAL_OVERHEAD_BYTES, sealWithKey, sealWithKeyInto, unwrapDataKey, wrapDataKey } from "../../crypto/server-layer.js";
import { FILE_STREAM_LEASE_MS, type ReleasedContent } from "../../store/link-store.js";
import type { RouteDeps } from "../deps.js";
import { sendError } from "../errors.js";
import { linkOptions } from "../link-options.js";
import { rateLimitFor } from "../rate-limit.js";
import {
  CreateLinkResponse,
  LinkOptionsBody,
  PartParams,
  PartResponse,
  StartUploadResponse,
  UploadParams,
  errors,
} from "../schemas.js";

/** Largest part body: a browser sends each as one request (it cannot stream a request body over HTTP/1.1). */
export const PART_BYTES = 4 * 1024 * 1024;
/** Bytes per stored chunk, each sealed on its own: what the server holds in memory per upload or download. */
export const STORE_CHUNK_BYTES = 1024 * 1024;
/**
 * How long a part may take before the upload may be finished without it (a crashed or vanished writer). A part sent
 * again takes over from the attempt before it at any time, lease or not (see beginPart).
 */
const PART_LEASE_MS = 10 * 60_000;
/** A download deletes what it has sent every this many chunks (and the rest when it ends). */
const DROP_EVERY_CHUNKS = 8;
const MANIFEST_BYTES = 16 + 4 + 8;

/**
 * Buffers of a chunk and its sealed form, reused from part to part (and upload to upload) rather than allocated per
 * chunk: V8 frees large buffers only in batches, after tens of megabytes of them, so every 1 MiB allocation avoided
 * lowers the server's peak memory while files pass. A few are kept; more concurrent parts allocate their own.
 */
const chunkBuffers = {
  spare: [] as Buffer[],
  take(): Buffer {
    return this.spare.pop() ?? Buffer.allocUnsafe(STORE_CHUNK_BYTES + SEAL_OVERHEAD_BYTES);
  },
  give(buffer: Buffer): void {
    if (this.spare.length < 8) this.spare.push(buffer);
  },
};
const iso = (ms: number) => new Date(ms).toISOString();

/** AAD of a stored chunk: the file and the chunk's position, so no chunk can be moved, swapped or replayed. */
function chunkAad(fileId: Uint8Array, seq: number): Buffer {
  const aad = Buffer.allocUnsafe(fileId.length + 4);
  aad.set(fileId);
  aad.writeUInt32BE(seq, fileId.length);
  return aad;
}

/** The link's sealed record of its file: which file, how many chunks, how long the stream (never in the clear). */
function encodeManifest(fileId: Uint8Array, chunks: number, streamBytes: number): Buffer {
  const out = Buffer.alloc(MANIFEST_BYTES);
  out.set(fileId);
  out.writeUInt32BE(chunks, 16);
  out.writeBigUInt64BE(BigInt(streamBytes), 20);
  return out;
}

function decodeManifest(bytes: Buffer): { fileId: Buffer; chunks: number; streamBytes: number } {
  if (bytes.length !== MANIFEST_BYTES) throw new Error("file manifest has the wrong length");
  return { fileId: bytes.subarray(0, 16), chunks: bytes.readUInt32BE(16), streamBytes: Number(bytes.readBigUInt64BE(20)) };
}

/**
 * Registers the file upload API (docs/protocol.md, "Files"): start, parts, finish, cancel. Each part streams into the
 * store as it arrives, sealed chunk by chunk; the server never holds a whole part, let alone a whole file.
 */
export function registerFileRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { config, store, keyring, metrics } = deps;
  const maxStreamBytes = fileStreamMaxLength(config.maxFileBytes);
  const infoEnabled = ["trace", "debug", "info"].includes(app.log.level);
  const logEvent = (request: FastifyRequest, event: string, idHash: Uint8Array) => {
    if (infoEnabled) request.log.info({ event, link: logTag(deps.logKey, idHash) }, event);
  };
  const uploadHashOf = (token: string): Buffer | null => (isSecretShape(token) ? sha256(token) : null);

  app.register(async (scope) => {
    // Parts are raw bytes: the parser hands the request stream over untouched, and the handler counts and limits it.
    scope.addContentTypeParser("application/octet-stream", (_request, payload, done) => done(null, payload));
    const api = scope.withTypeProvider<TypeBoxTypeProvider>();

    api.post(
      "/api/v1/files",
      {
        schema: {
          summary: "Start a file upload (then send its parts, then finish it to get the link)",
          tags: ["files"],
          response: { 201: StartUploadResponse, ...errors(413, 429) },
        },
        config: rateLimitFor(config.rateLimitCreate),
      },
      async (_request, reply) => {
        if ((await store.storageBytes()) >= config.fileStorageQuota) return sendError(reply, "STORAGE_FULL");
        const token = newSecret(deps.random);
        const fileId = secureRandomBytes(16);
        const now = deps.now();
        const expiresAt = now + config.uploadTtlSeconds * 1000;
        const key = newDataKey(keyring, fileId);
        key.dataKey.fill(0);
        await store.createUpload({
          fileId,
          uploadHash: sha256(token),
          keyVersion: key.keyVersion,
          wrappedKey: key.wrappedKey,
          createdAt: now,
          expiresAt,
        });
        return reply.code(201).send({
          upload: token,
          part_bytes: PART_BYTES,
          max_file_bytes: config.maxFileBytes,
          max_stream_bytes: maxStreamBytes,
          expires_at: iso(expiresAt),
        });
      },
    );

    api.put(
      "/api/v1/files/:upload/parts/:part",
      {
        schema: {
          summary: "Send one part of the client's file stream (application/octet-stream, at most part_bytes), in order",
          tags: ["files"],
          params: PartParams,
          response: { 200: PartResponse, ...errors(400, 404, 409, 413, 415) },
        },
      },
      async (request, reply) => {
        const uploadHash = uploadHashOf(request.params.upload);
        const part = Number(request.params.part);
        if (uploadHash === null) return drainThen(request, reply, "UPLOAD_UNAVAILABLE");
        // Any other parsed body (JSON) is not a part: refused before the upload is touched.
        if (request.body !== undefined && !(request.body instanceof Readable)) return sendError(reply, "UNSUPPORTED_MEDIA_TYPE");
        const declared = request.headers["content-length"] === undefined ? null : Number(request.headers["content-length"]);
        const now = deps.now();
        // This request's attempt at the part: any attempt still writing it (a client's earlier try whose connection
        // broke, a stalled writer) is superseded, and each of its later writes is refused (the attempt fences it out).
        const begun = await store.beginPart(uploadHash, part, now, now + PART_LEASE_MS);
        if (!begun.ok) {
          if (begun.reason === "unavailable") return drainThen(request, reply, "UPLOAD_UNAVAILABLE");
          // Which part comes next: a client whose answer to part n was lost sees n + 1 here and knows n was stored.
          // So this answer must reach it: the body (one part at most, from the holder of the upload token) is read
          // first, because an answer sent while the client is still writing can be lost with the connection.
          await discardBody(request, declared);
          return drainThen(request, reply, "UPLOAD_PART_OUT_OF_ORDER", { next_part: begun.nextPart });
        }
        const { upload, attempt } = begun;
        type Refusal = "FILE_TOO_LARGE" | "STORAGE_FULL" | "PAYLOAD_TOO_LARGE" | "CIPHERTEXT_INVALID";
        const superseded = (result: "superseded" | "unavailable") => (result === "superseded" ? "UPLOAD_PART_SUPERSEDED" : "UPLOAD_UNAVAILABLE");
        const refuse = async (code: Refusal): Promise<Refusal | "UPLOAD_PART_SUPERSEDED" | "UPLOAD_UNAVAILABLE"> => {
          // Every refusal of a part ends the whole upload: nothing of it stays behind. Only while this attempt holds
          // the part, though: a superseded request cannot end the upload that its successor is writing.
          const ended = await store.cancelUploadFromPart(attempt);
          if (ended !== "ok") return superseded(ended);
          metrics.uploadsRefused.inc({ code });
          return code;
        };
        // Known from the header, before a byte is read: refuse at once and close, rather than read what will be thrown away.
        if (declared !== null && (declared > PART_BYTES || upload.storedBytes + declared > maxStreamBytes)) {
          const code = await refuse(declared > PART_BYTES ? "PAYLOAD_TOO_LARGE" : "FILE_TOO_LARGE");
          reply.header("connection", "close");
          return sendError(reply, code);
        }

        const dataKey = unwrapDataKey(keyring, upload.keyVersion, upload.wrappedKey, upload.fileId);
        let seq = upload.nextSeq;
        let partBytes = 0;
        let refused: Awaited<ReturnType<typeof refuse>> | null = null;
        let headerChecked = part !== 0;
        // The bytes of the next chunk gather in one reused buffer and are sealed into another (see chunkBuffers); the
        // request's pieces and the cipher's output are released as soon as they are copied (see releaseBuffer).
        const stage = chunkBuffers.take();
        const sealed = chunkBuffers.take();
        let staged = 0;
        const store1 = async (bytes: Uint8Array): Promise<void> => {
          const length = sealWithKeyInto(dataKey, bytes, chunkAad(upload.fileId, seq), sealed);
          const result = await store.appendChunk(attempt, seq, sealed.subarray(0, length), config.fileStorageQuota);
          if (result === "quota") refused = await refuse("STORAGE_FULL");
          else if (result !== "ok") refused = superseded(result);
          else seq++;
        };
        try {
          // Read to the end even after a refusal (what remains is at most one part): a reply sent mid-body could be
          // lost to the client, which is still writing.
          const body = request.body instanceof Readable ? request.body : Readable.from([]);
          for await (const piece of body) {
            const bytes = piece as Buffer;
            if (refused !== null) {
              releaseBuffer(bytes);
              continue;
            }
            partBytes += bytes.length;
            if (partBytes > PART_BYTES) refused = await refuse("PAYLOAD_TOO_LARGE");
            else if (upload.storedBytes + partBytes > maxStreamBytes) refused = await refuse("FILE_TOO_LARGE");
            for (let at = 0; at < bytes.length && refused === null; ) {
              const take = Math.min(bytes.length - at, STORE_CHUNK_BYTES - staged);
              bytes.copy(stage, staged, at, at + take);
              staged += take;
              at += take;
              if (!headerChecked && staged >= 2) {
                // A cheap check that part 0 starts like a client file stream: it proves nothing, it stops mistakes early.
                headerChecked = true;
                if (!isFileStreamHeader(stage.subarray(0, 2))) refused = await refuse("CIPHERTEXT_INVALID");
              }
              if (refused === null && staged === STORE_CHUNK_BYTES) {
                await store1(stage.subarray(0, staged));
                staged = 0;
              }
            }
            // The HTTP parser's copy of these bytes, read by this loop alone and now staged: freed at once rather than
            // left for the collector with the rest of the part (see releaseBuffer).
            releaseBuffer(bytes);
          }
          if (refused === null && staged > 0) await store1(stage.subarray(0, staged));
          if (refused === null && part === 0 && partBytes < 2) refused = await refuse("CIPHERTEXT_INVALID");
        } catch {
          // The client went away mid-part: undo this part (unless a newer attempt has it already); the upload can
          // send it again.
          await store.abortPart(attempt);
          return sendError(reply, "UPLOAD_INTERRUPTED");
        } finally {
          dataKey.fill(0);
          // Every store call on them has settled (each is awaited): they can serve the next part.
          chunkBuffers.give(stage);
          chunkBuffers.give(sealed);
        }
        if (refused !== null) return sendError(reply, refused);
        const ended = await store.endPart(attempt, part, seq, upload.storedBytes + partBytes);
        if (ended !== "ok") return sendError(reply, superseded(ended));
        return { part, bytes: partBytes, next_part: part + 1 };
      },
    );
  });

  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.post(
    "/api/v1/files/:upload/finish",
    {
      schema: {
        summary: "Finish an upload: the file becomes a fresh one-time link (same answer as creating a text link)",
        tags: ["files"],
        params: UploadParams,
        body: LinkOptionsBody,
        response: { 201: CreateLinkResponse, ...errors(400, 404, 409) },
      },
    },
    async (request, reply) => {
      const uploadHash = uploadHashOf(request.params.upload);
      const now = deps.now();
      const upload = uploadHash === null ? null : await store.getUpload(uploadHash, now);
      if (uploadHash === null || upload === null) return sendError(reply, "UPLOAD_UNAVAILABLE");
      if (upload.busy) return sendError(reply, "UPLOAD_BUSY");
      if (upload.nextSeq === 0) return sendError(reply, "CONTENT_EMPTY");
      // The same template, minimums, address and country rules and passphrase as a text link (src/http/link-options.ts).
      const options = await linkOptions(request.body, config, deps.policySetup, store);
      if (!options.ok) return sendError(reply, options.code, options.message);
      // One stored file per link: its chunks are deleted as its one download streams them. Several recipients would
      // need the chunks shared with a reference count (or stored once per link); refused plainly instead, and the
      // upload stays open so the same finish can be sent again with one recipient.
      if (options.recipients > 1) return sendError(reply, "FILE_RECIPIENTS_UNSUPPORTED");
      const id = newSecret(deps.random);
      const manageToken = newSecret(deps.random);
      const idHash = sha256(id);
      const dataKey = unwrapDataKey(keyring, upload.keyVersion, upload.wrappedKey, upload.fileId);
      let link;
      try {
        // From here the data key is bound to the link (as every link's is), and the link's sealed record names its file.
        const wrapped = wrapDataKey(keyring, dataKey, idHash);
        const sealed = sealWithKey(dataKey, encodeManifest(upload.fileId, upload.nextSeq, upload.storedBytes), idHash);
        const expiresAt = now + options.ttlSeconds * 1000;
        link = { idHash, manageHash: sha256(manageToken), kind: "file" as const, ...wrapped, sealed, policy: options.policy, createdAt: now, expiresAt };
      } finally {
        dataKey.fill(0);
      }
      if (!(await store.finishUpload(uploadHash, upload.fileId, upload.nextSeq, link, now))) return sendError(reply, "UPLOAD_UNAVAILABLE");
      metrics.linksCreated.inc({ encryption: "client" });
      metrics.filesCreated.inc();
      logEvent(request, "link.created", idHash);
      const created = {
        id,
        url: `${config.publicUrl}/l/${id}`,
        manage_url: `${config.publicUrl}/m/${id}#${manageToken}`,
        expires_at: iso(link.expiresAt),
      };
      return reply.code(201).send({ ...created, links: [created] });
    },
  );

  api.delete(
    "/api/v1/files/:upload",
    {
      schema: {
        summary: "Cancel an unfinished upload: everything stored of it is deleted",
        tags: ["files"],
        params: UploadParams,
        response: { 204: { type: "null", description: "Cancelled" }, ...errors(404) },
      },
    },
    async (request, reply) => {
      const uploadHash = uploadHashOf(request.params.upload);
      const upload = uploadHash === null ? null : await store.getUpload(uploadHash, deps.now());
      if (upload === null) return sendError(reply, "UPLOAD_UNAVAILABLE");
      // Finished meanwhile: the upload is a link now, and its file stays whole.
      if (!(await store.cancelUpload(upload.fileId))) return sendError(reply, "UPLOAD_UNAVAILABLE");
      return reply.code(204).send(null);
    },
  );
}

/**
 * Reads a part's body to its end and drops it, as long as it stays within one part (a longer one is left unread, and
 * drainThen closes the connection). A body that breaks off ends the reading quietly: there is nobody left to answer.
 */
async function discardBody(request: FastifyRequest, declared: number | null): Promise<void> {
  if (!(request.body instanceof Readable) || (declared !== null && declared > PART_BYTES)) return;
  let read = 0;
  try {
    for await (const piece of request.body) {
      read += (piece as Buffer).length;
      releaseBuffer(piece as Buffer);
      if (read > PART_BYTES) return;
    }
  } catch {
    // The client went away.
  }
}

/** Answers an error for a part before the handler reads its body: a body left unread closes the connection. */
function drainThen(
  request: FastifyRequest,
  reply: FastifyReply,
  code: "UPLOAD_UNAVAILABLE" | "UPLOAD_PART_OUT_OF_ORDER",
  extra: { next_part?: number } = {},
): FastifyReply {
  if (!request.raw.complete) reply.header("connection", "close");
  return reply.code(ERRORS[code].status).type("application/json; charset=utf-8").send({ ...errorBody(code), ...extra });
}

/**
 * The consume of a file link, after the one conditional write (FRESH -> CONSUMED, wrapped key deleted) has happened:
 * unwraps the data key (held in memory for this stream only), and streams the chunks out once, in order, deleting
 * them as it goes. When the stream ends, completely or not (the recipient's connection dropped), every chunk left is
 * deleted: nothing more can be served. A lease keeps the sweep away while the stream runs.
 *
 * The chunks are written to the response here rather than piped from a stream: a write's callback is what says that
 * the socket is done with a chunk, and only then can its memory be handed back (releaseBuffer) instead of waiting,
 * with every other chunk sent meanwhile, for the garbage collector.
 */
export async function sendFileContent(
  deps: RouteDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  released: ReleasedContent,
  idHash: Uint8Array,
): Promise<FastifyReply> {
  const { store, keyring, metrics } = deps;
  const dataKey = unwrapDataKey(keyring, released.keyVersion, released.wrappedKey, idHash);
  let manifest;
  try {
    manifest = decodeManifest(openWithKey(dataKey, released.sealed, idHash));
    if (released.fileId === null || !safeEqual(manifest.fileId, released.fileId)) throw new Error("file link: manifest names another file");
  } catch (error) {
    dataKey.fill(0);
    throw error;
  }
  const { fileId, chunks, streamBytes } = manifest;
  try {
    await store.leaseFile(fileId, deps.now() + 3 * FILE_STREAM_LEASE_MS);
  } catch (error) {
    dataKey.fill(0);
    throw error;
  }
  const renew = setInterval(() => {
    store.leaseFile(fileId, deps.now() + 3 * FILE_STREAM_LEASE_MS).catch(() => undefined);
  }, FILE_STREAM_LEASE_MS);
  renew.unref();

  // From here Fastify sends nothing: the headers its hooks and the consume route set go out with the first chunk, and
  // its onResponse hook still runs when the response finishes.
  reply.hijack();
  const res = reply.raw;
  // A recipient who hung up while the consume committed is gone before this listener: its "close" has been emitted
  // already, and a write to it would wait for a "drain" that never comes (the file then outlived its link).
  let gone = res.destroyed;
  res.once("close", () => {
    gone = true;
  });
  const writable = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        res.off("drain", done);
        res.off("close", done);
        resolve();
      };
      res.on("drain", done);
      res.on("close", done);
    });
  let sent = 0;
  let dropped = 0;
  // The last chunk reached the socket: a recipient who hangs up right after it has the whole file.
  let lastWritten = false;
  try {
    reply.header("content-type", "application/octet-stream").header("content-length", String(streamBytes));
    for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) res.setHeader(name, value);
    res.writeHead(200);
    for (let seq = 0; seq < chunks && !gone; seq++) {
      const sealed = await store.readChunk(fileId, seq);
      if (sealed === null) throw new Error("file link: a stored chunk is missing");
      const plain = openWithKey(dataKey, sealed, chunkAad(fileId, seq));
      // The store's copy is opened and nothing else holds it; the opened chunk is the socket's until its write is done.
      releaseBuffer(sealed);
      if (gone) break;
      const last = seq === chunks - 1;
      const flowing = res.write(plain, (error) => {
        if (error !== null && error !== undefined) return;
        releaseBuffer(plain);
        if (last) lastWritten = true;
      });
      // Listening from now: the socket may drain during the drop below.
      const drained = flowing ? null : writable();
      sent = seq + 1;
      // Not after the last chunk: deleteFile below removes the rest, and a recipient with the whole file may close
      // while this drop commits.
      if (sent < chunks && sent - dropped >= DROP_EVERY_CHUNKS) {
        await store.dropChunks(fileId, sent);
        dropped = sent;
      }
      if (drained !== null) await drained;
    }
  } catch (error) {
    request.log.error({ err: { message: (error as Error).message } }, "file download failed");
    res.destroy();
  } finally {
    clearInterval(renew);
    dataKey.fill(0);
    const complete = sent === chunks && (lastWritten || !gone);
    metrics.fileDownloads.inc({ outcome: complete ? "complete" : "interrupted" });
    if (!complete) metrics.consumesUndelivered.inc();
    // Complete or interrupted, the file is gone now: one-time means one time. (Before the response ends: a recipient
    // who has the whole file can count on it.)
    await store.deleteFile(fileId).catch((err: Error) => request.log.error({ err: { message: err.message } }, "file delete failed"));
  }
  if (sent === chunks && !gone && !res.destroyed) res.end();
  return reply;
}
