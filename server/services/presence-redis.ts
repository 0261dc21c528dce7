// Presence shared by every node through Redis (REDIS_URL): an agent is online while any node holds a
// live console connection of theirs. Each connection is an entry with an expiry; the node holding it
// refreshes it every third of the TTL. A node that dies stops refreshing, and whichever node next
// sweeps finds the entry expired, removes it and announces the agent offline: a dead node's agents
// stop counting within TTL + one tick (15 + 5 s by default).
//
// Every change is one Lua script, so "what was the agent's availability, what is it now, did the
// account's team flip" is answered atomically however many nodes write at once, and each change is
// announced by exactly one node. Times are Redis's own clock (TIME), so nodes' clocks may disagree.
//
// While Redis is unreachable the node keeps serving: it answers from the connections it holds
// itself, and its next tick after Redis returns writes them back (an entry another node swept
// meanwhile is added again, and announced). Commands fail at once instead of queuing, so a missing
// Redis never stalls a console's `ready`.
import { Redis } from 'ioredis';
import type { Availability } from '../../protocol/index.ts';
import type { Presence, PresenceChange, PresenceListener } from './presence.ts';

// Keys, under the prefix: conns:<agent> (set of connection ids), expiry (zset connection → expiry
// ms), conn-agent (hash connection → agent), account-of (hash agent → account), chosen (hash agent →
// online|away, kept across reconnects), avail (hash agent → online|away, only while connected),
// online:<account> (set of the account's agents who are online, not away).
const LIBRARY = `
local P = ARGV[1]
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function availability(agent)
  return redis.call('HGET', P .. 'avail', agent) or 'offline'
end
local function team_online(account)
  return redis.call('SCARD', P .. 'online:' .. account) > 0
end
-- After a change to an agent's connections or choice: store their availability, and return what
-- colleagues and visitors see change ({agent, account, availability, '1'|'0'|''}), or false.
local function settle(agent, account, before, team_before)
  local after = 'offline'
  if redis.call('SCARD', P .. 'conns:' .. agent) > 0 then
    after = redis.call('HGET', P .. 'chosen', agent) or 'online'
  end
  if after == before then return false end
  if after == 'offline' then redis.call('HDEL', P .. 'avail', agent) else redis.call('HSET', P .. 'avail', agent, after) end
  if after == 'online' then redis.call('SADD', P .. 'online:' .. account, agent) else redis.call('SREM', P .. 'online:' .. account, agent) end
  local team_after = team_online(account)
  local flip = ''
  if team_after ~= team_before then flip = team_after and '1' or '0' end
  return { agent, account, after, flip }
end
local function add(agent, account, conn, expires)
  local before = availability(agent)
  local team_before = team_online(account)
  redis.call('HSET', P .. 'account-of', agent, account)
  redis.call('SADD', P .. 'conns:' .. agent, conn)
  redis.call('HSET', P .. 'conn-agent', conn, agent)
  redis.call('ZADD', P .. 'expiry', expires, conn)
  return settle(agent, account, before, team_before)
end
local function remove(conn)
  local agent = redis.call('HGET', P .. 'conn-agent', conn)
  redis.call('ZREM', P .. 'expiry', conn)
  if not agent then return false end
  local account = redis.call('HGET', P .. 'account-of', agent)
  local before = availability(agent)
  local team_before = team_online(account)
  redis.call('SREM', P .. 'conns:' .. agent, conn)
  redis.call('HDEL', P .. 'conn-agent', conn)
  return settle(agent, account, before, team_before)
end
`;

