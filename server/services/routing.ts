// Who answers a conversation: the online agent of the account with the fewest open conversations,
// among those below their capacity (agents.capacity; null = no limit) and not deactivated; between
// equally loaded agents, whoever has waited longest since routing last gave them one. With nobody
// available it waits unassigned, visible to every agent, until someone comes online or frees
// capacity, on any node. A conversation the site's bot has (withBot) is never routed until the bot
// hands off.
//
// Race-free across nodes: each assignment is one short transaction that first takes a PostgreSQL
// advisory lock scoped to the account (pg_advisory_xact_lock), then reads the loads, picks, and
// assigns. Two nodes routing for one account take turns, so each sees the other's assignment and no
// capacity is exceeded; `assignee_id IS NULL` in the UPDATE keeps a conversation from being
// assigned twice even by a person assigning by hand at the same moment. One conversation per
// transaction holds at most one conversation row lock, so routing can never deadlock with the
// message store's batched UPDATE of the same rows.
import { and, asc, count, eq, inArray, isNull, sql } from 'drizzle-orm';
import { schema, type Db } from '../../db/index.ts';
import type { Presence } from './presence.ts';
import type { ConversationView } from '../../protocol/index.ts';
import { notFound } from '../errors.ts';
import type { AccountPrincipal, Conversations } from './conversations.ts';
import type { DomainEvents } from './events.ts';

const { conversations, sites, agents } = schema;

/** The advisory lock namespace (first key) of routing; the second key is the account's hash. */
const ROUTING_LOCK = 0x50524c59;
/** Conversations that count against an agent's capacity, and that routing hands out. */
const ACTIVE = ['open', 'pending'] as const;
/** At most this many assignments per hand-out: the rest follow the next trigger. */
const HAND_OUT_LIMIT = 500;

/** An online agent as routing weighs them. */
export interface Candidate {
  id: string;
  /** Open or pending conversations assigned to them now. */
  load: number;
  /** Most open conversations routing gives them; null = no limit. */
  capacity: number | null;
  /** When routing last gave them one; null = never. */
  lastRoutedAt: Date | null;
}

/**
 * The least-loaded candidate below capacity, or null when everyone is full. Ties go to whoever has
 * waited longest since their last routed conversation (never counts as longest), then by id, so the
 * choice is the same on every node.
 */
export function chooseAgent(candidates: readonly Candidate[]): string | null {
  let best: Candidate | null = null;
  for (const candidate of candidates) {
    if (candidate.capacity !== null && candidate.load >= candidate.capacity) continue;
    if (!best || candidate.load < best.load || (candidate.load === best.load && waitedLonger(candidate, best))) best = candidate;
  }
  return best?.id ?? null;
}

function waitedLonger(a: Candidate, b: Candidate): boolean {
  const since = (candidate: Candidate) => candidate.lastRoutedAt?.getTime() ?? -Infinity;
  return since(a) !== since(b) ? since(a) < since(b) : a.id < b.id;
}

export class Routing {
  constructor(
    private readonly db: Db,
    private readonly presence: Presence,
    private readonly conversations: Conversations,
  ) {}

  /**
   * What routing does when something happened, on the node where it happened: a conversation
   * resolved or snoozed, or given to another agent, leaves its agent room for one that waits; a
   * reopened one (the visitor wrote again, a snooze ended) goes back to its assignee only if they
   * are online. Coming online is Availability's trigger.
   */
  listen(events: DomainEvents, onError: (error: unknown) => void): void {
    const handOut = (accountId: string) => { this.assignWaiting(accountId).catch(onError); };
    events.on('conversation.status', ({ accountId, conversation, previousStatus }) => {
      const { id, status, assigneeId } = conversation;
      if (assigneeId !== null && isActive(previousStatus) && !isActive(status)) handOut(accountId);
      if (!isActive(previousStatus) && isActive(status)) this.reopened(accountId, id, assigneeId).catch(onError);
    });
    // Given to another agent: the previous one has room. Put back in the queue by a person is left
    // there (routing would often hand it straight back, being the oldest waiting) until the next trigger.
    events.on('conversation.assigned', ({ accountId, conversation, previousAssigneeId }) => {
      const { assigneeId } = conversation;
      if (previousAssigneeId !== null && assigneeId !== null && previousAssigneeId !== assigneeId) handOut(accountId);
    });
  }

  /**
   * Assigns a conversation that waits (new, handed off by the bot) if someone is available; returns
   * the assignee or null. The caller announces it: a new conversation is announced once, already routed.
   */
  async routeConversation(conversationId: string, accountId: string): Promise<string | null> {
    const online = await this.presence.onlineAgents(accountId);
    if (online.length === 0) return null;
    return (await this.assignOne(accountId, online, conversationId))?.agentId ?? null;
  }

