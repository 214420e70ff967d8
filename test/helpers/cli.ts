import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The built CLI, as `npm ci` leaves it (bin/oncelink.js loads dist/cli). */
export const CLI_BIN = fileURLToPath(new URL("../../bin/oncelink.js", import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
  /** The child was still running after the time limit and was killed by `finished`. */
  killedByGuard: boolean;
}

/**
 * Starts `node bin/oncelink.js ...args` with `env` over this process's environment (a name set to undefined is
 * removed from it), every stdio piped.
 */
export function spawnCli(args: string[], env: Record<string, string | undefined> = {}): ChildProcessWithoutNullStreams {
  const merged: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete merged[name];
  return spawn(process.execPath, [CLI_BIN, ...args], { env: merged, stdio: ["pipe", "pipe", "pipe"] });
}

/** Collects a child's output until it ends; one still running after `limitMs` is killed (SIGKILL) and reported so. */
export function finished(child: ChildProcessWithoutNullStreams, limitMs = 30_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let killedByGuard = false;
    child.stdout.on("data", (c: Buffer) => out.push(c));
    // A test may close the pipe early on purpose (EPIPE in the child); the parent's side must not throw.
    child.stdout.on("error", () => undefined);
    child.stderr.on("data", (c: Buffer) => err.push(c));
    const guard = setTimeout(() => {
      killedByGuard = true;
      child.kill("SIGKILL");
    }, limitMs);
    child.once("error", (error) => {
      clearTimeout(guard);
      reject(error);
    });
    child.once("close", (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString("utf8"), killedByGuard });
    });
  });
}

/** Runs the CLI to its end with `input` on stdin (empty by default). */
export function runCli(args: string[], opts: { input?: Uint8Array | string; env?: Record<string, string | undefined> } = {}): Promise<CliResult> {
  const child = spawnCli(args, opts.env);
  const result = finished(child);
  child.stdin.on("error", () => undefined);
  child.stdin.end(opts.input ?? "");
  return result;
}
