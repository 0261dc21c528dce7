// Who answers a new conversation: the online agent of the account with the fewest unresolved
// conversations, among those below their capacity (agents.capacity; null = no limit) and not
// deactivated. With nobody available it waits unassigned, visible to every agent, until one comes
// online. A conversation the site's bot has (withBot) is never routed until the bot hands off.
import { and, asc, count, eq, inArray, isNull, ne } from 'drizzle-orm';
import { schema, type Db } from '../../db/index.ts';
import type { Presence } from './presence.ts';
import type { ConversationView } from '../../protocol/index.ts';
import { notFound } from '../errors.ts';
import type { AccountPrincipal, Conversations } from './conversations.ts';

const { conversations, sites, agents } = schema;

/** An online agent as routing weighs them. */
export interface Candidate {
  id: string;
  /** Unresolved conversations assigned to them now. */
  load: number;
  /** Most unresolved conversations routing gives them; null = no limit. */
  capacity: number | null;
}

/**
 * The least-loaded candidate below capacity, or null when everyone is full. Ties are broken by
 * `random` so that simultaneous conversations spread over the tied agents.
 */
export function chooseAgent(candidates: readonly Candidate[], random: () => number = Math.random): string | null {
  const available = candidates.filter((c) => c.capacity === null || c.load < c.capacity);
  if (available.length === 0) return null;
  const fewest = Math.min(...available.map((c) => c.load));
  const tied = available.filter((c) => c.load === fewest);
  return tied[Math.floor(random() * tied.length)]?.id ?? null;
}

export class Routing {
  constructor(
    private readonly db: Db,
    private readonly presence: Presence,
    private readonly conversations: Conversations,
  ) {}

  async pickAgent(accountId: string): Promise<string | null> {
    const online = await this.presence.onlineAgents(accountId);
    if (online.length === 0) return null;
    // One query: each online, active agent of the account with their capacity and current load.
    const rows = await this.db
      .select({ id: agents.id, capacity: agents.capacity, load: count(conversations.id) })
      .from(agents)
      .leftJoin(conversations, and(eq(conversations.assigneeId, agents.id), ne(conversations.status, 'resolved')))
      .where(and(inArray(agents.id, online), eq(agents.accountId, accountId), isNull(agents.deactivatedAt)))
      .groupBy(agents.id);
    return chooseAgent(rows);
  }

  /**
   * Assigns an unassigned conversation if someone is available; returns the assignee or null. The
   * caller announces it: a new conversation is announced once, already routed.
   */
  async routeConversation(conversationId: string, accountId: string): Promise<string | null> {
    const agentId = await this.pickAgent(accountId);
    if (!agentId) return null;
    return await this.assignIfWaiting(conversationId, agentId) ? agentId : null;
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

  /** Called when an agent comes online: hands out the conversations that waited, oldest first. */
  async assignWaiting(accountId: string): Promise<number> {
    const waiting = await this.db
      .select({ id: conversations.id })
      .from(conversations)
      .innerJoin(sites, eq(sites.id, conversations.siteId))
      .where(and(eq(sites.accountId, accountId), isNull(conversations.assigneeId), ne(conversations.status, 'resolved'),
        eq(conversations.withBot, false)))
      .orderBy(asc(conversations.createdAt))
      .limit(500);
    let assigned = 0;
    for (const { id } of waiting) {
      const agentId = await this.pickAgent(accountId);
      // Nobody online, or everyone at capacity: the rest keep waiting.
      if (!agentId) break;
      if (await this.assignIfWaiting(id, agentId)) {
        assigned += 1;
        await this.conversations.announce('conversation.assigned', accountId, id, { previousAssigneeId: null });
      }
    }
    return assigned;
  }

  /**
   * `assignee_id IS NULL` makes this safe when two nodes or a human assign at the same moment;
   * `with_bot` keeps a conversation the bot has from being handed to a person behind its back.
   */
  private async assignIfWaiting(conversationId: string, agentId: string): Promise<boolean> {
    const updated = await this.db.update(conversations)
      .set({ assigneeId: agentId, updatedAt: new Date() })
      .where(and(eq(conversations.id, conversationId), isNull(conversations.assigneeId), eq(conversations.withBot, false)))
      .returning({ id: conversations.id });
    return updated.length > 0;
  }
}
