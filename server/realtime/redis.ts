// The broker for several nodes: Redis pub/sub (REDIS_URL). Each node subscribes to the channels its
// own sockets need, so a frame published on any node reaches them.
//
// Pub/sub keeps nothing: a frame published while Redis, or the way to it, is down is gone. Messages
// are safe in PostgreSQL, so what is lost is only the live copy, and clients get it back with a
// sync. The broker finds out when that may have happened: every second it sends itself a probe
// through Redis, and a probe that does not come back within two seconds (or a connection that
// drops) marks the bus faulty. When a probe comes back again, the node tells every node, itself
// included, through the `cluster` channel; each then tells its clients to catch up (Hub → `resync`).
// A node cut off alone missed frames from others, and others missed its own: both sides catch up.
// So a live frame is late by at most the outage, plus reconnecting (≤ 0.5 s), plus noticing the
// recovery (one probe interval), plus a sync round trip.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Broker, BrokerHandler } from './broker.ts';

/** Every node listens here: a node whose bus recovered asks all of them to have their clients catch up. */
const CLUSTER_CHANNEL = '!cluster';
const RESYNC = 'resync';

export interface BusHealth {
  /** The bus stopped carrying this node's frames (a probe went missing, a connection dropped). */
  onFault?(): void;
  /** It carries them again; `faultyForMs` since the fault was noticed. */
  onRecovered?(faultyForMs: number): void;
}

export class RedisBroker implements Broker {
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private handler: BrokerHandler = () => {};
  private readonly resyncHandlers: (() => void)[] = [];
  private readonly nodeChannel = `!node:${randomBytes(8).toString('hex')}`;
  private readonly probeTimer: NodeJS.Timeout;
  private probeSent = 0;
  private probeHeard = 0;
  private lastHeardAt = Date.now();
  private faultySince: number | null = null;
  /** Closing: what fails now is the shutdown, not the bus. */
  private closing = false;
  private readonly ready: Promise<unknown>;

  constructor(
    url: string,
    private readonly prefix = 'parley:',
    private readonly options: { probeMs?: number; health?: BusHealth } = {},
  ) {
    // No offline queue for publishes: while Redis is away a frame fails at once (and clients catch up
    // after) instead of piling up in memory to arrive late and all at once.
    // Reconnect attempts at most half a second apart (ioredis's default grows to 2 s): how soon after
    // Redis returns the bus is back, and clients catch up, is bounded by this plus one probe.
    const retryStrategy = (attempt: number) => Math.min(attempt * 50, 500);
    this.publisher = new Redis(url, { lazyConnect: false, enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy });
    this.subscriber = new Redis(url, { lazyConnect: false, retryStrategy });
    this.subscriber.on('message', (channel: string, payload: string) => this.receive(channel.slice(this.prefix.length), payload));
    // ioredis reconnects by itself and resubscribes; errors are reported, never thrown at callers.
    this.publisher.on('error', () => {});
    this.subscriber.on('error', () => {});
    // A dropped subscriber connection missed whatever was published until it is back.
    this.subscriber.on('close', () => this.fault());
    this.ready = this.subscriber.subscribe(this.prefix + this.nodeChannel, this.prefix + CLUSTER_CHANNEL).catch(() => {});
    const probeMs = options.probeMs ?? 1000;
    this.probeTimer = setInterval(() => this.probe(probeMs), probeMs);
    this.probeTimer.unref();
  }

  publish(channel: string, payload: string): void {
    this.publisher.publish(this.prefix + channel, payload).catch(() => this.fault());
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
  onResync(handler: () => void): void {
    this.resyncHandlers.push(handler);
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
    this.closing = true;
    clearInterval(this.probeTimer);
    await this.ready;
    await Promise.allSettled([this.publisher.quit(), this.subscriber.quit()]);
  }

  private receive(channel: string, payload: string): void {
    if (channel === this.nodeChannel) {
      this.probeHeard = Math.max(this.probeHeard, Number(payload));
      this.lastHeardAt = Date.now();
      if (this.faultySince !== null) this.recovered();
      return;
    }
    if (channel === CLUSTER_CHANNEL) {
      if (payload === RESYNC) for (const handler of this.resyncHandlers) handler();
      return;
    }
    this.handler(channel, payload);
  }

  /** Sends the next probe; the last one not back after two intervals means frames may be going missing. */
  private probe(probeMs: number): void {
    if (this.probeHeard < this.probeSent && Date.now() - this.lastHeardAt > 2 * probeMs) this.fault();
    this.probeSent += 1;
    this.publish(this.nodeChannel, String(this.probeSent));
  }

  /** False from a noticed fault until probes come back (/metrics: parley_bus_up). */
  get carrying(): boolean {
    return this.faultySince === null;
  }

  private fault(): void {
    if (this.faultySince !== null || this.closing) return;
    this.faultySince = Date.now();
    this.options.health?.onFault?.();
  }

  private recovered(): void {
    const faultyForMs = Date.now() - this.faultySince!;
    this.faultySince = null;
    this.options.health?.onRecovered?.(faultyForMs);
    // Every node, this one included, hears it and has its clients catch up.
    this.publish(CLUSTER_CHANNEL, RESYNC);
  }
}
