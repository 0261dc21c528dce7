// Reports for owners and admins: volumes and response times over a period.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { Services } from '../services/index.ts';
import { caller } from '../plugins/auth.ts';
import { AGENT_AUTH_CODES, AGENT_SECURITY, Nullable, responses } from './schemas.ts';

const Percentiles = Type.Object({ median: Nullable(Type.Number()), p90: Nullable(Type.Number()) });

const Stats = {
  conversations: Type.Integer({ description: 'Created in the period' }),
  resolved: Type.Integer({ description: 'Of those, resolved now' }),
  firstResponseSeconds: Percentiles,
  resolutionSeconds: Percentiles,
};

const Summary = Type.Object({
  since: Type.String({ format: 'date-time' }),
  until: Type.String({ format: 'date-time' }),
  overall: Type.Object(Stats),
  byAgent: Type.Array(Type.Object({ agentId: Nullable(Type.String()), agentName: Nullable(Type.String()), ...Stats })),
  bySite: Type.Array(Type.Object({ siteId: Type.String(), siteName: Type.String(), ...Stats })),
});

export const reportRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.addHook('onRequest', app.requireAgent);
  app.addHook('preHandler', app.limits.agentApi);

  app.get('/reports/summary', {
    config: { minRole: 'admin' },
    schema: {
      security: AGENT_SECURITY,
      summary: 'Conversations created in [since, until), resolved, and first-response and resolution times (median, p90, seconds), overall, per assignee and per site',
      querystring: Type.Object({
        since: Type.Optional(Type.String({ maxLength: 40, description: 'ISO 8601; default: 30 days before `until`' })),
        until: Type.Optional(Type.String({ maxLength: 40, description: 'ISO 8601, exclusive; default: now' })),
        siteId: Type.Optional(Type.String({ maxLength: 200 })),
        agentId: Type.Optional(Type.String({ maxLength: 200, description: 'Only conversations assigned to this agent' })),
      }),
      response: responses(Summary, [...AGENT_AUTH_CODES, 'FORBIDDEN']),
    },
  }, async (request) => services.reports.summary(caller(request), request.query));
};
