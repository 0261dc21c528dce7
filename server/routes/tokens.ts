// API tokens: created by owners and admins, shown once, revocable.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type, { type Static } from 'typebox';
import type * as protocol from '../../protocol/index.ts';
import type { Services } from '../services/index.ts';
import { caller } from '../plugins/auth.ts';
import { AGENT_AUTH_CODES, AGENT_SECURITY, AgentRole, IdParams, agree, responses, type Same } from './schemas.ts';

const ApiTokenView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  role: AgentRole,
  prefix: Type.String({ description: 'The token\'s first characters, to tell tokens apart' }),
  createdAt: Type.String({ format: 'date-time' }),
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

agree<Same<Static<typeof ApiTokenView>, protocol.ApiTokenView>>(true);

const admin = { minRole: 'admin' as const };
const withRole = [...AGENT_AUTH_CODES, 'FORBIDDEN'] as const;

export const tokenRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.addHook('onRequest', app.requireAgent);
  app.addHook('preHandler', app.limits.agentApi);

  app.get('/tokens', {
    config: admin,
    schema: {
      security: AGENT_SECURITY,
      summary: 'The account\'s live API tokens (never their secrets)',
      response: responses(Type.Object({ tokens: Type.Array(ApiTokenView) }), withRole),
    },
  }, async (request) => ({ tokens: await services.apiTokens.list(caller(request)) }));

  app.post('/tokens', {
    config: admin,
    schema: {
      security: AGENT_SECURITY,
      summary: 'A new API token; the response is the only time `token` is shown',
      body: Type.Object({
        name: Type.String({ minLength: 1, maxLength: 100 }),
        role: AgentRole,
      }, { examples: [{ name: 'CRM sync', role: 'agent' }] }),
      response: responses(Type.Object({ token: Type.String(), apiToken: ApiTokenView }), withRole, 201),
    },
  }, async (request, reply) => {
    const { token, ...apiToken } = await services.apiTokens.create(caller(request), request.body);
    reply.status(201);
    return { token, apiToken };
  });

  app.delete('/tokens/:id', {
    config: admin,
    schema: {
      security: AGENT_SECURITY,
      summary: 'Revoke a token: the next request with it is refused',
      params: IdParams,
      response: responses(Type.Object({ revoked: Type.Boolean() }), [...withRole, 'NOT_FOUND']),
    },
  }, async (request) => {
    await services.apiTokens.revoke(caller(request), request.params.id);
    return { revoked: true };
  });
};
