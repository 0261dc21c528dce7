// The conversation API: lists with filters and full-text search, one conversation, its messages
// and private notes, replies (an agent's, or a bot's through an API token), assignment, status
// with snoozes, and the bot's hand-off to the people.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { Services } from '../services/index.ts';
import { caller } from '../plugins/auth.ts';
import {
  AGENT_AUTH_CODES, AGENT_SECURITY, ConversationListResponse, ConversationListView, ConversationResponse, ConversationStatus,
  IdParams, MessagePage, MessageView, NoteView, PageQuery, responses,
} from './schemas.ts';

const withAccess = [...AGENT_AUTH_CODES, 'NOT_FOUND'] as const;

export const conversationRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const { conversations, messages, notes } = services;
  app.addHook('onRequest', app.requireAgent);
  app.addHook('preHandler', app.limits.agentApi);

  app.get('/conversations', {
    schema: {
      security: AGENT_SECURITY,
      summary: 'Conversations of the account, newest activity first, a page at a time',
      description: 'Without `status`, only unresolved conversations (open, pending, snoozed). `since` and `until` bound '
        + 'the last activity (updatedAt, the order of the list). `q` searches message bodies (PostgreSQL full-text '
        + 'search: words, "quoted phrases", -excluded words, or).',
      querystring: Type.Object({
        view: Type.Optional(ConversationListView),
        status: Type.Optional(ConversationStatus),
        siteId: Type.Optional(Type.String({ maxLength: 200 })),
        assigneeId: Type.Optional(Type.String({ maxLength: 200, description: 'An agent\'s id, or `none` for unassigned' })),
        since: Type.Optional(Type.String({ maxLength: 64, description: 'ISO 8601: last activity at or after' })),
        until: Type.Optional(Type.String({ maxLength: 64, description: 'ISO 8601: last activity before' })),
        q: Type.Optional(Type.String({ maxLength: 500, description: 'Words to find in message bodies' })),
        cursor: PageQuery.cursor,
        // 100 by default (not 50): a screenful and more of the console's inbox per request.
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 100 })),
      }),
      response: responses(ConversationListResponse, AGENT_AUTH_CODES),
    },
  }, async (request) => {
    const page = await conversations.list(caller(request), { ...request.query, limit: request.query.limit ?? 100 });
    return { conversations: page.items, nextCursor: page.nextCursor };
  });

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

  app.post('/conversations/:id/messages', {
    schema: {
      security: AGENT_SECURITY,
      summary: 'Reply to the visitor, or add a private note (`private: true`)',
      description: 'A signed-in agent replies as themselves (an unassigned conversation becomes theirs). An API token '
        + 'writes as a bot and must name it in `author`; a bot\'s reply assigns the conversation to no one. A note is '
        + 'seen by agents only. Resending the same `clientId` returns the stored message, never a second one.',
      params: IdParams,
      body: Type.Object({
        body: Type.String({ minLength: 1, maxLength: 4000 }),
        clientId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Your id for this message: makes a retry safe' })),
        private: Type.Optional(Type.Boolean({ description: 'A note for agents, never shown to the visitor' })),
        author: Type.Optional(Type.Object({
          kind: Type.Literal('bot'),
          name: Type.String({ minLength: 1, maxLength: 100 }),
        }, { description: 'API tokens only: the bot this is written as' })),
      }, {
        examples: [
          { body: 'Thanks for waiting! Your order left our warehouse this morning.' },
          { body: 'Customer is on the Pro plan; refund approved by Dana.', private: true },
          { body: 'Hi! I can help with orders and returns. What is your order number?', clientId: 'faq-bot-2f9c1',
            author: { kind: 'bot', name: 'Shop assistant' } },
        ],
      }),
      response: responses(Type.Object({
        message: Type.Optional(MessageView),
        note: Type.Optional(NoteView),
      }, { description: '`message` for a reply, `note` for a private note' }), [...withAccess, 'MESSAGE_INVALID'], 201),
    },
  }, async (request, reply) => {
    const posted = await messages.post(caller(request), request.params.id, request.body);
    reply.status(201);
    return posted;
  });

  app.get('/conversations/:id/notes', {
    schema: {
      security: AGENT_SECURITY,
      summary: 'Private notes on the conversation, oldest first',
      params: IdParams,
      response: responses(Type.Object({ notes: Type.Array(NoteView) }), withAccess),
    },
  }, async (request) => ({ notes: await notes.list(caller(request), request.params.id) }));

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
      summary: 'Set the status: open, pending, resolved, or snoozed until a time',
      description: 'A snoozed conversation reopens by itself at `snoozedUntil` (required, in the future), or when the visitor writes.',
      params: IdParams,
      body: Type.Object({
        status: ConversationStatus,
        snoozedUntil: Type.Optional(Type.String({ maxLength: 64, description: 'ISO 8601; only with status snoozed' })),
      }, { examples: [{ status: 'resolved' }, { status: 'snoozed', snoozedUntil: '2030-01-15T09:00:00Z' }] }),
      response: responses(ConversationResponse, withAccess),
    },
  }, async (request) => ({
    conversation: await conversations.setStatus(caller(request), request.params.id, request.body.status, request.body.snoozedUntil),
  }));

  app.post('/conversations/:id/handoff', {
    schema: {
      security: AGENT_SECURITY,
      summary: 'The bot hands the conversation to the people',
      description: 'It leaves the bot and is routed like a new conversation: to the least-loaded available agent, or it '
        + 'waits unassigned. `note`, if given, is left as a private note for the agent. The body may be `{}`. Harmless '
        + 'when the bot does not have it.',
      params: IdParams,
      body: Type.Object({
        note: Type.Optional(Type.String({ minLength: 1, maxLength: 4000, description: 'A private note for the agent who takes over' })),
      }, { examples: [{ note: 'Asked for a refund on order 1042; needs a person.' }, {}] }),
      response: responses(ConversationResponse, withAccess),
    },
  }, async (request) => ({
    conversation: await messages.handOff(caller(request), request.params.id, request.body.note),
  }));
};
