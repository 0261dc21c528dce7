// Agents coming and going: updates presence, announces what colleagues and visitors see change, and
// hands waiting conversations to an agent who just came online.
import type { Presence, PresenceChange } from './presence.ts';
import type { Routing } from './routing.ts';
import type { DomainEvents } from './events.ts';

export class Availability {
  constructor(
    private readonly presence: Presence,
    private readonly routing: Routing,
    private readonly events: DomainEvents,
    private readonly onError: (error: unknown) => void,
  ) {
    // A dead node's agents expiring, or this node's written back after Redis returned: the same
    // announcements as a console closing or opening.
    presence.onChange((change) => void this.apply(change).catch(onError));
  }

  /** A console connection opened; `connectionId` names it until disconnected(). */
  async connected(agentId: string, accountId: string, connectionId: string): Promise<void> {
    return this.apply(await this.presence.connect(agentId, accountId, connectionId));
  }

  async disconnected(agentId: string, connectionId: string): Promise<void> {
    return this.apply(await this.presence.disconnect(agentId, connectionId));
  }

  async choose(agentId: string, availability: 'online' | 'away'): Promise<void> {
    return this.apply(await this.presence.choose(agentId, availability));
  }

  private async apply(change: PresenceChange | null): Promise<void> {
    if (!change) return;
    const { accountId, agentId, availability } = change;
    this.events.emit('agent.availability', { accountId, agentId, availability });
    if (change.teamOnline !== undefined) this.events.emit('team.online', { accountId, online: change.teamOnline });
    if (availability === 'online') {
      // Routing failures must not fail the agent's connection; they are logged and retried next time.
      await this.routing.assignWaiting(accountId).catch(this.onError);
    }
  }
}
