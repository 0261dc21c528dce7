// Webhooks: owners and admins subscribe URLs to the account's events and watch their deliveries.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type, { type Static } from 'typebox';
import type * as protocol from '../../protocol/index.ts';
import type { Services } from '../services/index.ts';
import { WEBHOOK_EVENTS } from '../services/webhooks/events.ts';
import { caller } from '../plugins/auth.ts';
import { AGENT_AUTH_CODES, AGENT_SECURITY, IdParams, Nullable, PageQuery, Paged, agree, responses, type Same } from './schemas.ts';

const WebhookEvent = Type.Enum([...WEBHOOK_EVENTS]);
const Events = Type.Array(WebhookEvent, { minItems: 1, maxItems: WEBHOOK_EVENTS.length, uniqueItems: true });
const Url = Type.String({ minLength: 1, maxLength: 2000, description: 'http or https; private, loopback and link-local addresses are refused' });

const WebhookView = Type.Object({
  id: Type.String(),
  url: Type.String(),
  events: Type.Array(WebhookEvent),
  enabled: Type.Boolean(),
  disabledReason: Nullable(Type.String({ description: 'Why Parley disabled it, and since when it had been failing' })),
  failingSince: Nullable(Type.String({ format: 'date-time', description: 'Start of the current run of failed deliveries' })),
  createdAt: Type.String({ format: 'date-time' }),
});

const DeliveryView = Type.Object({
  id: Type.String(),
  webhookId: Type.String(),
  eventId: Type.String({ description: 'Parley-Event-Id: the same across retries and for every webhook receiving the event' }),
  eventType: Type.String(),
  status: Type.Enum(['pending', 'succeeded', 'failed']),
  nextAttemptAt: Nullable(Type.String({ format: 'date-time' })),
  createdAt: Type.String({ format: 'date-time' }),
  completedAt: Nullable(Type.String({ format: 'date-time' })),
  attempts: Type.Array(Type.Object({
    attemptedAt: Type.String({ format: 'date-time' }),
    statusCode: Nullable(Type.Integer({ description: 'null when no response came (refused, timed out, address not allowed)' })),
    latencyMs: Type.Integer(),
    excerpt: Type.String({ description: 'The first KiB of the response, or the network error' }),
  })),
});

// The console reads these through protocol/index.ts.
agree<Same<Static<typeof WebhookView>, protocol.WebhookView>>(true);
agree<Same<Static<typeof DeliveryView>, protocol.WebhookDeliveryView>>(true);

const WebhookParams = IdParams;
const DeliveryParams = Type.Object({ id: Type.String({ maxLength: 200 }), deliveryId: Type.String({ maxLength: 200 }) });

/** The action routes take nothing: `{}`, or no body at all (bodyless() below). */
const NoBody = Type.Object({}, { additionalProperties: false, examples: [{}] });
/** A POST sent without a body is validated as `{}`. */
const bodyless = { preValidation: async (request: { body: unknown }) => { request.body ??= {}; } };

const admin = { minRole: 'admin' as const };
const withRole = [...AGENT_AUTH_CODES, 'FORBIDDEN'] as const;
const withId = [...withRole, 'NOT_FOUND'] as const;

export const webhookRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.addHook('onRequest', app.requireAgent);
  app.addHook('preHandler', app.limits.agentApi);

  app.get('/webhooks', {
    config: admin,
    schema: {
      security: AGENT_SECURITY,
      summary: 'The account\'s webhooks, newest first (never their secrets)',
      querystring: Type.Object(PageQuery),
      response: responses(Paged('webhooks', WebhookView), withRole),
    },
  }, async (request) => {
    const page = await services.webhooks.list(caller(request), request.query);
    return { webhooks: page.items, nextCursor: page.nextCursor };
  });

  app.post('/webhooks', {
    config: admin,
    schema: {
      security: AGENT_SECURITY,
      summary: 'Subscribe a URL to events; the response is the only time the signing `secret` is shown',
      body: Type.Object({ url: Url, events: Events },
        { examples: [{ url: 'https://crm.example.com/hooks/parley', events: ['conversation.created', 'message.created'] }] }),
      response: responses(Type.Object({ secret: Type.String({ description: 'whsec_…: the HMAC key of Parley-Signature' }), webhook: WebhookView }),
        [...withRole, 'URL_NOT_ALLOWED'], 201),
    },
  }, async (request, reply) => {
    const created = await services.webhooks.create(caller(request), request.body);
    reply.status(201);
    return created;
  });

  app.patch('/webhooks/:id', {
    config: admin,
    schema: {
      security: AGENT_SECURITY,
      summary: 'Change the URL or events, or disable / re-enable (re-enabling clears disabledReason and failingSince)',
      params: WebhookParams,
      body: Type.Object({ url: Type.Optional(Url), events: Type.Optional(Events), enabled: Type.Optional(Type.Boolean()) },
        { examples: [{ events: ['conversation.created', 'conversation.status_changed', 'message.created'], enabled: true }] }),
      response: responses(Type.Object({ webhook: WebhookView }), [...withId, 'URL_NOT_ALLOWED']),
    },
  }, async (request) => ({ webhook: await services.webhooks.update(caller(request), request.params.id, request.body) }));

  app.delete('/webhooks/:id', {
    config: admin,
    schema: {
      security: AGENT_SECURITY,
      summary: 'Delete a webhook with its deliveries',
      params: WebhookParams,
      response: responses(Type.Object({ deleted: Type.Boolean() }), withId),
    },
  }, async (request) => {
    await services.webhooks.remove(caller(request), request.params.id);
    return { deleted: true };
  });

  app.get('/webhooks/:id/deliveries', {
    config: admin,
    schema: {
      security: AGENT_SECURITY,
      summary: 'A webhook\'s deliveries, newest first, each with its attempts',
      params: WebhookParams,
      querystring: Type.Object(PageQuery),
      response: responses(Paged('deliveries', DeliveryView), withId),
    },
  }, async (request) => {
    const page = await services.webhooks.deliveries(caller(request), request.params.id, request.query);
    return { deliveries: page.items, nextCursor: page.nextCursor };
  });

  app.post('/webhooks/:id/test', {
    ...bodyless,
    config: admin,
    schema: {
      security: AGENT_SECURITY,
      summary: 'Send a `ping` event now; the delivery is returned and its attempt appears in the deliveries',
      params: WebhookParams,
      body: NoBody,
      response: responses(Type.Object({ delivery: DeliveryView }), withId, 201),
    },
  }, async (request, reply) => {
    const delivery = await services.webhooks.test(caller(request), request.params.id);
    reply.status(201);
    return { delivery };
  });

  app.post('/webhooks/:id/deliveries/:deliveryId/retry', {
    ...bodyless,
    config: admin,
    schema: {
      security: AGENT_SECURITY,
      summary: 'Make a delivery pending again, due now (after fixing the endpoint, say)',
      params: DeliveryParams,
      body: NoBody,
      response: responses(Type.Object({ delivery: DeliveryView }), withId),
    },
  }, async (request) => ({ delivery: await services.webhooks.retry(caller(request), request.params.id, request.params.deliveryId) }));
};
