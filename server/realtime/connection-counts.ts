// How many WebSocket connections this node holds, by who is on them. Kept as counters moved at the
// three points of a connection's life (opened, identified, closed) rather than counted at scrape
// time, so reading them costs nothing however many sockets are open.

import type { ConnectionRole } from '../services/metrics.ts';

export class ConnectionCounts {
  private readonly counts: Record<ConnectionRole, number> = { unauthenticated: 0, visitor: 0, agent: 0 };

  /** A socket was accepted; nobody is known on it yet. */
  opened(): void {
    this.counts.unauthenticated += 1;
  }

  /** The socket's token named a visitor or an agent. */
  identified(role: 'visitor' | 'agent'): void {
    this.counts.unauthenticated -= 1;
    this.counts[role] += 1;
  }

  /** Call once per socket, with the role it had when it closed. */
  closed(role: ConnectionRole): void {
    this.counts[role] -= 1;
  }

  get(role: ConnectionRole): number {
    return this.counts[role];
  }
}
