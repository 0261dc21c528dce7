// Who answers a new conversation: the online agent of the account with the fewest unresolved
// conversations. With nobody online it waits unassigned, visible to every agent, until one comes online.
import { and, asc, count, eq, inArray, isNull, ne } from 'drizzle-orm';
import { schema, type Db } from '../../db/index.ts';
import type { Presence } from './presence.ts';
import type { Conversations } from './conversations.ts';

const { conversations, sites } = schema;

export class Routing {
  constructor(
    private readonly db: Db,
    private readonly presence: Presence,
    private readonly conversations: Conversations,
  ) {}

  async pickAgent(accountId: string): Promise<string | null> {
    const online = await this.presence.onlineAgents(accountId);
    if (online.length <= 1) return online[0] ?? null;
    const loads = await this.db
      .select({ agentId: conversations.assigneeId, open: count() })
      .from(conversations)
      .where(and(inArray(conversations.assigneeId, online), ne(conversations.status, 'resolved')))
      .groupBy(conversations.assigneeId);
    const load = new Map(loads.map((row) => [row.agentId, row.open]));
    const fewest = Math.min(...online.map((id) => load.get(id) ?? 0));
    const candidates = online.filter((id) => (load.get(id) ?? 0) === fewest);
    // Ties are broken at random so simultaneous conversations spread over the tied agents.
    return candidates[Math.floor(Math.random() * candidates.length)] ?? null;
  }

  /**
   * Assigns an unassigned conversation if someone is online; returns the assignee or null. The caller
   * announces it: a new conversation is announced once, already routed.
   */
  async routeConversation(conversationId: string, accountId: string): Promise<string | null> {
    const agentId = await this.pickAgent(accountId);
    if (!agentId) return null;
    // `assignee_id IS NULL` makes this safe when two nodes or a human assign at the same moment.
    const updated = await this.db.update(conversations)
      .set({ assigneeId: agentId, updatedAt: new Date() })
      .where(and(eq(conversations.id, conversationId), isNull(conversations.assigneeId)))
      .returning({ id: conversations.id });
    return updated.length === 0 ? null : agentId;
  }

  /** Called when an agent comes online: hands out the conversations that waited, oldest first. */
  async assignWaiting(accountId: string): Promise<number> {
    const waiting = await this.db
      .select({ id: conversations.id })
      .from(conversations)
      .innerJoin(sites, eq(sites.id, conversations.siteId))
      .where(and(eq(sites.accountId, accountId), isNull(conversations.assigneeId), ne(conversations.status, 'resolved')))
      .orderBy(asc(conversations.createdAt))
      .limit(500);
    let assigned = 0;
    for (const { id } of waiting) {
      if (await this.routeConversation(id, accountId)) {
        assigned += 1;
        await this.conversations.announce('conversation.assigned', accountId, id, { previousAssigneeId: null });
      } else if (!await this.presence.teamOnline(accountId)) break;
    }
    return assigned;
  }
}
