import { describe, expect, it } from "vitest";
import { createFileLink, type PartRetry } from "./create-file-link.js";
import { FileUploadFailedError, OncelinkApiError, OncelinkError, ServerUnreachableError, UploadPartOutOfOrderError } from "./errors.js";

// Which failures of a part createFileLink sends again, against a scripted stand-in for the upload API (the real server,
// and real broken connections, are in test/files.test.ts): the answers a retry can cure, and those it cannot.

const SERVER = "https://s.example";
const UPLOAD = "UpLoAdToKeNAAAAAAAAAAA";
const ID = "AAAAAAAAAAAAAAAAAAAAAA";
const PART_BYTES = 64 * 1024;

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

/** One scripted answer to a part: a status and code, or a thrown network failure. */
type PartAnswer = { status: number; code?: string; next_part?: number } | "network";

/**
 * An upload server whose answers to parts come from `script` (first try of the first part first); once the script is
 * used up, every part is stored. Records every request as "METHOD path".
 */
function scriptedServer(script: PartAnswer[]) {
  const requests: string[] = [];
  const fetchFn: typeof fetch = async (input, init) => {
    const url = new URL(String(input));
    const method = init?.method ?? "GET";
    requests.push(`${method} ${url.pathname}`);
    if (method === "POST" && url.pathname === "/api/v1/files") {
      return json(201, { upload: UPLOAD, part_bytes: PART_BYTES, max_file_bytes: 1 << 20, max_stream_bytes: 2 << 20, expires_at: "2030-01-01T00:00:00.000Z" });
    }
    const part = /\/parts\/(\d+)$/.exec(url.pathname);
    if (method === "PUT" && part !== null) {
      // The whole part is read, as a server would, before it answers.
      await new Response(init?.body ?? null).arrayBuffer();
      const answer = script.shift();
      if (answer === "network") throw new TypeError("fetch failed", { cause: Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }) });
      if (answer !== undefined) return json(answer.status, { error: answer.code ?? `HTTP_${answer.status}`, message: "scripted", next_part: answer.next_part });
      const n = Number(part[1]);
      return json(200, { part: n, bytes: 1, next_part: n + 1 });
    }
    if (method === "POST" && url.pathname.endsWith("/finish")) {
      const created = { id: ID, url: `${SERVER}/l/${ID}`, manage_url: `${SERVER}/m/${ID}#MaNaGeToKeNAAAAAAAAAAA`, expires_at: "2030-01-01T00:00:00.000Z" };
      return json(201, { ...created, links: [created] });
    }
    if (method === "DELETE") return new Response(null, { status: 204 });
    return json(404, { error: "NOT_FOUND", message: "scripted" });
  };
  return { fetchFn, requests };
}

/** Sends a file of about two and a half parts through `script`; returns the outcome, the requests and the retries. */
async function send(script: PartAnswer[], partRetries?: number) {
  const server = scriptedServer(script);
  const retries: PartRetry[] = [];
  const outcome = await createFileLink({
    server: SERVER,
    source: new Blob([new Uint8Array(PART_BYTES * 2 + 1000)]).stream(),
    fetch: server.fetchFn,
    partRetryDelayMs: 0,
    ...(partRetries === undefined ? {} : { partRetries }),
    onRetry: (retry) => retries.push(retry),
  }).then(
    (link) => ({ link, error: null }),
    (error: unknown) => ({ link: null, error }),
  );
  const puts = server.requests.filter((r) => r.startsWith("PUT "));
  return { ...outcome, puts, requests: server.requests, retries };
}

