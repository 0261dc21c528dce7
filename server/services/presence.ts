// Who is online: which agents have a console open, and with which availability. An interface with
// one implementation per backend, like the broker: presence-memory.ts holds it in this process (one
// node); a shared store (Redis) lets several nodes agree. Every method returns a Promise because a
// shared backend answers over the network (centrifuge's presence.go + presence_memory.go).
//
// An agent is online or away by choice while at least one of their console connections is open,
// and offline once the last one closes; the choice survives reconnects. Connections are named, not
// counted, so a shared backend can expire the entries of a node that died instead of keeping its
// agents online forever: each node refreshes the entries of the connections it added, and an entry
// not refreshed in time is gone.
import type { Availability } from '../../protocol/index.ts';

/** What one call changed, as colleagues and visitors see it; null when they see no difference. */
export interface PresenceChange {
  agentId: string;
  accountId: string;
  availability: Availability;
  /** Set when the account's "is anyone online" answer flipped with this change. */
  teamOnline?: boolean;
}

/** Told of changes nobody asked for: a dead node's connections expiring, a node's writes after Redis returned. */
export type PresenceListener = (change: PresenceChange) => void;

export interface Presence {
  /** A console connection of the agent opened. `connectionId` is unique across nodes. */
  connect(agentId: string, accountId: string, connectionId: string): Promise<PresenceChange | null>;
  /** That connection closed; unknown connections change nothing. */
  disconnect(agentId: string, connectionId: string): Promise<PresenceChange | null>;
  /** The agent picks online or away; an agent with no connection is not known and changes nothing. */
  choose(agentId: string, chosen: 'online' | 'away'): Promise<PresenceChange | null>;
  availability(agentId: string): Promise<Availability>;
  /** The availability of each agent, in the order given: one round trip for a whole team. */
  availabilities(agentIds: readonly string[]): Promise<Availability[]>;
  /** The agents of the account who are online (not away), in no particular order. */
  onlineAgents(accountId: string): Promise<string[]>;
  teamOnline(accountId: string): Promise<boolean>;
  /** Changes that no call returned (presence-redis.ts); presence held in one process has none. */
  onChange(listener: PresenceListener): void;
  close(): Promise<void>;
}
