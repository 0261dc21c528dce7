import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import type { Services } from '../services/index.ts';

export async function authRoutes(app: FastifyInstance, { services }: { services: Services }) {
  app.post('/api/auth/login', {
    schema: {
      body: Type.Object({
        email: Type.String({ minLength: 3, maxLength: 254 }),
        password: Type.String({ minLength: 1, maxLength: 1024 }),
      }),
    },
  }, (request) => {
    const { email, password } = request.body as { email: string; password: string };
    return services.identity.login(email, password);
  });

  app.post('/api/auth/refresh', { onRequest: app.requireAgent }, (request) => services.identity.renewAgent(request.agent!));
}
