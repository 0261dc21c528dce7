// A conversation's transcript for people outside Parley (a ticket, a customer's request for a copy):
// its messages oldest first with who wrote them, as JSON, CSV or plain text. Private notes live in
// their own table and are left out on purpose: a transcript may be handed to the visitor.
import { and, eq } from 'drizzle-orm';
import { stringify } from 'csv-stringify/sync';
import { schema, type Db } from '../../db/index.ts';
import type { AuthorKind } from '../../protocol/index.ts';
import type { Caller } from './access.ts';
import type { Conversations } from './conversations.ts';
import { visitorDisplayName } from './views.ts';

const { messages, agents, visitors } = schema;

export type TranscriptFormat = 'json' | 'csv' | 'txt';

export interface TranscriptLine {
  seq: number;
  authorKind: AuthorKind;
  authorName: string;
  body: string;
  createdAt: string;
}

export interface Transcript {
  conversationId: string;
  siteId: string;
  visitorId: string;
  visitorName: string;
  createdAt: string;
  messages: TranscriptLine[];
}

/** What a route sends: the body and how to name it. */
export interface TranscriptFile {
  filename: string;
  contentType: string;
  body: Transcript | string;
}

const CONTENT_TYPES: Record<TranscriptFormat, string> = {
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  txt: 'text/plain; charset=utf-8',
};

export const TRANSCRIPT_COLUMNS = ['seq', 'createdAt', 'authorKind', 'authorName', 'body'] as const;

export class Transcripts {
  constructor(private readonly db: Db, private readonly conversations: Conversations) {}

  async transcript(caller: Caller, conversationId: string): Promise<Transcript> {
    const conversation = await this.conversations.requireForAgent(caller, conversationId);
    const [visitor] = await this.db.select({ id: visitors.id, name: visitors.name }).from(visitors)
      .where(eq(visitors.id, conversation.visitorId));
    const visitorName = visitorDisplayName(visitor ?? { id: conversation.visitorId, name: null });
    const rows = await this.db
      .select({ message: messages, agentName: agents.name })
      .from(messages)
      .leftJoin(agents, and(eq(messages.authorKind, 'agent'), eq(agents.id, messages.authorId)))
      .where(eq(messages.conversationId, conversation.id))
      .orderBy(messages.seq);
    return {
      conversationId: conversation.id,
      siteId: conversation.siteId,
      visitorId: conversation.visitorId,
      visitorName,
      createdAt: conversation.createdAt.toISOString(),
      messages: rows.map(({ message, agentName }) => ({
        seq: message.seq,
        authorKind: message.authorKind,
        authorName: authorNameOf(message, agentName, visitorName),
        body: message.body,
        createdAt: message.createdAt.toISOString(),
      })),
    };
  }

  async file(caller: Caller, conversationId: string, format: TranscriptFormat): Promise<TranscriptFile> {
    const transcript = await this.transcript(caller, conversationId);
    const body = format === 'json' ? transcript : format === 'csv' ? transcriptCsv(transcript) : transcriptText(transcript);
    return { filename: `conversation-${transcript.conversationId}.${format}`, contentType: CONTENT_TYPES[format], body };
  }
}

/** The name shown beside a message: an agent's current name, a bot's stored one, the visitor's. */
export function authorNameOf(message: { authorKind: AuthorKind; authorName: string | null }, agentName: string | null, visitorName: string): string {
  switch (message.authorKind) {
    case 'visitor': return visitorName;
    case 'agent': return agentName ?? 'Former agent';
    case 'bot': return message.authorName ?? 'Bot';
    case 'system': return 'System';
  }
}

/**
 * A spreadsheet runs a cell that starts with = + - @ (or a tab or carriage return, which some
 * strip first) as a formula: such cells get a leading apostrophe, which shows as text
 * (OWASP "CSV injection").
 */
export function neutraliseFormula(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/** CSV cells of any values: text neutralised, numbers as they are, null as empty. */
export function csvCells(values: readonly (string | number | null)[]): (string | number)[] {
  return values.map((value) => (typeof value === 'string' ? neutraliseFormula(value) : value ?? ''));
}

export function transcriptCsv(transcript: Transcript): string {
  return stringify(
    transcript.messages.map((line) => csvCells(TRANSCRIPT_COLUMNS.map((column) => line[column]))),
    { header: true, columns: [...TRANSCRIPT_COLUMNS] },
  );
}

/** `[2026-11-30 10:02] Alice (agent): text`, times in UTC; continuation lines are indented. */
export function transcriptText(transcript: Transcript): string {
  const heading = `Conversation ${transcript.conversationId} with ${transcript.visitorName}, started ${minute(transcript.createdAt)} UTC\n\n`;
  return heading + transcript.messages
    .map((line) => `[${minute(line.createdAt)}] ${line.authorName} (${line.authorKind}): ${line.body.replace(/\r?\n/g, '\n    ')}\n`)
    .join('');
}

const minute = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
