import type { FastifyInstance } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { PolicySetup } from "../../core/templates.js";
import { catalogFor, pickLocale, t } from "../../web/i18n/index.js";
import { policySettingsFrom } from "../../web/page-settings.js";
import { templateName, templateSummary } from "../../web/template-summary.js";
import { MAX_RECIPIENTS, TemplatesResponse } from "../schemas.js";

/**
 * `GET /api/v1/templates`: the policy templates of this instance with their plain summaries (in the language of
 * Accept-Language), the create page's default, and the minimums every link must meet. The same for every caller;
 * network ranges are never listed.
 */
export function registerTemplateRoutes(app: FastifyInstance, setup: PolicySetup): void {
  const settings = policySettingsFrom(setup, MAX_RECIPIENTS);
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    "/api/v1/templates",
    {
      schema: {
        summary: "The policy templates a sender may choose, and what this server requires of every link",
        tags: ["links"],
        response: { 200: TemplatesResponse },
      },
    },
    async (request) => {
      const locale = pickLocale(request.headers["accept-language"]);
      const catalog = catalogFor(locale);
      const translate = (key: Parameters<typeof t>[1], params?: Parameters<typeof t>[2]) => t(catalog, key, params);
      return {
        templates: settings.templates.map((facts) => ({
          id: facts.id,
          name: templateName(facts, translate, locale),
          summary: templateSummary(facts, translate, locale),
          built_in: facts.builtIn,
          ttl: facts.ttl,
          passphrase: facts.passphrase,
          passkey: facts.passkey,
          preview: facts.preview,
          allow_country: [...facts.allowCountry],
          country_required: facts.countryRequired,
          networks: facts.networks,
        })),
        default_template: settings.defaultTemplate,
        minimums: {
          passphrase: settings.minimums.passphrase,
          passkey: settings.minimums.passkey,
          max_ttl: settings.minimums.maxTtl,
          preview: settings.minimums.preview,
          allow_country: [...settings.minimums.allowCountry],
        },
        max_recipients: settings.maxRecipients,
      };
    },
  );
}
