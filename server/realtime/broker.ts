// The bus between server nodes. One node: the in-memory broker. Several nodes behind a load balancer:
// the Redis broker (REDIS_URL), so a message committed on one node reaches sockets held by another.
// Payloads are already-serialised frames: serialised once, sent as-is to every socket.

export type BrokerHandler = (channel: string, payload: string) => void;

export interface Broker {
  publish(channel: string, payload: string): void;
  /** Start receiving a channel; resolves once the subscription is active, so nothing is missed after. */
  subscribe(channel: string): Promise<void>;
  unsubscribe(channel: string): void;
  /** The one handler that receives every payload of every subscribed channel. */
  onMessage(handler: BrokerHandler): void;
  close(): Promise<void>;
  /** Brokers with a backend elsewhere (Redis) resolve when it answers; for /readyz. */
  ping?(): Promise<void>;
  /**
   * Brokers that can drop frames (Redis while it is unreachable) call this when frames may have
   * been lost and the bus works again: clients should catch up (redis.ts).
   */
  onResync?(handler: () => void): void;
}

export class MemoryBroker implements Broker {
  private readonly channels = new Set<string>();
  private handler: BrokerHandler = () => {};

  publish(channel: string, payload: string): void {
    if (this.channels.has(channel)) this.handler(channel, payload);
  }
  async subscribe(channel: string): Promise<void> {
    this.channels.add(channel);
  }
  unsubscribe(channel: string): void {
    this.channels.delete(channel);
  }
  onMessage(handler: BrokerHandler): void {
    this.handler = handler;
  }
  async close(): Promise<void> {
    this.channels.clear();
  }
}
