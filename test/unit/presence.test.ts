// Presence as the services rely on it, whatever holds it. Each implementation of the Presence
// interface runs the same cases: a shared (Redis) one joins the list below.
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { Presence } from '../../server/services/presence.ts';
import { MemoryPresence } from '../../server/services/presence-memory.ts';
import { RedisPresence } from '../../server/services/presence-redis.ts';

const opened: Presence[] = [];
afterAll(() => Promise.all(opened.map((presence) => presence.close())));

const implementations: [string, () => Presence][] = [
  ['memory', () => new MemoryPresence()],
];
if (process.env.REDIS_URL) {
  // Each case on its own keys of the machine's Redis.
  implementations.push(['redis', () => {
    const presence = new RedisPresence(process.env.REDIS_URL!, { prefix: `parley-test-${randomBytes(4).toString('hex')}:`, ttlMs: 60_000 });
    opened.push(presence);
    return presence;
  }]);
} else {
  console.log('presence (redis) not run: REDIS_URL is not set');
}

describe.each(implementations)('presence (%s)', (_name, create) => {
  it('is online while a connection is open and offline when the last one closes', async () => {
    const presence = create();
    expect(await presence.connect('a1', 'acc', 'c1')).toEqual({ agentId: 'a1', accountId: 'acc', availability: 'online', teamOnline: true });
    expect(await presence.connect('a1', 'acc', 'c2')).toBeNull();
    expect(await presence.disconnect('a1', 'c1')).toBeNull();
    expect(await presence.availability('a1')).toBe('online');
    expect(await presence.disconnect('a1', 'c2')).toEqual({ agentId: 'a1', accountId: 'acc', availability: 'offline', teamOnline: false });
    expect(await presence.disconnect('a1', 'c2')).toBeNull();
    expect(await presence.availability('a1')).toBe('offline');
  });

  it('counts a connection once however often it is reported, and ignores unknown ones', async () => {
    const presence = create();
    await presence.connect('a1', 'acc', 'c1');
    await presence.connect('a1', 'acc', 'c1');
    expect(await presence.disconnect('a1', 'nope')).toBeNull();
    expect(await presence.disconnect('nobody', 'c1')).toBeNull();
    expect((await presence.disconnect('a1', 'c1'))?.availability).toBe('offline');
  });

  it('keeps an away choice across reconnects and counts only online agents as the team', async () => {
    const presence = create();
    await presence.connect('a1', 'acc', 'c1');
    await presence.connect('a2', 'acc', 'c2');
    expect(await presence.choose('a1', 'away')).toEqual({ agentId: 'a1', accountId: 'acc', availability: 'away' });
    expect(await presence.choose('a1', 'away')).toBeNull();
    expect(await presence.onlineAgents('acc')).toEqual(['a2']);
    expect((await presence.choose('a2', 'away'))?.teamOnline).toBe(false);
    await presence.disconnect('a1', 'c1');
    expect((await presence.connect('a1', 'acc', 'c3'))?.availability).toBe('away');
    expect(await presence.teamOnline('acc')).toBe(false);
    expect(await presence.teamOnline('other')).toBe(false);
    expect(await presence.onlineAgents('other')).toEqual([]);
  });

  it('knows nothing of an agent who never connected', async () => {
    const presence = create();
    expect(await presence.choose('ghost', 'online')).toBeNull();
    expect(await presence.availability('ghost')).toBe('offline');
  });

  it('answers a whole team in the order asked', async () => {
    const presence = create();
    await presence.connect('a1', 'acc', 'c1');
    await presence.connect('a2', 'acc', 'c2');
    await presence.choose('a2', 'away');
    expect(await presence.availabilities(['a2', 'ghost', 'a1'])).toEqual(['away', 'offline', 'online']);
    expect(await presence.availabilities([])).toEqual([]);
  });

  it('keeps accounts apart', async () => {
    const presence = create();
    await presence.connect('a1', 'acc', 'c1');
    expect((await presence.connect('b1', 'other', 'c2'))?.teamOnline).toBe(true);
    expect(await presence.onlineAgents('acc')).toEqual(['a1']);
    expect(await presence.onlineAgents('other')).toEqual(['b1']);
    expect((await presence.disconnect('a1', 'c1'))?.teamOnline).toBe(false);
    expect(await presence.teamOnline('other')).toBe(true);
  });
});
