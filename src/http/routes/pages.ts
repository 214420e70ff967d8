import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { extname, join } from "node:path";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { chosenLocale, localeCookie, pickLocale } from "../../web/i18n/index.js";
import type { PageSettings } from "../../web/page-settings.js";
import { renderPage, renderUnavailablePage } from "../../web/render.js";
import { createPreviewCardCache } from "../preview-card.js";
import { PAGE_HEADERS } from "../security-headers.js";
import type { LinkVisits } from "../visits.js";

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

/**
 * The page's locale: the language switcher's `?lang=` (remembered in a cookie from then on), else that cookie,
 * else Accept-Language.
 */
function pageLocale(request: FastifyRequest, reply: FastifyReply): string {
  const chosen = chosenLocale((request.query as Record<string, unknown> | undefined)?.lang, request.headers.cookie);
  if (chosen?.fromQuery) reply.header("set-cookie", localeCookie(chosen.locale, { secure: request.protocol === "https" }));
  return pickLocale(request.headers["accept-language"], chosen?.locale);
}

/** Registers the HTML pages and their static assets. The link pages never look anything up. */
export function registerPageRoutes(
  app: FastifyInstance,
  opts: { assetDir: string; settings?: PageSettings; visits: LinkVisits },
): void {
  const assets = loadAssets(opts.assetDir);
  const cache = new Map<string, string>();
  // Pages are static per locale, so they are rendered once and served from memory.
  const page = (name: "create" | "open" | "manage" | "enrol" | "unavailable", request: FastifyRequest, reply: FastifyReply): string => {
    const locale = pageLocale(request, reply);
    const key = `${name}:${locale}`;
    let html = cache.get(key);
    if (html === undefined) {
      html = name === "unavailable" ? renderUnavailablePage({ locale }) : renderPage(name, { locale, settings: opts.settings });
      cache.set(key, html);
    }
    return html;
  };
  const html = (reply: FastifyReply, body: string, status = 200) =>
    reply.code(status).headers(PAGE_HEADERS).type("text/html; charset=utf-8").send(body);

  app.get("/", { schema: PAGE_SCHEMA }, async (request, reply) => html(reply, page("create", request, reply)));
  const previewCard = createPreviewCardCache();
  // Known previewers get the same page with a generic preview card in its head: a person taken for one can still
  // open the link from it. Nothing here changes state; automated visits are recorded on the link.
  app.get<{ Params: { id: string } }>("/l/:id", { schema: PAGE_SCHEMA }, async (request, reply) => {
    const visit = await opts.visits.observe(request, request.params.id);
    const body = page("open", request, reply);
    return html(reply, visit.card ? previewCard(body, pageLocale(request, reply)) : body);
  });
  app.get("/m/:id", { schema: PAGE_SCHEMA }, async (request, reply) => html(reply, page("manage", request, reply)));
  // The passkey enrolment page: like the link pages, the same document for every token, and nothing looked up.
  app.get("/enrol/:token", { schema: PAGE_SCHEMA }, async (request, reply) => html(reply, page("enrol", request, reply)));
  // Office suites and gateways probe links with OPTIONS before fetching them; answer without touching state.
  app.options<{ Params: { id: string } }>("/l/:id", { schema: PAGE_SCHEMA }, async (request, reply) => {
    await opts.visits.observe(request, request.params.id);
    return reply.code(204).header("allow", "GET, HEAD, OPTIONS").send();
  });

  app.get<{ Params: { name: string } }>("/assets/:name", { schema: PAGE_SCHEMA }, async (request, reply) => {
    const asset = assets.get(request.params.name);
    if (!asset) return html(reply, page("unavailable", request, reply), 404);
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
    .send(renderUnavailablePage({ locale: pageLocale(request, reply) }));
}
