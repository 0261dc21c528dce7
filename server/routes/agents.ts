// The signed-in agent, their account and sites, and their colleagues.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../services/index.ts';
import { caller, signedInAgent } from '../plugins/auth.ts';
import { AGENT_AUTH_CODES, AGENT_SECURITY, AgentListResponse, MeResponse, responses } from './schemas.ts';

export const agentRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.addHook('onRequest', app.requireAgent);
  app.addHook('preHandler', app.limits.agentApi);

  app.get('/me', {
    schema: {
      security: AGENT_SECURITY,
      summary: 'The signed-in agent, their account and its sites',
      response: responses(MeResponse, AGENT_AUTH_CODES),
    },
  }, (request) => services.team.me(signedInAgent(request)));

  app.get('/agents', {
    schema: {
      security: AGENT_SECURITY,
      summary: 'Every agent of the account, with availability',
      response: responses(AgentListResponse, AGENT_AUTH_CODES),
    },
  }, async (request) => ({ agents: await services.team.agents(caller(request).accountId) }));
};
