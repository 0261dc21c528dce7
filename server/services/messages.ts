// Sending messages: which conversation, who may write there, and who hears about it. Storage is
// message-store.ts, the heart of "nothing lost, nothing doubled": the next per-conversation seq
// with no gaps, and a resend of a known clientId answered with the stored message. Callers
// acknowledge only after this returns, i.e. after commit; a new message is then announced as a
// `message.created` event.
import { schema, type Db } from '../../db/index.ts';
import type { MessageView } from '../../protocol/index.ts';
import { AppError, notFound } from '../errors.ts';
import type { Routing } from './routing.ts';
import type { AgentPrincipal, Conversations, VisitorPrincipal } from './conversations.ts';
import { latestConversationOf } from './conversations.ts';
import type { Author, DomainEvents, Person } from './events.ts';
import { toMessageView } from './views.ts';
import { LRUCache } from 'lru-cache';
import type { Appended, MessageStore } from './message-store.ts';

const { conversations } = schema;

export interface Sent {
  message: MessageView;
  /** The clientId was already stored: this is the original message, nothing new was written. */
  duplicate: boolean;
}

export class Messages {
  constructor(
    private readonly db: Db,
    private readonly events: DomainEvents,
    private readonly routing: Routing,
    private readonly conversations: Conversations,
    private readonly maxLength: number,
    private readonly store: MessageStore,
  ) {}

  private readonly visitorConversations = new LRUCache<string, string>({ max: 50_000 });

  /** A visitor writes: into their unresolved conversation, else reopening their latest, else a new one. */
  async sendAsVisitor(visitor: VisitorPrincipal, clientId: string, body: string, conversationId?: string): Promise<Sent> {
    const text = this.checkBody(body);
    let conversation = await this.conversationFor(visitor);
    // A visitor naming a conversation may only name their current one.
    if (conversationId !== undefined && conversationId !== conversation.id) throw notFound('Conversation not found');
    const author: Author = { kind: 'visitor', id: visitor.visitorId, name: null };
    const sent = await this.append(conversation.id, author, clientId, text).catch(async (error: unknown) => {
      if (!(error instanceof AppError && error.code === 'NOT_FOUND') || conversationId !== undefined) throw error;
      // The cached conversation was deleted since: look again, which starts a new one.
      this.visitorConversations.delete(visitor.visitorId);
      conversation = await this.conversationFor(visitor);
      return this.append(conversation.id, author, clientId, text);
    });
    if (!sent.duplicate) {
      this.events.emit('message.created',
        { accountId: visitor.accountId, siteId: visitor.siteId, visitorId: visitor.visitorId, message: sent.message });
      if (sent.before && sent.before.status !== 'open') {
        await this.conversations.announce('conversation.status', visitor.accountId, conversation.id,
          { previousStatus: sent.before.status });
      }
    }
    return sent;
  }

  /** An agent writes into a conversation of their account; an unassigned one becomes theirs. */
  async sendAsAgent(agent: AgentPrincipal & { name: string }, conversationId: string, clientId: string, body: string): Promise<Sent> {
    const text = this.checkBody(body);
    const conversation = await this.conversations.refForAgent(agent, conversationId);
    const sent = await this.append(conversation.id, { kind: 'agent', id: agent.agentId, name: agent.name }, clientId, text);
    if (!sent.duplicate) {
      this.events.emit('message.created',
        { accountId: agent.accountId, siteId: conversation.siteId, visitorId: conversation.visitorId, message: sent.message });
      if (sent.before && sent.before.assigneeId === null) {
        await this.conversations.announce('conversation.assigned', agent.accountId, conversation.id, { previousAssigneeId: null });
      }
    }
    return sent;
  }

  /** Typing is announced, never stored, in a conversation the author may write to. */
  async typing(who: VisitorPrincipal | (AgentPrincipal & { name: string }), conversationId: string, typing: boolean): Promise<void> {
    const ref = await this.conversations.refFor(who, conversationId);
    const author: Person = 'agentId' in who
      ? { kind: 'agent', id: who.agentId, name: who.name }
      : { kind: 'visitor', id: who.visitorId, name: null };
    this.events.emit('typing',
      { accountId: ref.accountId, siteId: ref.siteId, visitorId: ref.visitorId, conversationId: ref.id, author, typing });
  }

  private checkBody(body: string): string {
    const text = body.trim();
    if (text.length === 0) throw new AppError('MESSAGE_INVALID', 'A message cannot be empty');
    if (text.length > this.maxLength) {
      throw new AppError('MESSAGE_INVALID', `A message can be at most ${this.maxLength} characters`);
    }
    return text;
  }

  /** The gateway found the visitor's conversation when they connected: their first message needs no lookup. */
  rememberConversation(visitorId: string, conversationId: string): void {
    this.visitorConversations.set(visitorId, conversationId);
  }

  /**
   * The visitor's conversation. Once a visitor has one it stays theirs for good (a resolved one is
   * reopened, never replaced), so the answer is cached after the first lookup.
   */
  private async conversationFor(visitor: VisitorPrincipal): Promise<{ id: string }> {
    const cached = this.visitorConversations.get(visitor.visitorId);
    if (cached) return { id: cached };
    const found = await this.findOrStartConversation(visitor);
    this.visitorConversations.set(visitor.visitorId, found.id);
    return found;
  }

  private async findOrStartConversation(visitor: VisitorPrincipal): Promise<schema.Conversation> {
    const latest = await latestConversationOf(this.db, visitor.visitorId);
    if (latest) return latest;
    // Two tabs may start a conversation at the same instant: the partial unique index lets one win,
    // and the other picks up the winner's conversation.
    const [created] = await this.db.insert(conversations)
      .values({ siteId: visitor.siteId, visitorId: visitor.visitorId })
      .onConflictDoNothing()
      .returning();
    if (!created) {
      const winner = await latestConversationOf(this.db, visitor.visitorId);
      if (!winner) throw new AppError('INTERNAL', 'Conversation vanished');
      return winner;
    }
    this.conversations.remember({ id: created.id, siteId: created.siteId, visitorId: created.visitorId, accountId: visitor.accountId });
    await this.routing.routeConversation(created.id, visitor.accountId);
    await this.conversations.announce('conversation.created', visitor.accountId, created.id, {});
    return created;
  }

  private async append(conversationId: string, author: Author, clientId: string, body: string): Promise<Sent & { before: Appended['before'] }> {
    const appended = await this.store.append({
      conversationId, clientId, authorKind: author.kind, authorId: author.id, authorName: author.kind === 'bot' ? author.name : null, body,
    });
    if (!appended) throw new AppError('NOT_FOUND', 'Conversation not found');
    const { row, duplicate, before } = appended;
    // A duplicate's author is the original's: name it only when it is this agent. A bot's name is stored.
    const authorName = row.authorKind === 'bot' ? row.authorName
      : row.authorKind === 'agent' && row.authorId === author.id ? author.name : null;
    return { message: toMessageView(row, authorName), duplicate, before };
  }
}
