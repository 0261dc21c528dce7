// Pending invitations (owners and admins), and accepting one: the public call behind the link,
// which creates the agent and signs them in. Inviting is POST /agents (routes/agents.ts).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { Services } from '../services/index.ts';
import { caller } from '../plugins/auth.ts';
import { AGENT_AUTH_CODES, AGENT_SECURITY, AgentRole, IdParams, LoginResponse, NewPassword, Nullable, responses } from './schemas.ts';

export const InvitationView = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Type.String(),
  role: AgentRole,
  invitedBy: Nullable(Type.String({ description: 'The inviting agent; null for an API token' })),
  expiresAt: Type.String({ format: 'date-time' }),
  createdAt: Type.String({ format: 'date-time' }),
});

const admin = { minRole: 'admin' as const };
const withRole = [...AGENT_AUTH_CODES, 'FORBIDDEN'] as const;

export const invitationRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const agentOnly = { onRequest: app.requireAgent, preHandler: app.limits.agentApi };

  app.get('/invitations', {
    ...agentOnly,
    config: admin,
    schema: {
      security: AGENT_SECURITY,
      summary: 'Invitations not yet accepted and not expired, newest first',
      response: responses(Type.Object({ invitations: Type.Array(InvitationView) }), withRole),
    },
  }, async (request) => ({ invitations: await services.invitations.list(caller(request)) }));

  app.delete('/invitations/:id', {
    ...agentOnly,
    config: admin,
    schema: {
      security: AGENT_SECURITY,
      summary: 'Revoke a pending invitation: its link stops working',
      params: IdParams,
      response: responses(Type.Object({ revoked: Type.Boolean() }), [...withRole, 'NOT_FOUND']),
    },
  }, async (request) => {
    await services.invitations.revoke(caller(request), request.params.id);
    return { revoked: true };
  });

  app.post('/invitations/accept', {
    // The sign-in limit per client address, the first of app.limits.login. Not its per-e-mail one:
    // this body has no e-mail, so every acceptance would share one small count.
    preHandler: app.limits.login.slice(0, 1),
    schema: {
      summary: 'Accept an invitation: choose a password and be signed in',
      description: 'Unknown, revoked, used and expired links all answer 410 INVITATION_EXPIRED.',
      body: Type.Object({
        token: Type.String({ minLength: 1, maxLength: 200, description: 'The `token` of the invitation link' }),
        password: NewPassword,
        name: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Instead of the name the inviter gave' })),
      }, { examples: [{ token: 'hV3n2mQ0c8yJx1bTqk7Zp4Lr9sWfEaGd5uNoYiC6tHM', password: 'a long passphrase' }] }),
      response: responses(LoginResponse, ['INVITATION_EXPIRED', 'CONFLICT']),
    },
  }, (request) => services.invitations.accept(request.body));
};
