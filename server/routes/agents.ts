// The signed-in agent, their account and sites, and their colleagues; the team as owners and admins
// run it: inviting (services/invitations.ts), roles, capacities, deactivation and passwords.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { Services } from '../services/index.ts';
import { caller, signedInAgent } from '../plugins/auth.ts';
import {
  AGENT_AUTH_CODES, AGENT_SECURITY, AgentListResponse, AgentRole, AgentView, IdParams, LoginResponse, MeResponse,
  NewPassword, Nullable, responses,
} from './schemas.ts';
import { InvitationView } from './invitations.ts';

const admin = { minRole: 'admin' as const };
const owner = { minRole: 'owner' as const };
const withRole = [...AGENT_AUTH_CODES, 'FORBIDDEN'] as const;
const Name = Type.String({ minLength: 1, maxLength: 100 });

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

  app.patch('/me', {
    schema: {
      security: AGENT_SECURITY,
      summary: 'Change your own name',
      body: Type.Object({ name: Name }, { examples: [{ name: 'Ana Souza' }] }),
      response: responses(Type.Object({ agent: AgentView }), withRole),
    },
  }, async (request) => ({ agent: await services.team.rename(signedInAgent(request), request.body.name) }));

  app.post('/me/password', {
    schema: {
      security: AGENT_SECURITY,
      summary: 'Change your own password: every earlier token stops working; the answer carries a fresh one',
      body: Type.Object({
        currentPassword: Type.String({ minLength: 1, maxLength: 1024 }),
        newPassword: NewPassword,
      }, { examples: [{ currentPassword: 'my old passphrase', newPassword: 'a much longer passphrase' }] }),
      response: responses(LoginResponse, [...withRole, 'INVALID_CREDENTIALS']),
    },
  }, (request) => services.team.changePassword(signedInAgent(request), request.body.currentPassword, request.body.newPassword));

  app.get('/agents', {
    schema: {
      security: AGENT_SECURITY,
      summary: 'The account\'s agents, with availability and capacity; deactivated ones only when asked',
      querystring: Type.Object({
        include: Type.Optional(Type.Enum(['deactivated'], { description: 'Also list deactivated agents' })),
      }),
      response: responses(AgentListResponse, AGENT_AUTH_CODES),
    },
  }, async (request) => ({
    agents: await services.team.agents(caller(request).accountId, { includeDeactivated: request.query.include === 'deactivated' }),
  }));

  app.post('/agents', {
    config: admin,
    schema: {
      security: AGENT_SECURITY,
      summary: 'Invite a teammate: e-mailed when SMTP is configured; `inviteUrl` is the link either way',
      description: 'Inviting an address again replaces its pending invitation. Only an owner can invite an owner.',
      body: Type.Object({
        email: Type.String({ format: 'email', maxLength: 254 }),
        name: Name,
        role: AgentRole,
      }, { examples: [{ email: 'ana.souza@example.com', name: 'Ana Souza', role: 'agent' }] }),
      response: responses(Type.Object({
        invitation: InvitationView,
        inviteUrl: Type.String({ description: 'Works once, until expiresAt; pass it on by hand when emailed is false' }),
        emailed: Type.Boolean(),
      }), [...withRole, 'CONFLICT'], 201),
    },
  }, async (request, reply) => {
    const sent = await services.invitations.invite(caller(request), request.body);
    reply.status(201);
    return sent;
  });

  app.patch('/agents/:id', {
    config: admin,
    schema: {
      security: AGENT_SECURITY,
      summary: 'Change an agent\'s name, role or capacity',
      description: 'Admins change agents and admins; only an owner changes an owner or makes one. The last owner stays an owner.',
      params: IdParams,
      body: Type.Object({
        name: Type.Optional(Name),
        role: Type.Optional(AgentRole),
        capacity: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 1000, description: 'Most unresolved conversations routing gives them; null = no limit' }))),
      }, { minProperties: 1, examples: [{ role: 'admin', capacity: 8 }] }),
      response: responses(Type.Object({ agent: AgentView }), [...withRole, 'NOT_FOUND', 'CONFLICT']),
    },
  }, async (request) => ({ agent: await services.team.update(caller(request), request.params.id, request.body) }));

  app.delete('/agents/:id', {
    config: admin,
    schema: {
      security: AGENT_SECURITY,
      summary: 'Deactivate an agent: their tokens and open consoles stop at once, their conversations return to the queue',
      description: 'Nothing is deleted: their messages keep their author. The last owner cannot be deactivated.',
      params: IdParams,
      response: responses(Type.Object({
        agent: AgentView,
        unassigned: Type.Integer({ description: 'Unresolved conversations taken from them' }),
      }), [...withRole, 'NOT_FOUND', 'CONFLICT']),
    },
  }, (request) => services.team.deactivate(caller(request), request.params.id));

  app.post('/agents/:id/password', {
    config: owner,
    schema: {
      security: AGENT_SECURITY,
      summary: 'Set an agent\'s password (owners): the tokens they hold stop working',
      params: IdParams,
      body: Type.Object({ password: NewPassword }, { examples: [{ password: 'a temporary passphrase' }] }),
      response: responses(Type.Object({ reset: Type.Boolean() }), [...withRole, 'NOT_FOUND', 'CONFLICT']),
    },
  }, async (request) => {
    await services.team.resetPassword(caller(request), request.params.id, request.body.password);
    return { reset: true };
  });
};
