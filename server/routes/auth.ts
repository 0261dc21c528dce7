// Agent sign-in and token renewal.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { Services } from '../services/index.ts';
import { signedInAgent } from '../plugins/auth.ts';
import { AGENT_AUTH_CODES, AGENT_SECURITY, LoginResponse, responses } from './schemas.ts';

export const authRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.post('/auth/login', {
    preHandler: app.limits.login,
    schema: {
      summary: 'Sign in with email and password',
      body: Type.Object({
        email: Type.String({ minLength: 3, maxLength: 254 }),
        password: Type.String({ minLength: 1, maxLength: 1024 }),
      }),
      response: responses(LoginResponse, ['INVALID_CREDENTIALS']),
    },
  }, (request) => services.identity.login(request.body.email, request.body.password));

  app.post('/auth/refresh', {
    onRequest: app.requireAgent,
    preHandler: app.limits.agentApi,
    schema: {
      summary: 'A fresh token while the current one is valid',
      security: AGENT_SECURITY,
      response: responses(LoginResponse, AGENT_AUTH_CODES),
    },
  }, (request) => services.identity.renewAgent(signedInAgent(request)));
};
