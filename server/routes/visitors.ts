// Visitors: what the team knows about them, corrected or completed by agents and integrations, and
// erased on request.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { Services } from '../services/index.ts';
import { caller } from '../plugins/auth.ts';
import { MAX_ATTRIBUTES } from '../services/visitors.ts';
import { AGENT_AUTH_CODES, AGENT_SECURITY, IdParams, Nullable, VisitorView, responses } from './schemas.ts';

const withAccess = [...AGENT_AUTH_CODES, 'NOT_FOUND'] as const;

/** Keys a CRM or a template can use as they are; values short enough to show beside a conversation. */
const AttributeKey = Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' });
const AttributeValue = Nullable(Type.Union([Type.String({ maxLength: 500 }), Type.Number(), Type.Boolean()]));

const VisitorPatch = Type.Object({
  name: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 200 }))),
  email: Type.Optional(Nullable(Type.String({ minLength: 3, maxLength: 320, pattern: '^[^\\s@]+@[^\\s@]+$' }))),
  attributes: Type.Optional(Type.Record(AttributeKey, AttributeValue, {
    maxProperties: MAX_ATTRIBUTES,
    // A Record's key schema becomes patternProperties: without this, other keys would pass unchecked.
    additionalProperties: false,
    description: `Keys to set; a null value removes the key. At most ${MAX_ATTRIBUTES} keys per visitor.`,
  })),
}, { additionalProperties: false, examples: [{ name: 'Ada Lovelace', email: 'ada@example.com', attributes: { plan: 'pro', seats: 12, trial: null } }] });

const Erasure = Type.Object({
  erased: Type.Object({
    visitorId: Type.String(),
    conversations: Type.Integer(),
    messages: Type.Integer(),
    notes: Type.Integer(),
  }),
});

export const visitorRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.addHook('onRequest', app.requireAgent);
  app.addHook('preHandler', app.limits.agentApi);

  app.get('/visitors/:id', {
    schema: {
      security: AGENT_SECURITY,
      summary: 'One visitor, with their custom attributes',
      params: IdParams,
      response: responses(Type.Object({ visitor: VisitorView }), withAccess),
    },
  }, async (request) => ({ visitor: await services.visitors.get(caller(request), request.params.id) }));

  app.patch('/visitors/:id', {
    schema: {
      security: AGENT_SECURITY,
      summary: 'Correct a visitor\'s name or e-mail, or set and remove custom attributes (string, number or boolean)',
      params: IdParams,
      body: VisitorPatch,
      response: responses(Type.Object({ visitor: VisitorView }), withAccess),
    },
  }, async (request) => ({ visitor: await services.visitors.update(caller(request), request.params.id, request.body) }));

  app.delete('/visitors/:id', {
    config: { minRole: 'admin' },
    schema: {
      security: AGENT_SECURITY,
      summary: 'Right to erasure: delete the visitor with all their conversations, messages and notes',
      params: IdParams,
      response: responses(Erasure, [...withAccess, 'FORBIDDEN']),
    },
  }, async (request) => ({ erased: await services.visitors.erase(caller(request), request.params.id) }));
};
