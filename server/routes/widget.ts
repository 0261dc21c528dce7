// The widget's only REST call, made cross-origin from customers' pages, and the only route that
// answers CORS: to the allowed origins of the site the URL names (`?site=KEY`), preflight included.
// A preflight has no body, hence the site in the URL. No cookies are involved; the Origin check
// in the service is what protects the call, CORS only decides which pages may read the answer.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { AppError } from '../errors.ts';
import type { Services } from '../services/index.ts';
import { originAllowed } from '../services/identity.ts';
import { WidgetSessionResponse, responses } from './schemas.ts';

const SiteKey = Type.String({ minLength: 1, maxLength: 100 });
const SessionQuery = Type.Object({ site: Type.Optional(SiteKey) });
const PATH = '/api/widget/session';
/** Browsers cap it lower (Chromium: 2 h); a changed allowed-origins list applies within this. */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

type Site = Awaited<ReturnType<Services['identity']['siteByKey']>>;

export const widgetRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  /** The site the CORS check looked up, by request: the session call then needs no second query. */
  const sitesLookedUp = new WeakMap<FastifyRequest, { key: string; site: Site }>();

  /** Access-Control-Allow-Origin for a page of one of the named site's allowed origins; nothing for others. */
  async function allowSiteOrigin(request: FastifyRequest, reply: FastifyReply) {
    reply.header('vary', 'Origin');
    const origin = request.headers.origin;
    // Before validation: `?site=a&site=b` arrives as an array, which names no site.
    const siteKey: unknown = (request.query as { site?: unknown }).site;
    if (!origin || typeof siteKey !== 'string' || !siteKey) return;
    const site = await services.identity.siteByKey(siteKey);
    sitesLookedUp.set(request, { key: siteKey, site });
    if (site && originAllowed(site, origin)) reply.header('access-control-allow-origin', origin);
  }

  app.options(PATH, {
    onRequest: allowSiteOrigin,
    schema: {
      summary: 'CORS preflight of the session call: allowed only for the named site\'s origins',
      querystring: SessionQuery,
      response: responses(Type.Null(), [], 204),
    },
  }, async (_request, reply) => {
    if (reply.hasHeader('access-control-allow-origin')) {
      reply.header('access-control-allow-methods', 'POST');
      reply.header('access-control-allow-headers', 'content-type');
      reply.header('access-control-max-age', PREFLIGHT_MAX_AGE_SECONDS);
    }
    return reply.status(204).send(null);
  });

  app.post(PATH, {
    onRequest: allowSiteOrigin,
    preHandler: app.limits.widgetSession,
    schema: {
      summary: 'A visitor token for a site, from a page of one of its allowed origins',
      querystring: SessionQuery,
      body: Type.Object({
        /** Widgets before `?site=` sent the key here; still accepted when the URL names no site. */
        siteKey: Type.Optional(SiteKey),
        token: Type.Optional(Type.String({ maxLength: 4096 })),
        /** From data-user-* or Parley('identify', …): a user the site's backend signed. */
        identity: Type.Optional(Type.Object({
          userId: Type.String({ minLength: 1, maxLength: 255 }),
          userHash: Type.String({ maxLength: 128, description: 'hex(HMAC-SHA256(identitySecret, userId))' }),
          name: Type.Optional(Type.String({ maxLength: 200 })),
          email: Type.Optional(Type.String({ maxLength: 320 })),
        })),
      }),
      response: responses(WidgetSessionResponse, ['SITE_NOT_FOUND', 'ORIGIN_NOT_ALLOWED', 'AUTH_INVALID', 'IDENTITY_REQUIRED']),
    },
  }, (request) => {
    const { site } = request.query;
    const { siteKey, token, identity } = request.body;
    if (site && siteKey && site !== siteKey) throw new AppError('VALIDATION_FAILED', 'site and siteKey name different sites');
    const key = site ?? siteKey;
    if (!key) throw new AppError('VALIDATION_FAILED', 'Name the site: ?site=KEY');
    const { origin } = request.headers;
    const lookedUp = sitesLookedUp.get(request);
    return lookedUp?.key === key
      ? services.identity.visitorSessionFor(lookedUp.site, origin, token, identity)
      : services.identity.visitorSession(key, origin, token, identity);
  });
};
