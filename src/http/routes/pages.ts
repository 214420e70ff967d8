import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { extname, join } from "node:path";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { pickLocale } from "../../web/i18n/index.js";
import { renderPage, renderUnavailablePage } from "../../web/render.js";
import { PAGE_HEADERS } from "../security-headers.js";

const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
};

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/** Reads the built browser assets once at start; they are small and immutable for the life of the process. */
function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  if (!existsSync(dir)) return assets;
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (!type) continue;
    const body = readFileSync(join(dir, name));
    assets.set(name, { body, type, etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 16)}"` });
  }
  return assets;
}

const PAGE_SCHEMA = { hide: true } as const;

/** Registers the HTML pages and their static assets. The link pages never look anything up. */
export function registerPageRoutes(app: FastifyInstance, opts: { assetDir: string }): void {
  const assets = loadAssets(opts.assetDir);
  const cache = new Map<string, string>();
  // Pages are static per locale, so they are rendered once and served from memory.
  const page = (name: "create" | "open" | "manage" | "unavailable", request: FastifyRequest): string => {
    const locale = pickLocale(request.headers["accept-language"]);
    const key = `${name}:${locale}`;
    let html = cache.get(key);
    if (html === undefined) {
      html = name === "unavailable" ? renderUnavailablePage({ locale }) : renderPage(name, { locale });
      cache.set(key, html);
    }
    return html;
  };
  const html = (reply: FastifyReply, body: string, status = 200) =>
    reply.code(status).headers(PAGE_HEADERS).type("text/html; charset=utf-8").send(body);

  app.get("/", { schema: PAGE_SCHEMA }, async (request, reply) => html(reply, page("create", request)));
  app.get("/l/:id", { schema: PAGE_SCHEMA }, async (request, reply) => html(reply, page("open", request)));
  app.get("/m/:id", { schema: PAGE_SCHEMA }, async (request, reply) => html(reply, page("manage", request)));
  // Office suites and gateways probe links with OPTIONS before fetching them; answer without touching state.
  app.options("/l/:id", { schema: PAGE_SCHEMA }, async (_request, reply) =>
    reply.code(204).header("allow", "GET, HEAD, OPTIONS").send(),
  );

  app.get<{ Params: { name: string } }>("/assets/:name", { schema: PAGE_SCHEMA }, async (request, reply) => {
    const asset = assets.get(request.params.name);
    if (!asset) return html(reply, page("unavailable", request), 404);
    reply.header("cache-control", "public, max-age=300").header("etag", asset.etag);
    if (request.headers["if-none-match"] === asset.etag) return reply.code(304).send();
    return reply.type(asset.type).send(asset.body);
  });

  app.get("/robots.txt", { schema: PAGE_SCHEMA }, async (_request, reply) =>
    reply.type("text/plain; charset=utf-8").send("User-agent: *\nDisallow: /\n"),
  );
}

/** Answers a browser that reached an unknown route with the neutral page (JSON clients get an error body). */
export function sendUnavailablePage(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return reply
    .code(404)
    .headers(PAGE_HEADERS)
    .type("text/html; charset=utf-8")
    .send(renderUnavailablePage({ locale: pickLocale(request.headers["accept-language"]) }));
}
