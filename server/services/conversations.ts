// Conversations as agents see them: listing, access checks, assignment and status. Every query is
// scoped to the agent's account; another account's conversation is NOT_FOUND, never FORBIDDEN, so
// ids cannot be probed. A visitor reaches only their own conversations. Changes are announced as
// domain events (events.ts) with the conversation's new view.
import { and, desc, eq, isNull, ne, type SQL } from 'drizzle-orm';
import { schema, type Db } from '../../db/index.ts';
import { pgErrorKind } from '../../db/errors.ts';
import type { ConversationListView, ConversationStatus, ConversationView, MessagePage, MessagesFrame } from '../../protocol/index.ts';
import { AppError, notFound } from '../errors.ts';
import type { DomainEventMap, DomainEvents } from './events.ts';
import { conversationView, conversationViews, messagesAfter } from './views.ts';
import { isUuid } from './ids.ts';
import { LRUCache } from 'lru-cache';

const { conversations, sites, agents } = schema;

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

  list(agent: AccountPrincipal, view: ConversationListView, status: ConversationStatus | undefined): Promise<ConversationView[]> {
    const filters: (SQL | undefined)[] = [eq(sites.accountId, agent.accountId)];
    if (status) filters.push(eq(conversations.status, status));
    else filters.push(ne(conversations.status, 'resolved'));
    if (view === 'unassigned') filters.push(isNull(conversations.assigneeId));
    if (view === 'mine') {
      if (!agent.agentId) throw new AppError('VALIDATION_FAILED', 'view=mine needs an agent\'s sign-in, not an API token');
      filters.push(eq(conversations.assigneeId, agent.agentId));
    }
    return conversationViews(this.db, and(...filters));
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
        ? await this.db.select({ id: agents.id }).from(agents)
          .where(and(eq(agents.id, assigneeId), eq(agents.accountId, agent.accountId)))
        : [];
      if (!assignee) throw new AppError('VALIDATION_FAILED', 'No such agent in this account');
    }
    await this.db.update(conversations).set({ assigneeId, updatedAt: new Date() })
      .where(eq(conversations.id, conversationId));
    return this.required(await this.announce('conversation.assigned', agent.accountId, conversationId,
      { previousAssigneeId: previous.assigneeId }));
  }

  async setStatus(agent: AccountPrincipal, conversationId: string, status: ConversationStatus): Promise<ConversationView> {
    const previous = await this.requireForAgent(agent, conversationId);
    try {
      await this.db.update(conversations)
        .set({ status, updatedAt: new Date(), resolvedAt: status === 'resolved' ? new Date() : null })
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
