// Conversations as agents see them: listing, access checks, assignment and status. Every query is
// scoped to the agent's account; another account's conversation is NOT_FOUND, never FORBIDDEN, so
// ids cannot be probed. A visitor reaches only their own conversations. Changes are announced as
// domain events (events.ts) with the conversation's new view.
import { and, desc, eq, gte, isNull, lt, ne, sql, type SQL } from 'drizzle-orm';
import { schema, type Db } from '../../db/index.ts';
import { pgErrorKind } from '../../db/errors.ts';
import type { ConversationListView, ConversationStatus, ConversationView, MessagePage, MessagesFrame } from '../../protocol/index.ts';
import { AppError, notFound } from '../errors.ts';
import type { DomainEventMap, DomainEvents } from './events.ts';
import { conversationRows, conversationView, conversationViews, messagesAfter } from './views.ts';
import { decodeCursor, pageOf, type Page } from './pagination.ts';
import { isUuid } from './ids.ts';
import { LRUCache } from 'lru-cache';

const { conversations, sites, agents, messages } = schema;

/** What GET /conversations filters by; every field but `limit` optional. */
export interface ConversationFilter {
  view?: ConversationListView;
  status?: ConversationStatus;
  siteId?: string;
  /** An agent's id, or 'none' for unassigned. */
  assigneeId?: string;
  /** ISO 8601 bounds on the last activity (updated_at): since inclusive, until exclusive. */
  since?: string;
  until?: string;
  q?: string;
  cursor?: string;
  limit: number;
}

function instant(value: string, name: string): Date {
  const time = Date.parse(value);
  if (Number.isNaN(time)) throw new AppError('VALIDATION_FAILED', `${name} must be an ISO 8601 time`);
  return new Date(time);
}

export interface AgentPrincipal { agentId: string; accountId: string }
/** An agent, or an API token acting for the whole account (agentId null). */
export interface AccountPrincipal { accountId: string; agentId: string | null }
export interface VisitorPrincipal { visitorId: string; siteId: string; accountId: string }

/** What never changes about a conversation: where it lives and whose it is. Safe to cache. */
export interface ConversationRef { id: string; siteId: string; visitorId: string; accountId: string }

type ConversationEventType = 'conversation.created' | 'conversation.assigned' | 'conversation.status';
/** What an event of this type says besides the account and the conversation's view. */
type ChangeDetail<K extends ConversationEventType> = Omit<DomainEventMap[K], 'accountId' | 'conversation'>;

export class Conversations {
  // Every message, typing and sync frame checks who may touch its conversation: cached, since a
  // conversation never changes account or visitor. A deleted one still fails later, when the store
  // finds no row.
  private readonly refs = new LRUCache<string, ConversationRef>({ max: 50_000 });

  constructor(private readonly db: Db, private readonly events: DomainEvents) {}

  /** The conversation's fixed facts if it belongs to the agent's account; NOT_FOUND otherwise. */
  async refForAgent(agent: AccountPrincipal, conversationId: string): Promise<ConversationRef> {
    const ref = this.refs.get(conversationId) ?? await this.loadRef(conversationId);
    if (!ref || ref.accountId !== agent.accountId) throw notFound('Conversation not found');
    return ref;
  }

  /** The conversation's fixed facts if it is the visitor's own; NOT_FOUND otherwise. */
  async refForVisitor(visitor: { visitorId: string }, conversationId: string): Promise<ConversationRef> {
    const ref = this.refs.get(conversationId) ?? await this.loadRef(conversationId);
    if (!ref || ref.visitorId !== visitor.visitorId) throw notFound('Conversation not found');
    return ref;
  }

  /** Either check, by who is asking. */
  refFor(who: AccountPrincipal | VisitorPrincipal, conversationId: string): Promise<ConversationRef> {
    return 'agentId' in who ? this.refForAgent(who, conversationId) : this.refForVisitor(who, conversationId);
  }

  /** A conversation found by other means (a visitor connecting, a new one): its checks need no query. */
  remember(ref: ConversationRef): void {
    this.refs.set(ref.id, ref);
  }

  private async loadRef(conversationId: string): Promise<ConversationRef | null> {
    if (!isUuid(conversationId)) return null;
    const [ref] = await this.db
      .select({ id: conversations.id, siteId: conversations.siteId, visitorId: conversations.visitorId, accountId: sites.accountId })
      .from(conversations)
      .innerJoin(sites, eq(sites.id, conversations.siteId))
      .where(eq(conversations.id, conversationId));
    if (!ref) return null;
    this.refs.set(conversationId, ref);
    return ref;
  }

