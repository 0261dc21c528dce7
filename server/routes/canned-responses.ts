// Canned responses: every agent reads them (the composer inserts them by shortcut); admins manage them.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { Services } from '../services/index.ts';
import { caller } from '../plugins/auth.ts';
import { AGENT_AUTH_CODES, AGENT_SECURITY, CannedResponseView, IdParams, Nullable, responses } from './schemas.ts';

const Shortcut = Type.String({
  minLength: 1, maxLength: 50, pattern: '^\\s*[\\p{L}\\p{N}_-]+\\s*$',
  description: 'Letters, digits, - and _; what an agent types after "/"; compared without case',
});
const Body = Type.String({ minLength: 1, maxLength: 5000 });
const SiteId = Type.String({ maxLength: 200, description: 'A site of the account; absent or null: every site' });

const CannedResponseResponse = Type.Object({ cannedResponse: CannedResponseView });
const admin = { minRole: 'admin' as const };
const withRole = [...AGENT_AUTH_CODES, 'FORBIDDEN'] as const;

export const cannedResponseRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.addHook('onRequest', app.requireAgent);
  app.addHook('preHandler', app.limits.agentApi);

  app.get('/canned-responses', {
    schema: {
      security: AGENT_SECURITY,
      summary: 'Canned responses by shortcut: with ?siteId=, the account-wide ones and that site\'s; without, all',
      querystring: Type.Object({ siteId: Type.Optional(SiteId) }),
      response: responses(Type.Object({ cannedResponses: Type.Array(CannedResponseView) }), [...AGENT_AUTH_CODES, 'NOT_FOUND']),
    },
  }, async (request) => ({ cannedResponses: await services.cannedResponses.list(caller(request), request.query.siteId) }));

  app.post('/canned-responses', {
    config: admin,
    schema: {
      security: AGENT_SECURITY,
      summary: 'A new canned response; its shortcut must be free for its site (or account-wide)',
      body: Type.Object({ shortcut: Shortcut, body: Body, siteId: Type.Optional(Nullable(SiteId)) }, {
        additionalProperties: false,
        examples: [{ shortcut: 'refund', body: 'You can return anything within 30 days: reply with your order number and we will send a label.' }],
      }),
      response: responses(CannedResponseResponse, [...withRole, 'NOT_FOUND', 'CONFLICT'], 201),
    },
  }, async (request, reply) => {
    const cannedResponse = await services.cannedResponses.create(caller(request), request.body);
    reply.status(201);
    return { cannedResponse };
  });

  app.patch('/canned-responses/:id', {
    config: admin,
    schema: {
      security: AGENT_SECURITY,
      summary: 'Change a canned response\'s shortcut, text or site',
      params: IdParams,
      body: Type.Object({ shortcut: Type.Optional(Shortcut), body: Type.Optional(Body), siteId: Type.Optional(Nullable(SiteId)) }, {
        additionalProperties: false,
        examples: [{ body: 'We are open Monday to Friday, 9:00 to 17:30 (Paris time).' }],
      }),
      response: responses(CannedResponseResponse, [...withRole, 'NOT_FOUND', 'CONFLICT']),
    },
  }, async (request) => ({ cannedResponse: await services.cannedResponses.update(caller(request), request.params.id, request.body) }));

  app.delete('/canned-responses/:id', {
    config: admin,
    schema: {
      security: AGENT_SECURITY,
      summary: 'Delete a canned response',
      params: IdParams,
      response: responses(Type.Object({ deleted: Type.Boolean() }), [...withRole, 'NOT_FOUND']),
    },
  }, async (request) => {
    await services.cannedResponses.remove(caller(request), request.params.id);
    return { deleted: true };
  });
};
