// The agents' conversation API: lists, one conversation, its messages, assignment and status.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { Services } from '../services/index.ts';
import { caller } from '../plugins/auth.ts';
import {
  AGENT_AUTH_CODES, AGENT_SECURITY, ConversationListResponse, ConversationListView, ConversationResponse, ConversationStatus,
  IdParams, MessagePage, responses,
} from './schemas.ts';

const withAccess = [...AGENT_AUTH_CODES, 'NOT_FOUND'] as const;

export const conversationRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const { conversations } = services;
  app.addHook('onRequest', app.requireAgent);
  app.addHook('preHandler', app.limits.agentApi);

  app.get('/conversations', {
    schema: {
      security: AGENT_SECURITY,
      summary: 'Conversations of the account, newest activity first',
      querystring: Type.Object({
        view: Type.Optional(ConversationListView),
        status: Type.Optional(ConversationStatus),
      }),
      response: responses(ConversationListResponse, AGENT_AUTH_CODES),
    },
  }, async (request) => ({
    conversations: await conversations.list(caller(request), request.query.view ?? 'all', request.query.status),
  }));

  app.get('/conversations/:id', {
    schema: {
      security: AGENT_SECURITY,
      summary: 'One conversation',
      params: IdParams,
      response: responses(ConversationResponse, withAccess),
    },
  }, async (request) => ({ conversation: await conversations.get(caller(request), request.params.id) }));

  app.get('/conversations/:id/messages', {
    schema: {
      security: AGENT_SECURITY,
      summary: 'Messages after a seq, oldest first',
      params: IdParams,
      querystring: Type.Object({
        afterSeq: Type.Optional(Type.Integer({ minimum: 0 })),
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
      }),
      response: responses(MessagePage, withAccess),
    },
  }, (request) => conversations.messagesAfter(caller(request), request.params.id, request.query.afterSeq ?? 0, request.query.limit ?? 200));

  app.post('/conversations/:id/assign', {
    schema: {
      security: AGENT_SECURITY,
      summary: 'Assign to an agent of the account, or to nobody (agentId null)',
      params: IdParams,
      body: Type.Object({ agentId: Type.Union([Type.String(), Type.Null()]) }, { examples: [{ agentId: null }] }),
      response: responses(ConversationResponse, withAccess),
    },
  }, async (request) => ({
    conversation: await conversations.assign(caller(request), request.params.id, request.body.agentId),
  }));

  app.post('/conversations/:id/status', {
    schema: {
      security: AGENT_SECURITY,
      summary: 'Set the status: open, pending or resolved',
      params: IdParams,
      body: Type.Object({ status: ConversationStatus }, { examples: [{ status: 'resolved' }] }),
      response: responses(ConversationResponse, withAccess),
    },
  }, async (request) => ({
    conversation: await conversations.setStatus(caller(request), request.params.id, request.body.status),
  }));
};