  /**
   * Caches the refs of the conversations assigned to an agent who just connected: those are the
   * ones they reply to, and their first reply then needs no access query.
   */
  async rememberAssigned(agent: AgentPrincipal): Promise<void> {
    const rows = await this.db
      .select({ id: conversations.id, siteId: conversations.siteId, visitorId: conversations.visitorId })
      .from(conversations)
      .innerJoin(sites, eq(sites.id, conversations.siteId))
      .where(and(eq(conversations.assigneeId, agent.agentId), ne(conversations.status, 'resolved'), eq(sites.accountId, agent.accountId)))
      .limit(500);
    for (const row of rows) this.refs.set(row.id, { ...row, accountId: agent.accountId });
  }

  /**
   * A page of the account's conversations, newest activity first, keyset-paginated on
   * (updated_at, id). Without a status only unresolved ones are listed (the inbox). `since`/`until`
   * bound updated_at, the same column the list is sorted and paged by, so `since` = the time of the
   * last poll lists what changed since. `q` matches message bodies (PostgreSQL full-text search,
   * 'simple' configuration, web-search syntax), through the GIN index on messages.
   */
  async list(agent: AccountPrincipal, filter: ConversationFilter): Promise<Page<ConversationView>> {
    const where: (SQL | undefined)[] = [eq(sites.accountId, agent.accountId)];
    where.push(filter.status ? eq(conversations.status, filter.status) : ne(conversations.status, 'resolved'));
    if (filter.view === 'unassigned') where.push(isNull(conversations.assigneeId));
    if (filter.view === 'mine') {
      if (!agent.agentId) throw new AppError('VALIDATION_FAILED', 'view=mine needs an agent\'s sign-in, not an API token');
      where.push(eq(conversations.assigneeId, agent.agentId));
    }
    if (filter.siteId !== undefined) {
      if (!isUuid(filter.siteId)) throw new AppError('VALIDATION_FAILED', 'siteId must be a site id');
      where.push(eq(conversations.siteId, filter.siteId));
    }
    if (filter.assigneeId === 'none') where.push(isNull(conversations.assigneeId));
    else if (filter.assigneeId !== undefined) {
      if (!isUuid(filter.assigneeId)) throw new AppError('VALIDATION_FAILED', 'assigneeId must be an agent id or "none"');
      where.push(eq(conversations.assigneeId, filter.assigneeId));
    }
    if (filter.since !== undefined) where.push(gte(conversations.updatedAt, instant(filter.since, 'since')));
    if (filter.until !== undefined) where.push(lt(conversations.updatedAt, instant(filter.until, 'until')));
    const q = filter.q?.trim();
    if (q) {
      // Exactly the indexed expression, so that the planner can use messages_body_search_idx.
      where.push(sql`exists (select 1 from ${messages} where ${messages.conversationId} = ${conversations.id}
        and to_tsvector('simple', ${messages.body}) @@ websearch_to_tsquery('simple', ${q}))`);
    }
    const after = decodeCursor(filter.cursor, 2);
    if (after) {
      const [updatedAt, id] = after;
      if (typeof updatedAt !== 'string' || typeof id !== 'string' || !isUuid(id) || Number.isNaN(Date.parse(updatedAt))) {
        throw new AppError('VALIDATION_FAILED', 'Invalid cursor');
      }
      where.push(sql`(${conversations.updatedAt}, ${conversations.id}) < (${updatedAt}::timestamptz, ${id}::uuid)`);
    }
    const rows = await conversationRows(this.db, and(...where), filter.limit + 1);
    return pageOf(rows, filter.limit, (row) => [row.updatedAtKey, row.view.id], (row) => row.view);
  }

  /** A page of a conversation's messages after `afterSeq`, oldest first, if the asker may read it. */
  async messagesAfter(who: AccountPrincipal | VisitorPrincipal, conversationId: string, afterSeq: number, limit: number): Promise<MessagePage> {
    const ref = await this.refFor(who, conversationId);
    return messagesAfter(this.db, ref.id, afterSeq, limit);
  }

  /** The answer to a client's `sync`: the same page, named by the conversation's id as stored. */
  async sync(who: AccountPrincipal | VisitorPrincipal, conversationId: string, afterSeq: number, limit: number): Promise<MessagesFrame> {
    const ref = await this.refFor(who, conversationId);
    return { type: 'messages', conversationId: ref.id, ...await messagesAfter(this.db, ref.id, afterSeq, limit) };
  }

