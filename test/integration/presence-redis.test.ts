// Presence shared through Redis, across nodes that die or lose Redis: a node that stops refreshing
// loses its agents within the TTL; when it comes back it writes them back; a console closed while
// Redis was away is swept later, and announced. Node A reaches Redis through a proxy the test cuts.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { PresenceChange } from '../../server/services/presence.ts';
import { RedisPresence } from '../../server/services/presence-redis.ts';
import { TcpProxy, hostPortOf } from '../tcp-proxy.ts';
import { useRedis } from '../helpers.ts';

const TTL_MS = 900;

async function until<T>(read: () => Promise<T> | T, accept: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`still ${JSON.stringify(value)} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

if (!useRedis) console.log('presence-redis: skipped here, it needs Redis (REDIS_URL): the postgres+redis project runs it');

describe.runIf(useRedis)('presence in Redis, across nodes', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function cluster() {
    const proxy = await TcpProxy.start(hostPortOf(process.env.REDIS_URL!));
    const prefix = `parley-test-${randomBytes(4).toString('hex')}:`;
    const a = new RedisPresence(`redis://127.0.0.1:${proxy.port}`, { prefix, ttlMs: TTL_MS });
    const b = new RedisPresence(process.env.REDIS_URL!, { prefix, ttlMs: TTL_MS });
    const heard = { a: [] as PresenceChange[], b: [] as PresenceChange[] };
    a.onChange((change) => heard.a.push(change));
    b.onChange((change) => heard.b.push(change));
    cleanup.push(() => proxy.close(), () => a.close(), () => b.close());
    return { a, b, proxy, heard };
  }

  it('takes a silent node\'s agents offline within the TTL, and back online when it returns', async () => {
    const { a, b, proxy, heard } = await cluster();
    expect(await a.connect('agent-1', 'acc', 'conn-1')).toEqual({ agentId: 'agent-1', accountId: 'acc', availability: 'online', teamOnline: true });
    expect(await b.availability('agent-1')).toBe('online');
    expect(await b.onlineAgents('acc')).toEqual(['agent-1']);

    const cutAt = Date.now();
    proxy.cut();
    // Node B's sweep removes the entry A can no longer refresh, and B announces it.
    await until(() => heard.b, (changes) => changes.length > 0);
    const offlineAfterMs = Date.now() - cutAt;
    expect(heard.b).toEqual([{ agentId: 'agent-1', accountId: 'acc', availability: 'offline', teamOnline: false }]);
    // The bound: the TTL, plus one tick of the sweeping node, plus scheduling slack.
    expect(offlineAfterMs).toBeLessThan(TTL_MS + TTL_MS / 3 + 1500);
    console.log(`presence: a node cut from Redis lost its agent after ${offlineAfterMs} ms (TTL ${TTL_MS} ms)`);
    expect(await b.availability('agent-1')).toBe('offline');
    // Meanwhile node A keeps answering from the consoles it holds.
    expect(await a.availability('agent-1')).toBe('online');
    expect(await a.teamOnline('acc')).toBe(true);

    proxy.restore();
    // A's next tick writes its connection back and announces the agent online again.
    await until(() => heard.a, (changes) => changes.some((change) => change.availability === 'online'));
    expect(heard.a).toEqual([{ agentId: 'agent-1', accountId: 'acc', availability: 'online', teamOnline: true }]);
    expect(await until(() => b.availability('agent-1'), (value) => value === 'online')).toBe('online');
  });

  it('sweeps, and announces, a console that closed while its node could not reach Redis', async () => {
    const { a, b, proxy, heard } = await cluster();
    await a.connect('agent-2', 'acc', 'conn-2');
    await a.choose('agent-2', 'away');
    proxy.cut();
    await until(() => a.availability('agent-2'), (value) => value === 'away'); // answered locally
    expect(await a.disconnect('agent-2', 'conn-2')).toBeNull(); // Redis did not hear it…
    proxy.restore();
    // …so the entry expires, and one node's sweep announces the agent offline.
    await until(() => [...heard.a, ...heard.b], (changes) => changes.length > 0);
    expect([...heard.a, ...heard.b]).toEqual([{ agentId: 'agent-2', accountId: 'acc', availability: 'offline' }]);
    expect(await b.availability('agent-2')).toBe('offline');
  });

  it('keeps a choice made while Redis was away, and sends it when Redis returns', async () => {
    const { a, b, proxy } = await cluster();
    await a.connect('agent-3', 'acc', 'conn-3');
    proxy.cut();
    await until(() => b.availability('agent-3'), (value) => value === 'offline');
    expect(await a.choose('agent-3', 'away')).toBeNull();
    expect(await a.availability('agent-3')).toBe('away');
    proxy.restore();
    expect(await until(() => b.availability('agent-3'), (value) => value !== 'offline')).toBe('away');
  });
});
