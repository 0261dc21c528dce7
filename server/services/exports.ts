// Every message of an account in a time range, for owners' own archives and analysis, as JSON Lines
// or CSV. The answer can hold millions of rows, so it is never built in memory: rows are read in
// keyset pages of (created_at, id) and handed to the reply as a stream that asks for the next page
// only when the client has taken the previous one (Readable.from pulls its generator on demand).
import { Readable } from 'node:stream';
import { and, asc, eq, gte, lt, sql } from 'drizzle-orm';
import { stringify } from 'csv-stringify/sync';
import { schema, type Db } from '../../db/index.ts';
import type { AuthorKind } from '../../protocol/index.ts';
import { AppError } from '../errors.ts';
import type { Caller } from './access.ts';
import { authorNameOf, csvCells } from './transcripts.ts';
import { visitorDisplayName } from './views.ts';

const { messages, conversations, sites, agents, visitors } = schema;

export type ExportFormat = 'jsonl' | 'csv';

export interface ExportedMessage {
  id: string;
  conversationId: string;
  siteId: string;
  visitorId: string;
  seq: number;
  authorKind: AuthorKind;
  authorId: string | null;
  authorName: string;
  body: string;
  createdAt: string;
}

export const EXPORT_COLUMNS = ['id', 'conversationId', 'siteId', 'visitorId', 'seq', 'authorKind', 'authorId', 'authorName', 'body', 'createdAt'] as const;

export interface ExportFile {
  filename: string;
  contentType: string;
  stream: Readable;
}

/** Without `since`, the last 30 days. */
export const DEFAULT_EXPORT_DAYS = 30;
/** Rows per query: large enough that round trips do not dominate, small enough to stay flat in memory. */
export const EXPORT_PAGE_SIZE = 1000;

export interface TimeRange { since: Date; until: Date }

/** since/until as sent (ISO 8601) → a checked range; VALIDATION_FAILED for bad times or since > until. */
export function timeRange(query: { since?: string | undefined; until?: string | undefined }, now = new Date(), defaultDays = DEFAULT_EXPORT_DAYS): TimeRange {
  const until = query.until === undefined ? now : parseTime(query.until, 'until');
  const since = query.since === undefined ? new Date(until.getTime() - defaultDays * 86_400_000) : parseTime(query.since, 'since');
  if (since.getTime() > until.getTime()) throw new AppError('VALIDATION_FAILED', 'since must not be after until');
  return { since, until };
}

function parseTime(value: string, name: string): Date {
  // Date.parse takes many shapes; only ISO 8601 dates and times are accepted, so that a typo fails.
  const match = /^(\d{4})-(\d{2})-(\d{2})([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.exec(value);
  const time = match ? Date.parse(value) : NaN;
  // Date.parse rolls February 30th over into March; a calendar date must exist as written.
  const [year, month, day] = match ? [Number(match[1]), Number(match[2]), Number(match[3])] : [0, 0, 0];
  const calendar = new Date(Date.UTC(year, month - 1, day));
  if (Number.isNaN(time) || calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) {
    throw new AppError('VALIDATION_FAILED', `${name} must be an ISO 8601 time, e.g. 2026-11-30T10:00:00Z`);
  }
  return new Date(time);
}

interface ExportRow {
  message: schema.Message;
  /** created_at as PostgreSQL prints it, to the microsecond: the keyset's position. */
  at: string;
  siteId: string;
  visitorId: string;
  visitorName: string | null;
  agentName: string | null;
}

export class Exports {
  constructor(private readonly db: Db, private readonly pageSize = EXPORT_PAGE_SIZE) {}

  /** The range is checked before anything is sent, so a bad request still gets a 400. */
  messages(caller: Caller, query: { since?: string | undefined; until?: string | undefined }, format: ExportFormat): ExportFile {
    const range = timeRange(query);
    const pages = this.pages(caller.accountId, range);
    const stream = Readable.from(format === 'csv' ? csvChunks(pages) : jsonlChunks(pages), { objectMode: false });
    const day = (date: Date) => date.toISOString().slice(0, 10);
    return {
      filename: `messages-${day(range.since)}-to-${day(range.until)}.${format}`,
      contentType: format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
      stream,
    };
  }

  /**
   * The account's messages with since <= created_at < until, oldest first, a page at a time. The
   * keyset carries created_at as PostgreSQL's text, not a JS Date: a Date keeps milliseconds and
   * the column microseconds, and rounding the key would skip or repeat rows.
   */
  async *pages(accountId: string, range: TimeRange): AsyncGenerator<ExportedMessage[]> {
    let after: { at: string; id: string } | null = null;
    for (;;) {
      const rows: ExportRow[] = await this.db
        .select({
          message: messages,
          at: sql<string>`${messages.createdAt}::text`,
          siteId: conversations.siteId,
          visitorId: conversations.visitorId,
          visitorName: visitors.name,
          agentName: agents.name,
        })
        .from(messages)
        .innerJoin(conversations, eq(conversations.id, messages.conversationId))
        .innerJoin(sites, eq(sites.id, conversations.siteId))
        .innerJoin(visitors, eq(visitors.id, conversations.visitorId))
        .leftJoin(agents, and(eq(messages.authorKind, 'agent'), eq(agents.id, messages.authorId)))
        .where(and(
          eq(sites.accountId, accountId),
          gte(messages.createdAt, range.since),
          lt(messages.createdAt, range.until),
          // The first condition is what the index on created_at can seek to; the row comparison
          // alone would make each page rescan every row before it.
          after ? sql`${messages.createdAt} >= ${after.at}::timestamptz and (${messages.createdAt}, ${messages.id}) > (${after.at}::timestamptz, ${after.id}::uuid)` : undefined,
        ))
        .orderBy(asc(messages.createdAt), asc(messages.id))
        .limit(this.pageSize);
      if (rows.length > 0) {
        yield rows.map(({ message, siteId, visitorId, visitorName, agentName }) => ({
          id: message.id,
          conversationId: message.conversationId,
          siteId,
          visitorId,
          seq: message.seq,
          authorKind: message.authorKind,
          authorId: message.authorId,
          authorName: authorNameOf(message, agentName, visitorDisplayName({ id: visitorId, name: visitorName })),
          body: message.body,
          createdAt: message.createdAt.toISOString(),
        }));
      }
      const last = rows[rows.length - 1];
      if (!last || rows.length < this.pageSize) return;
      after = { at: last.at, id: last.message.id };
    }
  }
}

/** One chunk per page: one JSON object per line. */
async function* jsonlChunks(pages: AsyncIterable<ExportedMessage[]>): AsyncGenerator<string> {
  for await (const page of pages) yield page.map((row) => `${JSON.stringify(row)}\n`).join('');
}

/** The header even when no row matches, then one chunk per page. */
async function* csvChunks(pages: AsyncIterable<ExportedMessage[]>): AsyncGenerator<string> {
  yield stringify([[...EXPORT_COLUMNS]]);
  for await (const page of pages) yield stringify(page.map((row) => csvCells(EXPORT_COLUMNS.map((column) => row[column]))));
}
