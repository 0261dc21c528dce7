// Sending messages: which conversation, who may write there, and who hears about it. Storage is
// message-store.ts, the heart of "nothing lost, nothing doubled": the next per-conversation seq
// with no gaps, and a resend of a known clientId answered with the stored message. Callers
// acknowledge only after this returns, i.e. after commit; a new message is then announced as a
// `message.created` event.
import { eq } from 'drizzle-orm';
import { schema, type Db } from '../../db/index.ts';
import { randomUUID } from 'node:crypto';
import type { ConversationView, MessageView, NoteView } from '../../protocol/index.ts';
import { AppError, notFound } from '../errors.ts';
import { pgErrorKind } from '../../db/errors.ts';
import type { Routing } from './routing.ts';
import type { AccountPrincipal, AgentPrincipal, ConversationRef, Conversations, VisitorPrincipal } from './conversations.ts';
import { latestConversationOf } from './conversations.ts';
import type { Author, DomainEvents, Person } from './events.ts';
import { toMessageView } from './views.ts';
import { LRUCache } from 'lru-cache';
import type { Appended, MessageStore } from './message-store.ts';
import type { Notes } from './notes.ts';

const { conversations, sites } = schema;

export interface Sent {
  message: MessageView;
  /** The clientId was already stored: this is the original message, nothing new was written. */
  duplicate: boolean;
}

/** What POST /conversations/:id/messages takes. */
export interface PostInput {
  body: string;
  /** Makes a resend safe: the same clientId returns the stored message. Generated when absent. */
  clientId?: string;
  private?: boolean;
  /** Only with an API token, and then required for a message: the bot it writes as. */
  author?: { kind: 'bot'; name: string };
}

/** A reply to the visitor, or a private note. */
export type Posted = { message: MessageView; note?: never } | { note: NoteView; message?: never };

export class Messages {
  constructor(
    private readonly db: Db,
    private readonly events: DomainEvents,
    private readonly routing: Routing,
    private readonly conversations: Conversations,
    private readonly maxLength: number,
    private readonly store: MessageStore,
    private readonly notes: Notes,
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
      this.announceSent(conversation, sent);
      if (sent.before && sent.before.assigneeId === null) {
        await this.conversations.announce('conversation.assigned', agent.accountId, conversation.id, { previousAssigneeId: null });
      }
    }
    return sent;
  }

  /**
   * A bot (an integration holding an API token) answers under its own name. Unlike an agent's
   * reply it claims the conversation for no one: the message store assigns only on an agent's.
   */
  async sendAsBot(caller: AccountPrincipal, conversationId: string, clientId: string, body: string, botName: string): Promise<Sent> {
    const text = this.checkBody(body);
    const name = botName.trim();
    if (name.length === 0) throw new AppError('VALIDATION_FAILED', 'A bot needs a name');
    const conversation = await this.conversations.refForAgent(caller, conversationId);
    const sent = await this.append(conversation.id, { kind: 'bot', id: null, name }, clientId, text);
    if (!sent.duplicate) this.announceSent(conversation, sent);
    return sent;
  }

  private announceSent(conversation: ConversationRef, sent: Sent): void {
    this.events.emit('message.created',
      { accountId: conversation.accountId, siteId: conversation.siteId, visitorId: conversation.visitorId, message: sent.message });
  }

  /**
   * POST /conversations/:id/messages: a signed-in agent replies as themselves; an API token acts
   * for no person, so it writes as a named bot. `private` makes it a note for agents instead
   * (notes.ts), which no visitor ever sees. A resend of a known clientId returns the stored message.
   */
  async post(caller: AccountPrincipal & { name: string }, conversationId: string, input: PostInput): Promise<Posted> {
    const { author } = input;
    // Access first, so another account's conversation is NOT_FOUND whatever the body says.
    await this.conversations.refForAgent(caller, conversationId);
    if (caller.agentId !== null && author) {
      throw new AppError('VALIDATION_FAILED', 'A signed-in agent writes as themselves: author is for API tokens');
    }
    if (input.private) return { note: await this.notes.add({ ...caller, name: author?.name ?? caller.name }, conversationId, input.body) };
    const clientId = input.clientId ?? randomUUID();
    if (caller.agentId !== null) {
      return { message: (await this.sendAsAgent({ ...caller, agentId: caller.agentId }, conversationId, clientId, input.body)).message };
    }
    if (!author) throw new AppError('VALIDATION_FAILED', 'An API token writes as a bot: give author { kind: \'bot\', name }');
    return { message: (await this.sendAsBot(caller, conversationId, clientId, input.body, author.name)).message };
  }

  /**
   * The bot hands the conversation to the people (routing.ts handOff), leaving `note` first as a
   * private note for whoever takes over, so that it is there when they open the conversation.
   */
  async handOff(caller: AccountPrincipal & { name: string }, conversationId: string, note?: string): Promise<ConversationView> {
    if (note !== undefined) await this.notes.add(caller, conversationId, note);
    return this.routing.handOff(caller, conversationId);
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
    // A bot-first site's new conversations go to its bot (by webhook), not to an agent, until it hands off.
    const [site] = await this.db.select({ botFirst: sites.botFirst }).from(sites).where(eq(sites.id, visitor.siteId));
    const withBot = site?.botFirst ?? false;
    // Two tabs may start a conversation at the same instant: the partial unique index lets one win,
    // and the other picks up the winner's conversation.
    const [created] = await this.db.insert(conversations)
      .values({ siteId: visitor.siteId, visitorId: visitor.visitorId, withBot })
      .onConflictDoNothing()
      .returning()
      .catch((error: unknown) => {
        // The visitor (or their site) was erased while their socket was still open.
        if (pgErrorKind(error) === 'foreign_key_violation') throw notFound('Visitor not found');
        throw error;
      });
    if (!created) {
      const winner = await latestConversationOf(this.db, visitor.visitorId);
      if (!winner) throw new AppError('INTERNAL', 'Conversation vanished');
      return winner;
    }
    this.conversations.remember({ id: created.id, siteId: created.siteId, visitorId: created.visitorId, accountId: visitor.accountId });
    if (!withBot) await this.routing.routeConversation(created.id, visitor.accountId);
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
