// Builds the server/CLI with tsc and the browser bundles with esbuild. Run by `npm ci` (prepare) and `npm test`.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { build } from "esbuild";

const root = new URL("..", import.meta.url).pathname;
rmSync(`${root}dist`, { recursive: true, force: true });
execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, "-p", `${root}tsconfig.json`], {
  stdio: "inherit",
});

const entryDir = `${root}src/web/entries`;
const entries = existsSync(entryDir)
  ? readdirSync(entryDir).filter((f) => f.endsWith(".ts")).map((f) => `${entryDir}/${f}`)
  : [];
mkdirSync(`${root}dist/assets`, { recursive: true });
if (entries.length > 0) {
  await build({
    entryPoints: entries,
    outdir: `${root}dist/assets`,
    bundle: true,
    minify: true,
    format: "esm",
    target: ["es2022"],
    platform: "browser",
    legalComments: "none",
    logLevel: "warning",
  });
}
if (existsSync(`${root}src/web/static`)) cpSync(`${root}src/web/static`, `${root}dist/assets`, { recursive: true });
