// The sockets this node holds, grouped by channel. Services publish frames to channels; the hub
// serialises each frame once and hands it to the broker, which brings it back to every node (this
// one included) that has subscribers on the channel.
import type { ServerFrame } from '../../protocol/index.ts';
import type { Broker } from './broker.ts';

export interface Subscriber {
  send(payload: string): void;
}

export interface Publisher {
  publish(channels: readonly string[], frame: ServerFrame): void;
}

/** Channel names, in one place. */
export const channels = {
  /** Every agent connection of an account: conversations, messages, visitor typing, presence. */
  account: (accountId: string) => `account:${accountId}`,
  /** Every tab of one visitor: their messages, agent typing. */
  visitor: (visitorId: string) => `visitor:${visitorId}`,
  /** Every visitor of an account's sites: whether the team is online. */
  team: (accountId: string) => `team:${accountId}`,
};

interface LocalChannel {
  subscribers: Set<Subscriber>;
  /** Settles when the broker confirms the subscription. */
  active: Promise<void>;
}

export class Hub implements Publisher {
  private readonly local = new Map<string, LocalChannel>();

  constructor(private readonly broker: Broker) {
    broker.onMessage((channel, payload) => {
      const local = this.local.get(channel);
      if (local) for (const subscriber of local.subscribers) subscriber.send(payload);
    });
  }

  publish(channelNames: readonly string[], frame: ServerFrame): void {
    const payload = JSON.stringify(frame);
    for (const channel of channelNames) this.broker.publish(channel, payload);
  }

  /** Resolves once frames published anywhere on the channel will reach this subscriber. */
  join(channel: string, subscriber: Subscriber): Promise<void> {
    let local = this.local.get(channel);
    if (!local) {
      local = { subscribers: new Set(), active: this.broker.subscribe(channel) };
      this.local.set(channel, local);
    }
    local.subscribers.add(subscriber);
    return local.active;
  }

  leave(channel: string, subscriber: Subscriber): void {
    const local = this.local.get(channel);
    if (!local) return;
    local.subscribers.delete(subscriber);
    if (local.subscribers.size === 0) {
      this.local.delete(channel);
      this.broker.unsubscribe(channel);
    }
  }
}
