// Bearer-token authentication for the REST API: an agent's console token (JWT) or an API token
// (`parley_pat_…`). Routes that need a caller add `onRequest: app.requireAgent`; it also enforces the
// least role the route declares in `config.minRole` (default: any agent), so a role check cannot be
// forgotten in a handler. The handler then reads `caller(request)`.
import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';
import type { AgentRole } from '../../protocol/index.ts';
import { AppError } from '../errors.ts';
import type { Services } from '../services/index.ts';
import { agentCaller, atLeast, type Caller } from '../services/access.ts';
import { isApiToken } from '../services/api-tokens.ts';
import type { AgentSession } from '../services/identity.ts';

type Agent = AgentSession['agent'];

declare module 'fastify' {
  interface FastifyInstance {
    requireAgent: (request: FastifyRequest) => Promise<void>;
  }
  interface FastifyRequest {
    /** The signed-in agent; null for API tokens. */
    agent: Agent | null;
    caller: Caller | null;
  }
  interface FastifyContextConfig {
    /** The least role that may call this route (default 'agent'). */
    minRole?: AgentRole;
  }
}

export const authPlugin = fp(async (app, opts: { services: Services }) => {
  app.decorateRequest('agent', null);
  app.decorateRequest('caller', null);
  app.decorate('requireAgent', async (request: FastifyRequest) => {
    const token = bearerToken(request);
    if (!token) throw new AppError('AUTH_REQUIRED', 'Missing bearer token');
    if (isApiToken(token)) {
      const caller = await opts.services.apiTokens.authenticate(token);
      if (!caller) throw new AppError('AUTH_INVALID', 'Unknown or revoked API token');
      request.caller = caller;
    } else {
      const result = await opts.services.identity.authenticate(token, 'agent');
      if (!result.ok) throw new AppError(result.code);
      if (result.session.kind !== 'agent') throw new AppError('AUTH_INVALID');
      request.agent = result.session.agent;
      request.caller = agentCaller(result.session.agent);
    }
    const least = request.routeOptions.config.minRole ?? 'agent';
    if (!atLeast(request.caller.role, least)) {
      throw new AppError('FORBIDDEN', `This needs the ${least} role or higher`);
    }
  });
}, { name: 'parley-auth' });

/** The token of an `Authorization: Bearer …` header, or undefined. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7).trim() || undefined : undefined;
}

/** The authenticated caller. Only valid behind requireAgent. */
export function caller(request: FastifyRequest): Caller {
  if (!request.caller) throw new AppError('AUTH_REQUIRED', 'Missing bearer token');
  return request.caller;
}

/** The signed-in agent, for what only a person can do (their own inbox, password, presence). */
export function signedInAgent(request: FastifyRequest): Agent {
  if (!request.agent) throw new AppError('FORBIDDEN', 'This needs an agent\'s sign-in, not an API token');
  return request.agent;
}
