// The built browser bundles (dist/assets, made by `npm run build` before the suites run): the recipient's page
// stays small, and no bundle contains a Trusted Types sink or a reference to another origin.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";

const ASSETS = join(new URL("../..", import.meta.url).pathname, "dist/assets");
const BUDGET_GZIP_BYTES = 30 * 1024;

function asset(name: string): Buffer {
  const path = join(ASSETS, name);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build\` first (npm test does)`);
  return readFileSync(path);
}

/** The chunks a module imports statically (`import ... from "./chunk-X.js"`), and theirs: what loads with the page. */
function staticClosure(name: string, seen = new Set<string>()): Set<string> {
  if (seen.has(name)) return seen;
  seen.add(name);
  const code = asset(name).toString("utf8");
  for (const m of code.matchAll(/(?:^|[;}\s])import\s*(?:[\w${},\s*]+from\s*)?"\.\/([\w.-]+\.js)"/g)) staticClosure(m[1]!, seen);
  return seen;
}

/** The chunks a module loads on demand (`import("./chunk-X.js")`). */
function lazyChunks(name: string): string[] {
  return [...asset(name).toString("utf8").matchAll(/import\(\s*"\.\/([\w.-]+\.js)"\s*\)/g)].map((m) => m[1]!);
}

const gzipBytes = (names: Iterable<string>) => [...names].reduce((sum, n) => sum + gzipSync(asset(n), { level: 9 }).length, 0);

describe("browser bundles", () => {
  it(`keeps the recipient page's JavaScript under ${BUDGET_GZIP_BYTES / 1024} KB gzipped`, () => {
    // Everything the page loads before anyone clicks: its script and the chunks that script imports statically.
    const initial = staticClosure("open.js");
    const gzipped = gzipBytes(initial);
    const lazy = new Set([...initial].flatMap((n) => lazyChunks(n)).filter((n) => !initial.has(n)));
    console.log(
      `dist/assets/open.js and its static chunks (${[...initial].join(", ")}): ${gzipped} bytes gzipped; ` +
        `loaded only for file and passphrase links: ${[...lazy].join(", ")}, ${gzipBytes(lazy)} bytes gzipped`,
    );
    expect(initial.size).toBeGreaterThan(1);
    expect(gzipped).toBeLessThan(BUDGET_GZIP_BYTES);
    // The WebAssembly hashes (hash-wasm) stay out of the first load: they are only for file and passphrase links.
    for (const name of initial) expect(asset(name).toString("utf8"), name).not.toContain("AGFzbQ");
    expect(lazy.size).toBeGreaterThan(0);
  });

  it("contain no HTML or script sink that Trusted Types would refuse, and no eval", () => {
    const scripts = readdirSync(ASSETS).filter((f) => f.endsWith(".js"));
    // One script per page, plus the chunks esbuild splits off (shared code, code loaded on demand).
    expect(scripts.filter((f) => !/^chunk-[A-Z0-9]+\.js$/.test(f)).sort()).toEqual(["create.js", "enrol.js", "manage.js", "open.js"]);
    for (const name of scripts) {
      const code = asset(name).toString("utf8");
      expect(code, name).not.toMatch(/\.(?:innerHTML|outerHTML|srcdoc)\s*=|insertAdjacentHTML|document\.write|createContextualFragment|DOMParser/);
      expect(code, name).not.toMatch(/\beval\(|new Function\(|\bFunction\(["'`]|setTimeout\(["'`]|setInterval\(["'`]/);
      expect(code, name).not.toMatch(/new (?:Shared)?Worker\(|importScripts\(/);
    }
  });

  it("reference no other origin (fonts, scripts, images, beacons)", () => {
    for (const name of readdirSync(ASSETS).filter((f) => /\.(?:js|css)$/.test(f))) {
      const text = asset(name).toString("utf8");
      // The SVG namespace of the QR code is a name, not something fetched.
      const urls = [...text.matchAll(/(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}[^\s"'`)]*/gi)].map((m) => m[0]);
      // @simplewebauthn/browser names its troubleshooting page in an error message: text, never fetched.
      const names = ["http://www.w3.org/2000/svg", "https://simplewebauthn.dev/docs/"];
      expect(urls.filter((u) => !names.some((n) => u.startsWith(n))), name).toEqual([]);
      expect(text, name).not.toMatch(/@import|@font-face/);
    }
  });
});
