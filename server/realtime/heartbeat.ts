// One timer pings every connection once per interval, a tenth of them per tick, so 15,000 idle
// sockets never stall the event loop all at once.
const SLICES = 10;

export interface Pingable {
  /** Called once per interval: ping the peer, or drop it if the last ping went unanswered. */
  heartbeat(): void;
}

export class Heartbeat {
  private readonly slices: Set<Pingable>[] = Array.from({ length: SLICES }, () => new Set());
  private tick = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(intervalMs: number) {
    this.timer = setInterval(() => {
      this.tick = (this.tick + 1) % SLICES;
      for (const connection of this.slices[this.tick]!) connection.heartbeat();
    }, intervalMs / SLICES);
    this.timer.unref();
  }

  /** Adds a connection to a random slice; returns the slice, which remove() needs. */
  add(connection: Pingable): number {
    const slice = Math.floor(Math.random() * SLICES);
    this.slices[slice]!.add(connection);
    return slice;
  }

  remove(connection: Pingable, slice: number): void {
    this.slices[slice]?.delete(connection);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
