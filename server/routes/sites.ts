// Sites: where the widget may be embedded, how it looks, when the team is in, and the identity
// secret that signs visitors (shown once, by create and rotate).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { Services } from '../services/index.ts';
import { caller } from '../plugins/auth.ts';
import { AGENT_AUTH_CODES, AGENT_SECURITY, BusinessHours, IdParams, Nullable, PageQuery, Paged, SiteView, responses } from './schemas.ts';

const Text = (maxLength: number, description?: string) => Type.String({ maxLength, ...(description ? { description } : {}) });

/** Every setting optional: a change is merged into the current settings; null removes an optional one. */
const WidgetSettingsChange = Type.Object({
  title: Type.Optional(Type.String({ minLength: 1, maxLength: 80 })),
  greeting: Type.Optional(Text(500)),
  color: Type.Optional(Type.String({ maxLength: 9, description: 'CSS hex colour: #rgb, #rrggbb (or with alpha)' })),
  position: Type.Optional(Type.Enum(['right', 'left'])),
  teamName: Type.Optional(Nullable(Text(80, 'Shown above agents\' replies instead of each agent\'s name'))),
  launcherLabel: Type.Optional(Nullable(Text(40, 'Text beside the launcher button'))),
  locale: Type.Optional(Nullable(Text(35, 'BCP 47 language tag, e.g. en or fr-CA'))),
  expectedReplyTime: Type.Optional(Nullable(Text(80, 'e.g. "in a few minutes", shown while the team is in'))),
}, { additionalProperties: false });

const siteFields = {
  name: Type.String({ minLength: 1, maxLength: 100 }),
  allowedOrigins: Type.Array(Type.String({ maxLength: 300 }), {
    maxItems: 200,
    description: 'scheme://host[:port]; https://*.example.com allows every subdomain (not the apex). At most 50 after removing duplicates.',
  }),
  settings: WidgetSettingsChange,
  businessHours: Nullable(BusinessHours),
  requireIdentity: Type.Boolean({ description: 'Refuse widget sessions without a valid data-user-hash' }),
  botFirst: Type.Boolean({ description: 'New conversations go to the account\'s bot first' }),
};

const EXAMPLE_SITE = {
  name: 'Shop',
  allowedOrigins: ['https://shop.example.com', 'https://*.example.com'],
  settings: { color: '#0f766e', title: 'Questions?', teamName: 'The Shop team', expectedReplyTime: 'in a few minutes' },
  businessHours: { timeZone: 'Europe/Paris', days: { mon: [['09:00', '17:30']], tue: [['09:00', '17:30']] } },
};
const EXAMPLE_CHANGE = {
  settings: { greeting: 'Hello! How can we help?', launcherLabel: 'Chat with us', position: 'left' },
  requireIdentity: false,
};

const SiteResponse = Type.Object({ site: SiteView });
const SiteWithSecret = Type.Object({
  site: SiteView,
  identitySecret: Type.String({ description: 'HMAC-SHA256 key of data-user-hash; shown only in this answer' }),
});

const admin = { minRole: 'admin' as const };
const owner = { minRole: 'owner' as const };
const withRole = [...AGENT_AUTH_CODES, 'FORBIDDEN'] as const;
const withSite = [...withRole, 'NOT_FOUND'] as const;

export const siteRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.addHook('onRequest', app.requireAgent);
  app.addHook('preHandler', app.limits.agentApi);

  app.get('/sites', {
    schema: {
      security: AGENT_SECURITY,
      summary: 'The account\'s sites, newest first (never their identity secrets)',
      querystring: Type.Object(PageQuery),
      response: responses(Paged('sites', SiteView), AGENT_AUTH_CODES),
    },
  }, async (request) => {
    const page = await services.sites.list(caller(request), { cursor: request.query.cursor, limit: request.query.limit ?? 50 });
    return { sites: page.items, nextCursor: page.nextCursor };
  });

  app.post('/sites', {
    config: admin,
    schema: {
      security: AGENT_SECURITY,
      summary: 'A new site with its public key; the answer is the only one, besides rotate, that shows `identitySecret`',
      body: Type.Object({
        name: siteFields.name,
        allowedOrigins: Type.Optional(siteFields.allowedOrigins),
        settings: Type.Optional(siteFields.settings),
        businessHours: Type.Optional(siteFields.businessHours),
        requireIdentity: Type.Optional(siteFields.requireIdentity),
        botFirst: Type.Optional(siteFields.botFirst),
      }, { additionalProperties: false, examples: [EXAMPLE_SITE] }),
      response: responses(SiteWithSecret, withRole, 201),
    },
  }, async (request, reply) => {
    const created = await services.sites.create(caller(request), request.body);
    reply.status(201);
    return created;
  });

  app.get('/sites/:id', {
    schema: {
      security: AGENT_SECURITY,
      summary: 'One site, with its public key (data-site of the widget\'s script tag)',
      params: IdParams,
      response: responses(SiteResponse, [...AGENT_AUTH_CODES, 'NOT_FOUND']),
    },
  }, async (request) => ({ site: await services.sites.get(caller(request), request.params.id) }));

  app.patch('/sites/:id', {
    config: admin,
    schema: {
      security: AGENT_SECURITY,
      summary: 'Change a site; `settings` is merged into the current widget settings',
      params: IdParams,
      body: Type.Object({
        name: Type.Optional(siteFields.name),
        allowedOrigins: Type.Optional(siteFields.allowedOrigins),
        settings: Type.Optional(siteFields.settings),
        businessHours: Type.Optional(siteFields.businessHours),
        requireIdentity: Type.Optional(siteFields.requireIdentity),
        botFirst: Type.Optional(siteFields.botFirst),
      }, { additionalProperties: false, examples: [EXAMPLE_CHANGE] }),
      response: responses(SiteResponse, withSite),
    },
  }, async (request) => ({ site: await services.sites.update(caller(request), request.params.id, request.body) }));

  app.delete('/sites/:id', {
    config: owner,
    schema: {
      security: AGENT_SECURITY,
      summary: 'Delete a site and, with it, all its visitors and their conversations and messages (cannot be undone)',
      params: IdParams,
      response: responses(Type.Object({ deleted: Type.Boolean() }), withSite),
    },
  }, async (request) => {
    await services.sites.remove(caller(request), request.params.id);
    return { deleted: true };
  });

  app.post('/sites/:id/identity-secret', {
    config: admin,
    schema: {
      security: AGENT_SECURITY,
      summary: 'Rotate the identity secret: the new one is shown once, and hashes made with the old one stop verifying at once',
      params: IdParams,
      // Nothing to say, but every POST sends JSON (a form cannot: see the content-type check).
      body: Type.Object({}, { additionalProperties: false, examples: [{}] }),
      response: responses(SiteWithSecret, withSite),
    },
  }, async (request) => services.sites.rotateIdentitySecret(caller(request), request.params.id));
};