  /**
   * A conversation reopened: it stays with its assignee if they are online; otherwise it leaves
   * them and is routed like a new one. Announces the change.
   */
  async reopened(accountId: string, conversationId: string, assigneeId: string | null): Promise<void> {
    if (assigneeId !== null) {
      if (await this.presence.availability(assigneeId) === 'online') return;
      const released = await this.db.update(conversations)
        .set({ assigneeId: null, updatedAt: new Date() })
        .where(and(eq(conversations.id, conversationId), eq(conversations.assigneeId, assigneeId)))
        .returning({ id: conversations.id });
      if (released.length === 0) return; // someone else took it meanwhile
    }
    const routedTo = await this.routeConversation(conversationId, accountId);
    if (assigneeId !== null || routedTo !== null) {
      await this.conversations.announce('conversation.assigned', accountId, conversationId, { previousAssigneeId: assigneeId });
    }
  }

  /**
   * The bot hands the conversation to the people: it leaves the bot and is routed like a new one
   * (the least-loaded available agent, or it waits unassigned). Harmless when the bot does not
   * have it: nothing changes and nothing is announced.
   */
  async handOff(caller: AccountPrincipal, conversationId: string): Promise<ConversationView> {
    await this.conversations.requireForAgent(caller, conversationId);
    const [released] = await this.db.update(conversations)
      .set({ withBot: false, updatedAt: new Date() })
      .where(and(eq(conversations.id, conversationId), eq(conversations.withBot, true)))
      .returning({ status: conversations.status, assigneeId: conversations.assigneeId });
    if (!released) return this.conversations.get(caller, conversationId);
    // Only an unassigned, unresolved conversation waits for someone.
    const waits = released.assigneeId === null && released.status !== 'resolved';
    const assignee = waits ? await this.routeConversation(conversationId, caller.accountId) : null;
    // Agents learn that it is theirs now: as an assignment when routed, else as its new view
    // (status unchanged, no longer with the bot).
    const view = assignee
      ? await this.conversations.announce('conversation.assigned', caller.accountId, conversationId, { previousAssigneeId: null })
      : await this.conversations.announce('conversation.status', caller.accountId, conversationId, { previousStatus: released.status });
    if (!view) throw notFound('Conversation not found');
    return view;
  }

  /**
   * Hands out the conversations that wait, oldest first, while anyone online has room: called when an
   * agent comes online or frees capacity, on whichever node that happened.
   */
  async assignWaiting(accountId: string): Promise<number> {
    const online = await this.presence.onlineAgents(accountId);
    let assigned = 0;
    while (online.length > 0 && assigned < HAND_OUT_LIMIT) {
      const made = await this.assignOne(accountId, online);
      // Nothing waits, or everyone online is at capacity: the rest keep waiting.
      if (!made) break;
      assigned += 1;
      await this.conversations.announce('conversation.assigned', accountId, made.conversationId, { previousAssigneeId: null });
    }
    return assigned;
  }

  /**
   * One assignment under the account's routing lock: the given conversation, or the one that has
   * waited longest, to the agent chooseAgent picks from `online`. Null when nothing was assigned.
   */
  private async assignOne(accountId: string, online: readonly string[], conversationId?: string): Promise<{ conversationId: string; agentId: string } | null> {
    return this.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${ROUTING_LOCK}, hashtext(${accountId}))`);
      const waits = and(isNull(conversations.assigneeId), inArray(conversations.status, ACTIVE), eq(conversations.withBot, false));
      const [waiting] = await tx.select({ id: conversations.id })
        .from(conversations)
        .innerJoin(sites, eq(sites.id, conversations.siteId))
        .where(and(eq(sites.accountId, accountId), waits, conversationId ? eq(conversations.id, conversationId) : undefined))
        .orderBy(asc(conversations.createdAt))
        .limit(1);
      if (!waiting) return null;
      // Each online, active agent of the account with their capacity and current load, read under the lock.
      const candidates = await tx
        .select({ id: agents.id, capacity: agents.capacity, lastRoutedAt: agents.lastRoutedAt, load: count(conversations.id) })
        .from(agents)
        .leftJoin(conversations, and(eq(conversations.assigneeId, agents.id), inArray(conversations.status, ACTIVE)))
        .where(and(inArray(agents.id, [...online]), eq(agents.accountId, accountId), isNull(agents.deactivatedAt)))
        .groupBy(agents.id);
      const agentId = chooseAgent(candidates);
      if (!agentId) return null;
      const [assigned] = await tx.update(conversations)
        .set({ assigneeId: agentId, updatedAt: new Date() })
        .where(and(eq(conversations.id, waiting.id), waits))
        .returning({ id: conversations.id });
      if (!assigned) return null;
      await tx.update(agents).set({ lastRoutedAt: sql`clock_timestamp()` }).where(eq(agents.id, agentId));
      return { conversationId: assigned.id, agentId };
    });
  }
}

function isActive(status: string): boolean {
  return (ACTIVE as readonly string[]).includes(status);
}
