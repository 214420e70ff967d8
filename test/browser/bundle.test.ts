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

describe("browser bundles", () => {
  it(`keeps the recipient page's JavaScript under ${BUDGET_GZIP_BYTES / 1024} KB gzipped`, () => {
    const gzipped = gzipSync(asset("open.js"), { level: 9 }).length;
    console.log(`dist/assets/open.js: ${asset("open.js").length} bytes, ${gzipped} bytes gzipped`);
    expect(gzipped).toBeLessThan(BUDGET_GZIP_BYTES);
  });

  it("contain no HTML or script sink that Trusted Types would refuse, and no eval", () => {
    const scripts = readdirSync(ASSETS).filter((f) => f.endsWith(".js"));
    expect(scripts.sort()).toEqual(["create.js", "enrol.js", "manage.js", "open.js"]);
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
