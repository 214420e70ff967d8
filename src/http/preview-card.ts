import { catalogFor, t } from "../web/i18n/index.js";
import { escapeHtml } from "../web/render.js";

/**
 * The generic preview card's tags for a locale: Open Graph and Twitter card title and description that say only
 * "a private one-time link". Nothing in them depends on the link: no id, no URL, no content type, size or sender.
 * There is deliberately no og:url (it would repeat the id) and no image.
 */
export function previewCardTags(locale: string): string {
  const c = catalogFor(locale);
  const title = escapeHtml(t(c, "preview.title"));
  const description = escapeHtml(t(c, "preview.description"));
  return [
    `<meta property="og:type" content="website">`,
    `<meta property="og:site_name" content="${escapeHtml(t(c, "common.brand"))}">`,
    `<meta property="og:title" content="${title}">`,
    `<meta property="og:description" content="${description}">`,
    `<meta name="description" content="${description}">`,
    `<meta name="twitter:card" content="summary">`,
    `<meta name="twitter:title" content="${title}">`,
    `<meta name="twitter:description" content="${description}">`,
  ].join("\n");
}

/**
 * The recipient page with the preview card's tags added to its head. The page itself stays whole, script included:
 * classification can be wrong, and a person taken for a previewer must still be able to open the link.
 * @example withPreviewCard(renderPage("open", { locale }), locale)
 */
export function withPreviewCard(page: string, locale: string): string {
  const tags = previewCardTags(locale);
  const at = page.indexOf("</title>");
  if (at >= 0) return `${page.slice(0, at + 8)}\n${tags}${page.slice(at + 8)}`;
  const head = page.indexOf("<head>");
  if (head >= 0) return `${page.slice(0, head + 6)}\n${tags}${page.slice(head + 6)}`;
  return page;
}

/** Preview-card pages by their base page, so each is built once per locale (pages are static per locale). */
export function createPreviewCardCache(): (page: string, locale: string) => string {
  const cache = new Map<string, { page: string; card: string }>();
  return (page, locale) => {
    const hit = cache.get(locale);
    if (hit !== undefined && hit.page === page) return hit.card;
    const card = withPreviewCard(page, locale);
    cache.set(locale, { page, card });
    return card;
  };
}
