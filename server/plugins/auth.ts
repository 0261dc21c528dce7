// Bearer-token authentication for the agents' REST API. Routes that need an agent add
// `onRequest: app.requireAgent`; the handler then reads `request.agent`.
import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';
import type { Services } from '../services/index.ts';
import type { AgentSession } from '../services/identity.ts';

declare module 'fastify' {
  interface FastifyInstance {
    requireAgent: (request: FastifyRequest) => Promise<void>;
  }
  interface FastifyRequest {
    agent: AgentSession['agent'] | null;
  }
}

export const authPlugin = fp(async (app, opts: { services: Services }) => {
  app.decorateRequest('agent', null);
  app.decorate('requireAgent', async (request: FastifyRequest) => {
    const header = request.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    if (!token) throw new AppError('AUTH_REQUIRED', 'Missing bearer token');
    const result = await opts.services.identity.authenticate(token, 'agent');
    if (!result.ok) throw new AppError(result.code, result.code === 'TOKEN_EXPIRED' ? 'Token expired' : 'Invalid token');
    if (result.session.kind !== 'agent') throw new AppError('AUTH_INVALID', 'Invalid token');
    request.agent = result.session.agent;
  });
}, { name: 'parley-auth' });

/** The authenticated agent as services want it. Only valid behind requireAgent. */
export function principal(request: FastifyRequest): { agentId: string; accountId: string } {
  const agent = request.agent;
  if (!agent) throw new AppError('AUTH_REQUIRED', 'Missing bearer token');
  return { agentId: agent.id, accountId: agent.accountId };
}
