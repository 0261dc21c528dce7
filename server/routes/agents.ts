import type { FastifyInstance } from 'fastify';
import type { Services } from '../services/index.ts';
import { principal } from '../plugins/auth.ts';

export async function agentRoutes(app: FastifyInstance, { services }: { services: Services }) {
  app.addHook('onRequest', app.requireAgent);
  app.get('/api/me', (request) => services.team.me(request.agent!));
  app.get('/api/agents', async (request) => ({ agents: await services.team.agents(principal(request).accountId) }));
}
