// The sockets this node holds, grouped by channel. Services publish frames to channels; the hub
// serialises each frame once and hands it to the broker, which brings it back to every node (this
// one included) that has subscribers on the channel.
import type { ErrorCode, ServerFrame } from '../../protocol/index.ts';
import type { Broker } from './broker.ts';

export interface Subscriber {
  send(payload: string): void;
  /** Told, from whichever node asked, to end the connection with this code's close code. */
  disconnect?(code: ErrorCode): void;
  /** Frames published to it may have been lost on the bus: have the client catch up. */
  resync?(): void;
}

export interface Publisher {
  publish(channels: readonly string[], frame: ServerFrame): void;
}

export interface Disconnector {
  /** Closes every connection subscribed to the channel, on every node. */
  disconnect(channel: string, code: ErrorCode): void;
}

/** Channel names, in one place. */
export const channels = {
  /** Every agent connection of an account: conversations, messages, visitor typing, presence. */
  account: (accountId: string) => `account:${accountId}`,
  /** Every tab of one visitor: their messages, agent typing. */
  visitor: (visitorId: string) => `visitor:${visitorId}`,
  /** Every visitor of an account's sites: whether the team is online. */
  team: (accountId: string) => `team:${accountId}`,
  /** One agent's connections: only to close them (deactivation, a changed password), never frames. */
  agent: (agentId: string) => `agent:${agentId}`,
};

/**
 * Control payloads ride the broker beside frames, so they reach every node the same way. A frame
 * is a JSON object and starts with `{`; a control payload starts with this and never reaches a socket.
 */
const DISCONNECT = '!disconnect:';

interface LocalChannel {
  subscribers: Set<Subscriber>;
  /** Settles when the broker confirms the subscription. */
  active: Promise<void>;
}

export class Hub implements Publisher, Disconnector {
  private readonly local = new Map<string, LocalChannel>();

  constructor(private readonly broker: Broker) {
    broker.onMessage((channel, payload) => {
      const local = this.local.get(channel);
      if (!local) return;
      if (payload.startsWith(DISCONNECT)) {
        const code = payload.slice(DISCONNECT.length) as ErrorCode;
        // A copy: a subscriber that disconnects leaves the set while it is being walked.
        for (const subscriber of [...local.subscribers]) subscriber.disconnect?.(code);
        return;
      }
      for (const subscriber of local.subscribers) subscriber.send(payload);
    });
    broker.onResync?.(() => this.resyncAll());
  }

  /** Each connection of this node once, whatever number of channels it is on. */
  private resyncAll(): void {
    const everyone = new Set<Subscriber>();
    for (const { subscribers } of this.local.values()) for (const subscriber of subscribers) everyone.add(subscriber);
    for (const subscriber of everyone) subscriber.resync?.();
  }

  disconnect(channel: string, code: ErrorCode): void {
    this.broker.publish(channel, DISCONNECT + code);
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
