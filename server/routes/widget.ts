// The widget's only REST call, made cross-origin from customers' pages. CORS is open here (no
// cookies are involved); the Origin check against the site's allowed origins is what protects it.
import type { FastifyInstance } from 'fastify';
import cors from '@fastify/cors';
import Type from 'typebox';
import type { Services } from '../services/index.ts';

export async function widgetRoutes(app: FastifyInstance, { services }: { services: Services }) {
  await app.register(cors, { origin: true, methods: ['POST'], maxAge: 86400 });
  app.post('/api/widget/session', {
    schema: {
      body: Type.Object({
        siteKey: Type.String({ minLength: 1, maxLength: 100 }),
        token: Type.Optional(Type.String({ maxLength: 4096 })),
      }),
    },
  }, (request) => {
    const { siteKey, token } = request.body as { siteKey: string; token?: string };
    return services.identity.visitorSession(siteKey, request.headers.origin, token);
  });
}
