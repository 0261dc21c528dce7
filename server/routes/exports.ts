// Conversations and messages leaving Parley as files: one conversation's transcript, and every
// message of the account in a time range, streamed.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type, { type TSchema } from 'typebox';
import type { Services } from '../services/index.ts';
import { caller } from '../plugins/auth.ts';
import { AGENT_AUTH_CODES, AGENT_SECURITY, AuthorKind, IdParams, Nullable, responses } from './schemas.ts';

const withAccess = [...AGENT_AUTH_CODES, 'NOT_FOUND'] as const;
const withRole = [...AGENT_AUTH_CODES, 'FORBIDDEN'] as const;

const Transcript = Type.Object({
  conversationId: Type.String(),
  siteId: Type.String(),
  visitorId: Type.String(),
  visitorName: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  messages: Type.Array(Type.Object({
    seq: Type.Integer(),
    authorKind: AuthorKind,
    authorName: Type.String(),
    body: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
  })),
});

const ExportedMessage = Type.Object({
  id: Type.String(),
  conversationId: Type.String(),
  siteId: Type.String(),
  visitorId: Type.String(),
  seq: Type.Integer(),
  authorKind: AuthorKind,
  authorId: Nullable(Type.String()),
  authorName: Type.String(),
  body: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
});

/**
 * A file answer in several formats: the JSON one first (what the document shows as the schema),
 * then the others by media type. Fastify sends a string or a stream of another type as it is.
 */
function fileResponse(codes: Parameters<typeof responses>[1], json: TSchema, others: Record<string, { description: string }>) {
  const content: Record<string, { schema: TSchema }> = { 'application/json': { schema: json } };
  for (const [type, { description }] of Object.entries(others)) content[type] = { schema: Type.String({ description }) };
  return { ...responses(json, codes), 200: { description: 'The file, as an attachment', content } } as unknown as ReturnType<typeof responses<TSchema>>;
}

const TimeQuery = {
  since: Type.Optional(Type.String({ maxLength: 40, description: 'ISO 8601; default: 30 days before `until`', examples: ['2026-11-01T00:00:00Z'] })),
  until: Type.Optional(Type.String({ maxLength: 40, description: 'ISO 8601, exclusive; default: now', examples: ['2026-12-01T00:00:00Z'] })),
};

export const exportRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.addHook('onRequest', app.requireAgent);
  app.addHook('preHandler', app.limits.agentApi);

  app.get('/conversations/:id/transcript', {
    schema: {
      security: AGENT_SECURITY,
      summary: 'A conversation\'s messages, oldest first, as a file (private notes are never included)',
      params: IdParams,
      querystring: Type.Object({ format: Type.Optional(Type.Enum(['json', 'csv', 'txt'], { default: 'json' })) }),
      response: fileResponse(withAccess, Transcript, {
        'text/csv': { description: 'seq,createdAt,authorKind,authorName,body with a header row' },
        'text/plain': { description: 'One line per message: [2026-11-30 10:02] Alice (agent): text (times in UTC)' },
      }),
    },
  }, async (request, reply) => {
    const file = await services.transcripts.file(caller(request), request.params.id, request.query.format ?? 'json');
    reply.header('content-disposition', attachment(file.filename)).type(file.contentType);
    return reply.send(file.body);
  });

  app.get('/exports/messages', {
    config: { minRole: 'admin' },
    schema: {
      security: AGENT_SECURITY,
      summary: 'Every message of the account created in [since, until), oldest first, streamed as JSON Lines or CSV',
      querystring: Type.Object({ ...TimeQuery, format: Type.Optional(Type.Enum(['jsonl', 'csv'], { default: 'jsonl' })) }),
      response: fileResponse(withRole, ExportedMessage, {
        'application/x-ndjson': { description: 'One JSON object (the message, as in application/json) per line' },
        'text/csv': { description: 'The same fields as columns, with a header row' },
      }),
    },
  }, async (request, reply) => {
    const file = services.exports.messages(caller(request), request.query, request.query.format ?? 'jsonl');
    reply.header('content-disposition', attachment(file.filename)).type(file.contentType);
    return reply.send(file.stream);
  });
};

/** Our file names are ids, dates and dashes: nothing to escape. */
const attachment = (filename: string) => `attachment; filename="${filename}"`;