  /** The conversation if it belongs to the agent's account; NOT_FOUND otherwise. */
  async requireForAgent(agent: AccountPrincipal, conversationId: string): Promise<schema.Conversation> {
    if (!isUuid(conversationId)) throw notFound('Conversation not found');
    const [row] = await this.db
      .select({ conversation: conversations })
      .from(conversations)
      .innerJoin(sites, eq(sites.id, conversations.siteId))
      .where(and(eq(conversations.id, conversationId), eq(sites.accountId, agent.accountId)));
    if (!row) throw notFound('Conversation not found');
    return row.conversation;
  }

  async get(agent: AccountPrincipal, conversationId: string): Promise<ConversationView> {
    if (!isUuid(conversationId)) throw notFound('Conversation not found');
    // One query: the view itself is scoped to the agent's account.
    const [view] = await conversationViews(this.db,
      and(eq(conversations.id, conversationId), eq(sites.accountId, agent.accountId)), 1);
    if (!view) throw notFound('Conversation not found');
    return view;
  }

  async assign(agent: AccountPrincipal, conversationId: string, assigneeId: string | null): Promise<ConversationView> {
    const previous = await this.requireForAgent(agent, conversationId);
    if (assigneeId !== null) {
      const [assignee] = isUuid(assigneeId)
        ? await this.db.select({ id: agents.id, deactivatedAt: agents.deactivatedAt }).from(agents)
          .where(and(eq(agents.id, assigneeId), eq(agents.accountId, agent.accountId)))
        : [];
      if (!assignee) throw new AppError('VALIDATION_FAILED', 'No such agent in this account');
      if (assignee.deactivatedAt) throw new AppError('VALIDATION_FAILED', 'This agent is deactivated');
    }
    // A person taking the conversation ends the bot's turn.
    await this.db.update(conversations).set({ assigneeId, updatedAt: new Date(), ...(assigneeId !== null ? { withBot: false } : {}) })
      .where(eq(conversations.id, conversationId));
    return this.required(await this.announce('conversation.assigned', agent.accountId, conversationId,
      { previousAssigneeId: previous.assigneeId }));
  }

  /**
   * Sets the status. `snoozed` needs a future `snoozedUntil`, when the conversation reopens by
   * itself (snoozes.ts); any other status ends a snooze.
   */
  async setStatus(agent: AccountPrincipal, conversationId: string, status: ConversationStatus, snoozedUntil?: string): Promise<ConversationView> {
    const previous = await this.requireForAgent(agent, conversationId);
    let until: Date | null = null;
    if (status === 'snoozed') {
      if (snoozedUntil === undefined) throw new AppError('VALIDATION_FAILED', 'Snoozing needs snoozedUntil');
      until = instant(snoozedUntil, 'snoozedUntil');
      if (until.getTime() <= Date.now()) throw new AppError('VALIDATION_FAILED', 'snoozedUntil must be in the future');
    } else if (snoozedUntil !== undefined) {
      throw new AppError('VALIDATION_FAILED', 'snoozedUntil is only for status snoozed');
    }
    try {
      await this.db.update(conversations)
        .set({ status, updatedAt: new Date(), resolvedAt: status === 'resolved' ? new Date() : null, snoozedUntil: until })
        .where(eq(conversations.id, conversationId));
    } catch (error) {
      // Reopening while the visitor already has another unresolved conversation.
      if (pgErrorKind(error) === 'unique_violation') {
        throw new AppError('VALIDATION_FAILED', 'The visitor already has an unresolved conversation');
      }
      throw error;
    }
    return this.required(await this.announce('conversation.status', agent.accountId, conversationId,
      { previousStatus: previous.status }));
  }

  /**
   * Emits the change with the conversation's view as it is now, and returns the view (null, and no
   * event, when the conversation was deleted meanwhile).
   */
  async announce<K extends ConversationEventType>(type: K, accountId: string, conversationId: string,
    detail: ChangeDetail<K>): Promise<ConversationView | null> {
    const conversation = await conversationView(this.db, conversationId);
    // The cast: TypeScript cannot see that spreading Omit<E, keys> and adding the keys back gives E.
    if (conversation) this.events.emit(type, { ...detail, accountId, conversation } as DomainEventMap[K]);
    return conversation;
  }

  private required(view: ConversationView | null): ConversationView {
    if (!view) throw notFound('Conversation not found');
    return view;
  }
}

/** Newest first: the conversation a returning visitor sees in the widget. */
export async function latestConversationOf(db: Db, visitorId: string): Promise<schema.Conversation | null> {
  const [row] = await db.select().from(conversations)
    .where(eq(conversations.visitorId, visitorId))
    .orderBy(desc(conversations.createdAt))
    .limit(1);
  return row ?? null;
}
