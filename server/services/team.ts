// The account as an agent sees it: who they are, their account and sites, and their colleagues
// with each one's availability. And the team as its owners and admins run it: names, roles and
// capacities, deactivation (the login is gone, the history keeps its author) and passwords.
import { and, eq, isNull, ne } from 'drizzle-orm';
import { schema, type Db } from '../../db/index.ts';
import type { AgentRole, AgentView, LoginResponse, MeResponse } from '../../protocol/index.ts';
import { AppError, notFound } from '../errors.ts';
import type { Caller } from './access.ts';
import type { Conversations } from './conversations.ts';
import type { DomainEvents } from './events.ts';
import type { Identity } from './identity.ts';
import type { Presence } from './presence.ts';
import type { Routing } from './routing.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { isUuid } from './ids.ts';
import { toAgentView, toSiteView } from './views.ts';

const { agents, conversations } = schema;

export interface MemberChange {
  name?: string | undefined;
  role?: AgentRole | undefined;
  /** null: no limit. */
  capacity?: number | null | undefined;
}

/** How long a deactivation waits for the agent's sockets to close everywhere before handing out their conversations. */
const OFFLINE_WAIT_MS = 5_000;
const OFFLINE_POLL_MS = 50;

/**
 * Whether `caller` may make `change` to an agent whose role is `targetRole`. Admins run agents and
 * admins; only an owner touches an owner or makes one, so an admin can neither take the account
 * from its owners nor give it away. Returns why not, or null.
 */
export function memberChangeRefusal(callerRole: AgentRole, targetRole: AgentRole, newRole: AgentRole | undefined): string | null {
  if (callerRole === 'owner') return null;
  if (callerRole !== 'admin') return 'Only owners and admins manage the team';
  if (targetRole === 'owner') return 'Only an owner can change an owner';
  if (newRole === 'owner') return 'Only an owner can make an owner';
  return null;
}

/** A member view: the agent as colleagues see them, with what owners and admins manage. */
function toMemberView(agent: schema.Agent, availability: AgentView['availability']): AgentView {
  return { ...toAgentView(agent, availability), capacity: agent.capacity, deactivatedAt: agent.deactivatedAt?.toISOString() ?? null };
}

export class Team {
  constructor(
    private readonly db: Db,
    private readonly presence: Presence,
    private readonly deps: {
      events: DomainEvents;
      identity: Identity;
      conversations: Conversations;
      routing: Routing;
      onError: (error: unknown) => void;
    },
  ) {}

  async me(agent: schema.Agent): Promise<MeResponse> {
    const [[account], sites, availability] = await Promise.all([
      this.db.select().from(schema.accounts).where(eq(schema.accounts.id, agent.accountId)),
      this.db.select().from(schema.sites).where(eq(schema.sites.accountId, agent.accountId)),
      this.presence.availability(agent.id),
    ]);
    return {
      agent: toAgentView(agent, availability),
      account: { id: agent.accountId, name: account?.name ?? '' },
      sites: sites.map(toSiteView),
    };
  }

  /** The account's active agents (what consoles show); with `includeDeactivated`, the former ones too. */
  async agents(accountId: string, options: { includeDeactivated?: boolean } = {}): Promise<AgentView[]> {
    const rows = await this.db.select().from(agents).where(options.includeDeactivated
      ? eq(agents.accountId, accountId)
      : and(eq(agents.accountId, accountId), isNull(agents.deactivatedAt)));
    const availabilities = await this.presence.availabilities(rows.map((agent) => agent.id));
    return rows.map((agent, i) => toMemberView(agent, availabilities[i] ?? 'offline'));
  }

  /** Name, role or capacity of a colleague (memberChangeRefusal says who may); the last owner stays one. */
  async update(caller: Caller, agentId: string, change: MemberChange): Promise<AgentView> {
    const updated = await this.db.transaction(async (tx) => {
      const target = await this.requireMember(tx, caller, agentId);
      const refusal = memberChangeRefusal(caller.role, target.role, change.role);
      if (refusal) throw new AppError('FORBIDDEN', refusal);
      if (target.deactivatedAt) throw new AppError('CONFLICT', 'This agent is deactivated');
      if (target.role === 'owner' && change.role !== undefined && change.role !== 'owner') {
        await this.requireAnotherOwner(tx, target);
      }
      const [row] = await tx.update(agents).set({
        ...(change.name !== undefined ? { name: change.name.trim() } : {}),
        ...(change.role !== undefined ? { role: change.role } : {}),
        ...(change.capacity !== undefined ? { capacity: change.capacity } : {}),
      }).where(eq(agents.id, target.id)).returning();
      return row!;
    });
    // More room (or no limit now): conversations that wait may be theirs at once.
    if (change.capacity !== undefined) this.deps.routing.assignWaiting(updated.accountId).catch(this.deps.onError);
    return toMemberView(updated, await this.presence.availability(updated.id));
  }