const SCRIPTS = {
  // ARGV: prefix, ttlMs, agent, account, connection
  presenceConnect: `${LIBRARY}
return add(ARGV[3], ARGV[4], ARGV[5], now_ms() + tonumber(ARGV[2]))`,
  // ARGV: prefix, agent, connection
  presenceDisconnect: `${LIBRARY}
if redis.call('HGET', P .. 'conn-agent', ARGV[3]) ~= ARGV[2] then return false end
return remove(ARGV[3])`,
  // ARGV: prefix, agent, online|away
  presenceChoose: `${LIBRARY}
local agent = ARGV[2]
local account = redis.call('HGET', P .. 'account-of', agent)
if not account then return false end
local before = availability(agent)
local team_before = team_online(account)
redis.call('HSET', P .. 'chosen', agent, ARGV[3])
return settle(agent, account, before, team_before)`,
  // One node's tick. ARGV: prefix, ttlMs, sweep limit, choices count, then (agent, choice) pairs
  // made while Redis was away, then (agent, account, connection) for every connection it holds.
  // Refreshes those, then removes entries nobody refreshed in time. Returns the changes, flattened.
  presenceTick: `${LIBRARY}
local now = now_ms()
local expires = now + tonumber(ARGV[2])
local changes = {}
local function note(change)
  if change then for _, v in ipairs(change) do table.insert(changes, v) end end
end
local choices = tonumber(ARGV[4])
local i = 5
for _ = 1, choices do
  local agent, choice = ARGV[i], ARGV[i + 1]
  local account = redis.call('HGET', P .. 'account-of', agent)
  if account then
    local before = availability(agent)
    local team_before = team_online(account)
    redis.call('HSET', P .. 'chosen', agent, choice)
    note(settle(agent, account, before, team_before))
  else
    redis.call('HSET', P .. 'chosen', agent, choice)
  end
  i = i + 2
end
while i + 2 <= #ARGV do
  note(add(ARGV[i], ARGV[i + 1], ARGV[i + 2], expires))
  i = i + 3
end
for _, conn in ipairs(redis.call('ZRANGEBYSCORE', P .. 'expiry', '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))) do
  note(remove(conn))
end
return changes`,
} as const;

type Change = [agentId: string, accountId: string, availability: Availability, teamFlip: '' | '0' | '1'];

interface PresenceCommands {
  presenceConnect(...args: string[]): Promise<Change | null>;
  presenceDisconnect(...args: string[]): Promise<Change | null>;
  presenceChoose(...args: string[]): Promise<Change | null>;
  presenceTick(...args: string[]): Promise<string[]>;
}

interface HeldConnection {
  agentId: string;
  accountId: string;
}

/** Entries swept per tick at most: a dead node's thousands of consoles go over a few ticks. */
const SWEEP_LIMIT = 500;

export class RedisPresence implements Presence {
  private readonly redis: Redis & PresenceCommands;
  /** The console connections this node holds: what each tick refreshes, and the fallback answers. */
  private readonly held = new Map<string, HeldConnection>();
  /** Choices made here: the fallback answers, and those Redis has not heard yet (it was away). */
  private readonly chosen = new Map<string, 'online' | 'away'>();
  private readonly unsentChoices = new Set<string>();
  private readonly listeners: PresenceListener[] = [];
  private readonly timer: NodeJS.Timeout;
  private ticking: Promise<void> | null = null;
  private readonly firstConnection: Promise<void>;
  /** Reported once per outage, not on every failed command. */
  private failing = false;

