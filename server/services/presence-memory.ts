// Presence held in this process: right for one node. With several nodes each one would only know the
// agents whose consoles it holds; that needs a shared implementation of Presence (presence.ts).
import type { Availability } from '../../protocol/index.ts';
import type { Presence, PresenceChange } from './presence.ts';

interface AgentPresence {
  accountId: string;
  connections: Set<string>;
  chosen: 'online' | 'away';
}

export class MemoryPresence implements Presence {
  private readonly agents = new Map<string, AgentPresence>();
  private readonly onlineByAccount = new Map<string, Set<string>>();

  async availability(agentId: string): Promise<Availability> {
    return this.availabilityNow(agentId);
  }

  async availabilities(agentIds: readonly string[]): Promise<Availability[]> {
    return agentIds.map((agentId) => this.availabilityNow(agentId));
  }

  async onlineAgents(accountId: string): Promise<string[]> {
    return [...(this.onlineByAccount.get(accountId) ?? [])];
  }

  async teamOnline(accountId: string): Promise<boolean> {
    return this.teamOnlineNow(accountId);
  }

  async connect(agentId: string, accountId: string, connectionId: string): Promise<PresenceChange | null> {
    let agent = this.agents.get(agentId);
    if (!agent) {
      agent = { accountId, connections: new Set(), chosen: 'online' };
      this.agents.set(agentId, agent);
    }
    const known = agent;
    return this.update(agentId, known, () => known.connections.add(connectionId));
  }

  async disconnect(agentId: string, connectionId: string): Promise<PresenceChange | null> {
    const agent = this.agents.get(agentId);
    if (!agent?.connections.has(connectionId)) return null;
    return this.update(agentId, agent, () => agent.connections.delete(connectionId));
  }

  async choose(agentId: string, chosen: 'online' | 'away'): Promise<PresenceChange | null> {
    const agent = this.agents.get(agentId);
    if (!agent) return null;
    return this.update(agentId, agent, () => { agent.chosen = chosen; });
  }

  /** Nothing here changes unasked: connections end only when their node says so. */
  onChange(): void {}

  async close(): Promise<void> {
    this.agents.clear();
    this.onlineByAccount.clear();
  }

  private availabilityNow(agentId: string): Availability {
    const agent = this.agents.get(agentId);
    if (!agent || agent.connections.size === 0) return 'offline';
    return agent.chosen;
  }

  private teamOnlineNow(accountId: string): boolean {
    return (this.onlineByAccount.get(accountId)?.size ?? 0) > 0;
  }

  private update(agentId: string, agent: AgentPresence, mutate: () => void): PresenceChange | null {
    const before = this.availabilityNow(agentId);
    const teamBefore = this.teamOnlineNow(agent.accountId);
    mutate();
    const after = this.availabilityNow(agentId);
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
