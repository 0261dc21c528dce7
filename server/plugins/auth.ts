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
    const token = bearerToken(request);
    if (!token) throw new AppError('AUTH_REQUIRED', 'Missing bearer token');
    const result = await opts.services.identity.authenticate(token, 'agent');
    if (!result.ok) throw new AppError(result.code);
    if (result.session.kind !== 'agent') throw new AppError('AUTH_INVALID');
    request.agent = result.session.agent;
  });
}, { name: 'parley-auth' });

/** The token of an `Authorization: Bearer …` header, or undefined. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7).trim() || undefined : undefined;
}

/** The authenticated agent as services want it. Only valid behind requireAgent. */
export function principal(request: FastifyRequest): { agentId: string; accountId: string } {
  const agent = request.agent;
  if (!agent) throw new AppError('AUTH_REQUIRED', 'Missing bearer token');
  return { agentId: agent.id, accountId: agent.accountId };
}
