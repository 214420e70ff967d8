import type { Readable, Writable } from "node:stream";

/** Exit statuses, as the README's "CLI" section states them for `open`, used the same way by every verb. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
/** The link (or manage link) is unknown, used, expired or revoked. */
export const EXIT_UNAVAILABLE = 2;

/** Where a command reads and writes; the real process in production, fakes in unit tests. */
export interface CliContext {
  env: NodeJS.ProcessEnv;
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable;
}

/**
 * An expected failure of a command: its one-line message goes to stderr and the process exits with `exitCode`.
 * Messages must never contain a link key, a manage token or a link id.
 */
export class CliError extends Error {
  override name = "CliError";
  readonly exitCode: number;

  constructor(message: string, exitCode: number = EXIT_FAILURE) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** The context of the running process. */
export function processContext(): CliContext {
  // Write failures (EPIPE when piped into `head`) reach the command through writeFully's callback and are
  // reported there; without a listener, the stream's 'error' event would also crash with a stack trace.
  for (const stream of [process.stdout, process.stderr]) {
    if (stream.listenerCount("error") === 0) stream.on("error", () => undefined);
  }
  return { env: process.env, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
}

/**
 * Writes to a stream and resolves once the data is handed to the OS (or rejects, e.g. EPIPE), so a command
 * that returns has really delivered its output.
 */
export function writeFully(stream: Writable, data: string | Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(data, (err) => (err ? reject(err) : resolve()));
  });
}
