// The broker for several nodes: Redis pub/sub (REDIS_URL). Each node subscribes to the channels its
// own sockets need, so a frame published on any node reaches them.
import { Redis } from 'ioredis';
import type { Broker, BrokerHandler } from './broker.ts';

export class RedisBroker implements Broker {
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private handler: BrokerHandler = () => {};

  constructor(url: string, private readonly prefix = 'parley:') {
    this.publisher = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 3 });
    this.subscriber = new Redis(url, { lazyConnect: false });
    this.subscriber.on('message', (channel: string, payload: string) => {
      this.handler(channel.slice(this.prefix.length), payload);
    });
    // ioredis reconnects by itself and resubscribes; errors are reported, never thrown at callers.
    this.publisher.on('error', () => {});
    this.subscriber.on('error', () => {});
  }

  publish(channel: string, payload: string): void {
    this.publisher.publish(this.prefix + channel, payload).catch(() => {});
  }
  async subscribe(channel: string): Promise<void> {
    await this.subscriber.subscribe(this.prefix + channel);
  }
  unsubscribe(channel: string): void {
    this.subscriber.unsubscribe(this.prefix + channel).catch(() => {});
  }
  onMessage(handler: BrokerHandler): void {
    this.handler = handler;
  }
  /**
   * Both connections must be up: without the subscriber this node stops hearing other nodes. One
   * that is reconnecting fails at once, rather than queuing a PING until ioredis gives up.
   */
  async ping(): Promise<void> {
    if (this.publisher.status !== 'ready' || this.subscriber.status !== 'ready') throw new Error('Redis is not connected');
    await this.publisher.ping();
  }
  async close(): Promise<void> {
    await Promise.allSettled([this.publisher.quit(), this.subscriber.quit()]);
  }
}
