import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import type { ConversationListView, ConversationStatus } from '../../protocol/index.ts';
import type { Services } from '../services/index.ts';
import { principal } from '../plugins/auth.ts';

const Status = Type.Union([Type.Literal('open'), Type.Literal('pending'), Type.Literal('resolved')]);
const IdParams = Type.Object({ id: Type.String() });

export async function conversationRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const { conversations } = services;
  app.addHook('onRequest', app.requireAgent);

  app.get('/api/conversations', {
    schema: {
      querystring: Type.Object({
        view: Type.Optional(Type.Union([Type.Literal('unassigned'), Type.Literal('mine'), Type.Literal('all')])),
        status: Type.Optional(Status),
      }),
    },
  }, async (request) => {
    const query = request.query as { view?: ConversationListView; status?: ConversationStatus };
    return { conversations: await conversations.list(principal(request), query.view ?? 'all', query.status) };
  });

  app.get('/api/conversations/:id', { schema: { params: IdParams } }, async (request) => {
    const { id } = request.params as { id: string };
    return { conversation: await conversations.get(principal(request), id) };
  });

  app.get('/api/conversations/:id/messages', {
    schema: {
      params: IdParams,
      querystring: Type.Object({
        afterSeq: Type.Optional(Type.Integer({ minimum: 0 })),
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
      }),
    },
  }, async (request) => {
    const { id } = request.params as { id: string };
    const query = request.query as { afterSeq?: number; limit?: number };
    return conversations.messagesAfter(principal(request), id, query.afterSeq ?? 0, query.limit ?? 200);
  });

  app.post('/api/conversations/:id/assign', {
    schema: { params: IdParams, body: Type.Object({ agentId: Type.Union([Type.String(), Type.Null()]) }) },
  }, async (request) => {
    const { id } = request.params as { id: string };
    const { agentId } = request.body as { agentId: string | null };
    return { conversation: await conversations.assign(principal(request), id, agentId) };
  });

  app.post('/api/conversations/:id/status', {
    schema: { params: IdParams, body: Type.Object({ status: Status }) },
  }, async (request) => {
    const { id } = request.params as { id: string };
    const { status } = request.body as { status: ConversationStatus };
    return { conversation: await conversations.setStatus(principal(request), id, status) };
  });
}
