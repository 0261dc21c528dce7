// Agents coming and going: updates presence, tells colleagues and visitors, and hands waiting
// conversations to an agent who just came online.
import type { Presence, PresenceChange } from './presence.ts';
import type { Routing } from './routing.ts';
import { channels, type Publisher } from '../realtime/hub.ts';

export class Availability {
  constructor(
    private readonly presence: Presence,
    private readonly routing: Routing,
    private readonly publisher: Publisher,
    private readonly onError: (error: unknown) => void,
  ) {}

  connected(agentId: string, accountId: string): Promise<void> {
    return this.apply(this.presence.connect(agentId, accountId));
  }

  disconnected(agentId: string): Promise<void> {
    return this.apply(this.presence.disconnect(agentId));
  }

  choose(agentId: string, availability: 'online' | 'away'): Promise<void> {
    return this.apply(this.presence.choose(agentId, availability));
  }

  private async apply(change: PresenceChange | null): Promise<void> {
    if (!change) return;
    this.publisher.publish([channels.account(change.accountId)],
      { type: 'presence', agentId: change.agentId, availability: change.availability });
    if (change.teamOnline !== undefined) {
      this.publisher.publish([channels.team(change.accountId)], { type: 'team', online: change.teamOnline });
    }
    if (change.availability === 'online') {
      // Routing failures must not fail the agent's connection; they are logged and retried next time.
      await this.routing.assignWaiting(change.accountId).catch(this.onError);
    }
  }
}