describe("createFileLink: retrying a part", () => {
  it.each<[string, PartAnswer]>([
    ["a broken connection", "network"],
    ["a proxy's 502", { status: 502 }],
    ["a proxy's 504", { status: 504 }],
    ["the server's 500 INTERNAL", { status: 500, code: "INTERNAL" }],
    ["the server's 503 SHUTTING_DOWN", { status: 503, code: "SHUTTING_DOWN" }],
    ["the server's 400 UPLOAD_INTERRUPTED", { status: 400, code: "UPLOAD_INTERRUPTED" }],
  ])("sends a part again, from its start, after %s", async (_what, failure) => {
    const sent = await send([failure, failure]);
    expect(sent.error).toBeNull();
    expect(sent.link?.id).toBe(ID);
    // Part 0 failed twice and went through on its third try; parts 1 and 2 went once.
    expect(sent.puts).toEqual([0, 0, 0, 1, 2].map((n) => `PUT /api/v1/files/${UPLOAD}/parts/${n}`));
    expect(sent.retries.map(({ part, retry }) => [part, retry])).toEqual([[0, 1], [0, 2]]);
    expect(sent.retries[0]!.error).toBeInstanceOf(failure === "network" ? ServerUnreachableError : OncelinkApiError);
    expect(sent.requests).not.toContain(`DELETE /api/v1/files/${UPLOAD}`);
  });

  it.each<[string, PartAnswer]>([
    ["413 FILE_TOO_LARGE", { status: 413, code: "FILE_TOO_LARGE" }],
    ["413 STORAGE_FULL", { status: 413, code: "STORAGE_FULL" }],
    ["404 UPLOAD_UNAVAILABLE (expired or cancelled)", { status: 404, code: "UPLOAD_UNAVAILABLE" }],
    ["400 CIPHERTEXT_INVALID", { status: 400, code: "CIPHERTEXT_INVALID" }],
    ["409 UPLOAD_PART_SUPERSEDED", { status: 409, code: "UPLOAD_PART_SUPERSEDED" }],
    ["429 RATE_LIMITED", { status: 429, code: "RATE_LIMITED" }],
  ])("never sends a part again after %s: the request itself is wrong; the upload is cancelled", async (_what, failure) => {
    const sent = await send([failure]);
    expect(sent.error).toBeInstanceOf(OncelinkApiError);
    expect((sent.error as OncelinkApiError).code).toBe((failure as { code: string }).code);
    expect(sent.puts).toHaveLength(1);
    expect(sent.retries).toEqual([]);
    expect(sent.requests.at(-1)).toBe(`DELETE /api/v1/files/${UPLOAD}`);
  });

  it("stops after three retries of one part with FileUploadFailedError, and cancels the upload", async () => {
    const sent = await send([{ status: 502 }, "network", { status: 503 }, { status: 400, code: "UPLOAD_INTERRUPTED" }]);
    expect(sent.error).toBeInstanceOf(FileUploadFailedError);
    expect((sent.error as FileUploadFailedError).tries).toBe(4);
    expect((sent.error as Error).cause).toMatchObject({ code: "UPLOAD_INTERRUPTED" });
    expect((sent.error as Error).message).toMatch(/failed 4 times in a row .* no link was made/);
    expect(sent.puts).toHaveLength(4);
    expect(sent.requests.at(-1)).toBe(`DELETE /api/v1/files/${UPLOAD}`);
  });

  it("sends each part once with partRetries 0, and refuses a bad retry setting before sending anything", async () => {
    const once = await send([{ status: 502 }], 0);
    expect(once.error).toBeInstanceOf(FileUploadFailedError);
    expect((once.error as FileUploadFailedError).tries).toBe(1);
    expect(once.puts).toHaveLength(1);
    const server = scriptedServer([]);
    for (const partRetries of [-1, 1.5, Number.NaN, 11]) {
      await expect(createFileLink({ server: SERVER, source: new Blob(["x"]).stream(), fetch: server.fetchFn, partRetries })).rejects.toThrow(OncelinkError);
    }
    expect(server.requests).toEqual([]);
  });

  it("takes 'next part is n + 1' after a retry of part n as stored (its answer was lost), but not on a first try", async () => {
    const lost = await send(["network", { status: 409, code: "UPLOAD_PART_OUT_OF_ORDER", next_part: 1 }]);
    expect(lost.error).toBeNull();
    expect(lost.puts).toEqual([0, 0, 1, 2].map((n) => `PUT /api/v1/files/${UPLOAD}/parts/${n}`));

    const first = await send([{ status: 409, code: "UPLOAD_PART_OUT_OF_ORDER", next_part: 1 }]);
    expect(first.error).toBeInstanceOf(UploadPartOutOfOrderError);
    expect((first.error as UploadPartOutOfOrderError).nextPart).toBe(1);
    expect(first.puts).toHaveLength(1);

    // Any other part the server expects is a real disagreement, not a lost answer.
    const other = await send(["network", { status: 409, code: "UPLOAD_PART_OUT_OF_ORDER", next_part: 0 }]);
    expect(other.error).toBeInstanceOf(UploadPartOutOfOrderError);
    expect(other.puts).toHaveLength(2);
  });
});