  /**
   * @param ttlMs how long an entry lives without being refreshed; ticks run every third of it.
   * @param onError told when Redis stops answering (once until a tick succeeds again); each tick tries again.
   */
  constructor(url: string, private readonly options: { prefix?: string; ttlMs: number; onError?: (error: unknown) => void }) {
    this.redis = new Redis(url, {
      // Fail at once while disconnected, and give up on a silent server after a second: presence is
      // asked on every console `ready`, which must not wait for Redis to come back.
      enableOfflineQueue: false,
      commandTimeout: 1000,
      maxRetriesPerRequest: 1,
    }) as Redis & PresenceCommands;
    this.redis.on('error', () => {});
    // Without the offline queue, commands sent before the first connection is up would fail.
    this.firstConnection = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2000);
      this.redis.once('ready', () => { clearTimeout(timer); resolve(); });
    });
    for (const [name, lua] of Object.entries(SCRIPTS)) this.redis.defineCommand(name, { numberOfKeys: 0, lua });
    this.timer = setInterval(() => void this.tick(), Math.max(100, Math.floor(options.ttlMs / 3)));
    this.timer.unref();
  }

  private get prefix(): string {
    return `${this.options.prefix ?? 'parley:'}presence:`;
  }

  onChange(listener: PresenceListener): void {
    this.listeners.push(listener);
  }

  async connect(agentId: string, accountId: string, connectionId: string): Promise<PresenceChange | null> {
    this.held.set(connectionId, { agentId, accountId });
    return (await this.attempt(() => this.redis.presenceConnect(this.prefix, String(this.options.ttlMs), agentId, accountId, connectionId))).change;
  }

  async disconnect(agentId: string, connectionId: string): Promise<PresenceChange | null> {
    if (this.held.get(connectionId)?.agentId === agentId) this.held.delete(connectionId);
    // Not removed now (Redis away): the entry expires, and a sweep announces the agent offline.
    return (await this.attempt(() => this.redis.presenceDisconnect(this.prefix, agentId, connectionId))).change;
  }

  async choose(agentId: string, chosen: 'online' | 'away'): Promise<PresenceChange | null> {
    this.chosen.set(agentId, chosen);
    const { sent, change } = await this.attempt(() => this.redis.presenceChoose(this.prefix, agentId, chosen));
    if (sent) this.unsentChoices.delete(agentId);
    else this.unsentChoices.add(agentId);
    return change;
  }

  async availability(agentId: string): Promise<Availability> {
    try {
      await this.firstConnection;
      return (await this.redis.hget(`${this.prefix}avail`, agentId) as Availability | null) ?? 'offline';
    } catch {
      return this.localAvailability(agentId);
    }
  }

  async availabilities(agentIds: readonly string[]): Promise<Availability[]> {
    if (agentIds.length === 0) return [];
    try {
      await this.firstConnection;
      const values = await this.redis.hmget(`${this.prefix}avail`, ...agentIds);
      return values.map((value) => (value as Availability | null) ?? 'offline');
    } catch {
      return agentIds.map((agentId) => this.localAvailability(agentId));
    }
  }

  async onlineAgents(accountId: string): Promise<string[]> {
    try {
      await this.firstConnection;
      return await this.redis.smembers(`${this.prefix}online:${accountId}`);
    } catch {
      return [...new Set([...this.held.values()]
        .filter((held) => held.accountId === accountId && this.localAvailability(held.agentId) === 'online')
        .map((held) => held.agentId))];
    }
  }

  async teamOnline(accountId: string): Promise<boolean> {
    return (await this.onlineAgents(accountId)).length > 0;
  }

  /** Refreshes this node's entries and sweeps expired ones; changes go to the listeners. Also run by tests. */
  tick(): Promise<void> {
    // One tick at a time: a slow Redis must not pile them up.
    this.ticking ??= this.runTick().finally(() => { this.ticking = null; });
    return this.ticking;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.ticking;
    // This node's consoles are closing with it; their entries go now rather than at expiry.
    const held = [...this.held.entries()];
    this.held.clear();
    for (const [connectionId, { agentId }] of held) {
      const { change } = await this.attempt(() => this.redis.presenceDisconnect(this.prefix, agentId, connectionId));
      if (change) this.announce(change);
    }
    await this.redis.quit().catch(() => {});
  }

  private async runTick(): Promise<void> {
    const choices = [...this.unsentChoices].flatMap((agentId) => [agentId, this.chosen.get(agentId)!]);
    const sentChoices = [...this.unsentChoices];
    const connections = [...this.held.entries()].flatMap(([connectionId, { agentId, accountId }]) => [agentId, accountId, connectionId]);
    let flat: string[];
    try {
      await this.firstConnection;
      flat = await this.redis.presenceTick(this.prefix, String(this.options.ttlMs), String(SWEEP_LIMIT),
        String(choices.length / 2), ...choices, ...connections);
    } catch (error) {
      this.failed(error);
      return;
    }
    this.failing = false;
    for (const agentId of sentChoices) this.unsentChoices.delete(agentId);
    for (let i = 0; i + 4 <= flat.length; i += 4) {
      this.announce(toChange(flat.slice(i, i + 4) as Change));
    }
  }

  private announce(change: PresenceChange): void {
    for (const listener of this.listeners) listener(change);
  }

  /** What Redis changed; `sent: false` when it could not be asked (the next tick catches up). */
  private async attempt(command: () => Promise<Change | null>): Promise<{ sent: boolean; change: PresenceChange | null }> {
    try {
      await this.firstConnection;
      const change = await command();
      return { sent: true, change: change ? toChange(change) : null };
    } catch (error) {
      this.failed(error);
      return { sent: false, change: null };
    }
  }

  /** False while Redis does not answer and this node serves from its own consoles (/metrics). */
  get answering(): boolean {
    return !this.failing;
  }

  private failed(error: unknown): void {
    if (!this.failing) this.options.onError?.(error);
    this.failing = true;
  }

  private localAvailability(agentId: string): Availability {
    for (const held of this.held.values()) {
      if (held.agentId === agentId) return this.chosen.get(agentId) ?? 'online';
    }
    return 'offline';
  }
}

function toChange([agentId, accountId, availability, flip]: Change): PresenceChange {
  return { agentId, accountId, availability, ...(flip ? { teamOnline: flip === '1' } : {}) };
}
