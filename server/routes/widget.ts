// The widget's only REST call, made cross-origin from customers' pages. CORS is open here (no
// cookies are involved); the Origin check against the site's allowed origins is what protects it.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import cors from '@fastify/cors';
import Type from 'typebox';
import type { Services } from '../services/index.ts';
import { WidgetSessionResponse, responses } from './schemas.ts';

export const widgetRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  await app.register(cors, { origin: true, methods: ['POST'], maxAge: 86400 });
  app.post('/api/widget/session', {
    schema: {
      summary: 'A visitor token for a site, from a page of one of its allowed origins',
      body: Type.Object({
        siteKey: Type.String({ minLength: 1, maxLength: 100 }),
        token: Type.Optional(Type.String({ maxLength: 4096 })),
      }),
      response: responses(WidgetSessionResponse, ['SITE_NOT_FOUND', 'ORIGIN_NOT_ALLOWED']),
    },
  }, (request) => services.identity.visitorSession(request.body.siteKey, request.headers.origin, request.body.token));
};
