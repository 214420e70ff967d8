// Builds the server/CLI with tsc and the browser bundles with esbuild into a fresh folder, then swaps it in as
// dist/, so a server or CLI started meanwhile never finds a half-built tree. Run by `npm ci` (prepare) and `npm test`.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { build } from "esbuild";

const root = new URL("..", import.meta.url).pathname;
const out = `${root}dist.build-${process.pid}`;
rmSync(out, { recursive: true, force: true });
try {
  execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, "-p", `${root}tsconfig.json`, "--outDir", out], {
    stdio: "inherit",
  });
  const entryDir = `${root}src/web/entries`;
  const entries = readdirSync(entryDir).filter((f) => f.endsWith(".ts")).map((f) => `${entryDir}/${f}`);
  mkdirSync(`${out}/assets`, { recursive: true });
  await build({
    entryPoints: entries,
    outdir: `${out}/assets`,
    bundle: true,
    minify: true,
    format: "esm",
    // Code only some pages or links need (hash-wasm for passphrases and files, the file saver) goes into chunks
    // loaded by import() when needed, so the recipient page's first load stays small. Shared code is a chunk too.
    splitting: true,
    chunkNames: "chunk-[hash]",
    target: ["es2022"],
    platform: "browser",
    legalComments: "none",
    logLevel: "warning",
  });
  if (existsSync(`${root}src/web/static`)) cpSync(`${root}src/web/static`, `${out}/assets`, { recursive: true });
  const old = `${root}dist.old-${process.pid}`;
  if (existsSync(`${root}dist`)) renameSync(`${root}dist`, old);
  renameSync(out, `${root}dist`);
  rmSync(old, { recursive: true, force: true });
} catch (err) {
  rmSync(out, { recursive: true, force: true });
  throw err;
}
