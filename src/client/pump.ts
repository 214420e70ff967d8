import { releaseBuffer } from "../core/release-buffer.js";

/**
 * Feeds `source` into `target` as `source.pipeTo(target)` does (a failing source aborts the target, a failing target
 * cancels the source, the end closes it), one piece at a time: the next piece is read only once the previous one's
 * write resolved. A source may therefore fill the same array for every piece. With `release`, each piece is released
 * (releaseBuffer) once written: only for a source whose pieces are the reader's alone, such as a fetch body.
 * @example await pump(response.body, decrypt.writable, { release: true });
 */
export async function pump(source: ReadableStream<Uint8Array>, target: WritableStream<Uint8Array>, opts: { release?: boolean } = {}): Promise<void> {
  const reader = source.getReader();
  const writer = target.getWriter();
  for (;;) {
    let piece: ReadableStreamReadResult<Uint8Array>;
    try {
      piece = await reader.read();
    } catch (error) {
      await writer.abort(error).catch(() => undefined);
      throw error;
    }
    if (piece.done) break;
    try {
      await writer.write(piece.value);
    } catch (error) {
      await reader.cancel(error).catch(() => undefined);
      throw error;
    }
    if (opts.release === true) releaseBuffer(piece.value);
  }
  await writer.close();
}
