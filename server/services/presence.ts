// Who is online, on this node. An agent is online or away by choice while at least one console
// connection is open, and offline when the last one closes. The choice survives reconnects.
import type { Availability } from '../../protocol/index.ts';

interface AgentPresence {
  accountId: string;
  connections: number;
  chosen: 'online' | 'away';
}

export interface PresenceChange {
  agentId: string;
  accountId: string;
  availability: Availability;
  /** Set when the account's "is anyone online" answer flipped with this change. */
  teamOnline?: boolean;
}

export class Presence {
  private readonly agents = new Map<string, AgentPresence>();
  private readonly onlineByAccount = new Map<string, Set<string>>();

  availability(agentId: string): Availability {
    const agent = this.agents.get(agentId);
    if (!agent || agent.connections === 0) return 'offline';
    return agent.chosen;
  }

  onlineAgents(accountId: string): string[] {
    return [...(this.onlineByAccount.get(accountId) ?? [])];
  }

  teamOnline(accountId: string): boolean {
    return (this.onlineByAccount.get(accountId)?.size ?? 0) > 0;
  }

  connect(agentId: string, accountId: string): PresenceChange | null {
    let agent = this.agents.get(agentId);
    if (!agent) {
      agent = { accountId, connections: 0, chosen: 'online' };
      this.agents.set(agentId, agent);
    }
    return this.update(agentId, agent, () => { agent.connections += 1; });
  }

  disconnect(agentId: string): PresenceChange | null {
    const agent = this.agents.get(agentId);
    if (!agent || agent.connections === 0) return null;
    return this.update(agentId, agent, () => { agent.connections -= 1; });
  }

  choose(agentId: string, chosen: 'online' | 'away'): PresenceChange | null {
    const agent = this.agents.get(agentId);
    if (!agent) return null;
    return this.update(agentId, agent, () => { agent.chosen = chosen; });
  }

  private update(agentId: string, agent: AgentPresence, mutate: () => void): PresenceChange | null {
    const before = this.availability(agentId);
    const teamBefore = this.teamOnline(agent.accountId);
    mutate();
    const after = this.availability(agentId);
    if (before === after) return null;
    let online = this.onlineByAccount.get(agent.accountId);
    if (!online) {
      online = new Set();
      this.onlineByAccount.set(agent.accountId, online);
    }
    if (after === 'online') online.add(agentId);
    else online.delete(agentId);
    const teamAfter = online.size > 0;
    return {
      agentId,
      accountId: agent.accountId,
      availability: after,
      ...(teamAfter !== teamBefore ? { teamOnline: teamAfter } : {}),
    };
  }
}