  /**
   * Deactivates an agent: their tokens fail from now on (identity checks deactivatedAt), their open
   * consoles are closed on every node (agent.deactivated), and their unresolved conversations go back
   * to the queue. The row stays, so their messages keep their author.
   */
  async deactivate(caller: Caller, agentId: string): Promise<{ agent: AgentView; unassigned: number }> {
    const { row, changed } = await this.db.transaction(async (tx) => {
      const target = await this.requireMember(tx, caller, agentId);
      const refusal = memberChangeRefusal(caller.role, target.role, undefined);
      if (refusal) throw new AppError('FORBIDDEN', refusal);
      if (target.deactivatedAt) return { row: target, changed: false };
      if (target.role === 'owner') await this.requireAnotherOwner(tx, target);
      const [row] = await tx.update(agents).set({ deactivatedAt: new Date() }).where(eq(agents.id, target.id)).returning();
      return { row: row!, changed: true };
    });
    let unassigned = 0;
    if (changed) {
      this.deps.events.emit('agent.deactivated', { accountId: row.accountId, agentId: row.id });
      unassigned = await this.unassignAll(row);
      if (unassigned > 0) {
        this.handOutWhenOffline(row).catch(this.deps.onError);
      }
    }
    return { agent: toMemberView(row, 'offline'), unassigned };
  }

  /** An owner sets someone's password: the tokens they hold stop working. */
  async resetPassword(caller: Caller, agentId: string, password: string): Promise<void> {
    const target = await this.requireMember(this.db, caller, agentId);
    if (target.deactivatedAt) throw new AppError('CONFLICT', 'This agent is deactivated');
    await this.setPassword(target.id, password);
  }

  /** The signed-in agent renames themselves. */
  async rename(agent: schema.Agent, name: string): Promise<AgentView> {
    const [row] = await this.db.update(agents).set({ name: name.trim() }).where(eq(agents.id, agent.id)).returning();
    if (!row) throw notFound('Agent not found');
    return toAgentView(row, await this.presence.availability(row.id));
  }

  /**
   * The signed-in agent changes their password. Every token issued before stops working, including
   * a stolen one; the answer carries a fresh token so that this console stays signed in.
   */
  async changePassword(agent: schema.Agent, currentPassword: string, newPassword: string): Promise<LoginResponse> {
    if (!await verifyPassword(currentPassword, agent.passwordHash)) {
      throw new AppError('INVALID_CREDENTIALS', 'The current password is wrong');
    }
    const row = await this.setPassword(agent.id, newPassword);
    return this.deps.identity.renewAgent(row);
  }

  private async setPassword(agentId: string, password: string): Promise<schema.Agent> {
    const [row] = await this.db.update(agents)
      .set({ passwordHash: await hashPassword(password), tokensValidAfter: new Date() })
      .where(eq(agents.id, agentId)).returning();
    if (!row) throw notFound('Agent not found');
    // Signed out everywhere: the consoles still open on the old password close (the changer's own
    // included; its answer carries the token to sign in with again).
    this.deps.events.emit('agent.password_changed', { accountId: row.accountId, agentId: row.id });
    return row;
  }

  /** Another account's agent is NOT_FOUND, exactly like one that does not exist. */
  private async requireMember(db: Db, caller: Caller, agentId: string): Promise<schema.Agent> {
    if (!isUuid(agentId)) throw notFound('Agent not found');
    const [row] = await db.select().from(agents).where(and(eq(agents.id, agentId), eq(agents.accountId, caller.accountId)));
    if (!row) throw notFound('Agent not found');
    return row;
  }

  /**
   * An account always keeps an active owner. The owners' rows are locked, so two owners demoting
   * each other at once cannot both succeed.
   */
  private async requireAnotherOwner(db: Db, leaving: schema.Agent): Promise<void> {
    const owners = await db.select({ id: agents.id }).from(agents)
      .where(and(eq(agents.accountId, leaving.accountId), eq(agents.role, 'owner'), isNull(agents.deactivatedAt)))
      .for('update');
    if (!owners.some((owner) => owner.id !== leaving.id)) {
      throw new AppError('CONFLICT', 'The account\'s last owner cannot be demoted or deactivated');
    }
  }

  /** Puts the agent's unresolved conversations back in the queue, announcing each. */
  private async unassignAll(agent: schema.Agent): Promise<number> {
    const released = await this.db.update(conversations).set({ assigneeId: null, updatedAt: new Date() })
      .where(and(eq(conversations.assigneeId, agent.id), ne(conversations.status, 'resolved')))
      .returning({ id: conversations.id });
    for (const { id } of released) {
      await this.deps.conversations.announce('conversation.assigned', agent.accountId, id, { previousAssigneeId: agent.id });
    }
    return released.length;
  }

  /**
   * Routing gives waiting conversations to online agents; it must not see the deactivated one among
   * them, so it waits until their last console, on whichever node, has closed.
   */
  private async handOutWhenOffline(agent: schema.Agent): Promise<void> {
    const deadline = Date.now() + OFFLINE_WAIT_MS;
    while (await this.presence.availability(agent.id) !== 'offline') {
      if (Date.now() > deadline) throw new Error(`agent ${agent.id} still online ${OFFLINE_WAIT_MS} ms after deactivation; their conversations wait in the queue`);
      await new Promise((resolve) => setTimeout(resolve, OFFLINE_POLL_MS));
    }
    await this.deps.routing.assignWaiting(agent.accountId);
  }
}
