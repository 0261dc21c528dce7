// Private notes: what agents (or an integration's API token) write about a conversation for each
// other. They live in their own table, never in messages, so no visitor path (socket, sync, widget)
// can reach one and the visitor's seq keeps no holes; a new note is announced as `note.created`,
// which realtime/relay.ts sends to the account's agents only.
import { asc, eq } from 'drizzle-orm';
import { schema, type Db } from '../../db/index.ts';
import type { NoteView } from '../../protocol/index.ts';
import { AppError } from '../errors.ts';
import type { AccountPrincipal, Conversations } from './conversations.ts';
import type { DomainEvents } from './events.ts';

const { notes } = schema;

/** Who writes a note: an agent, or an API token (agentId null) under its own name. */
export type NoteAuthor = AccountPrincipal & { name: string };

function toNoteView(row: schema.Note): NoteView {
  return {
    id: row.id,
    conversationId: row.conversationId,
    authorId: row.authorId,
    authorName: row.authorName,
    body: row.body,
    createdAt: row.createdAt.toISOString(),
  };
}

export class Notes {
  constructor(
    private readonly db: Db,
    private readonly events: DomainEvents,
    private readonly conversations: Conversations,
    private readonly maxLength: number,
  ) {}

  async add(author: NoteAuthor, conversationId: string, body: string): Promise<NoteView> {
    const ref = await this.conversations.refForAgent(author, conversationId);
    const text = body.trim();
    if (text.length === 0) throw new AppError('VALIDATION_FAILED', 'A note cannot be empty');
    if (text.length > this.maxLength) throw new AppError('VALIDATION_FAILED', `A note can be at most ${this.maxLength} characters`);
    const [row] = await this.db.insert(notes)
      .values({ conversationId: ref.id, authorId: author.agentId, authorName: author.name, body: text })
      .returning();
    const note = toNoteView(row!);
    this.events.emit('note.created', { accountId: ref.accountId, siteId: ref.siteId, visitorId: ref.visitorId, note });
    return note;
  }

  /** The conversation's notes, oldest first. */
  async list(caller: AccountPrincipal, conversationId: string): Promise<NoteView[]> {
    const ref = await this.conversations.refForAgent(caller, conversationId);
    const rows = await this.db.select().from(notes)
      .where(eq(notes.conversationId, ref.id))
      .orderBy(asc(notes.createdAt), asc(notes.id));
    return rows.map(toNoteView);
  }
}
