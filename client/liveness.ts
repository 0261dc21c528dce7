import { DEAD_AFTER_IDLE_MS, PING_AFTER_IDLE_MS } from '../protocol/index.ts';
import { systemClock, type Clock } from './environment.ts';

export interface Liveness {
  /** Call on every frame received. */
  heard(): void;
  stop(): void;
}

/**
 * Watches a connection for a silent server: browsers cannot see WebSocket pings, and a half-open
 * TCP connection can look open for minutes. `ping` is asked for after PING_AFTER_IDLE_MS without a
 * frame, `dead` is called once after DEAD_AFTER_IDLE_MS.
 */
export function watchLiveness(ping: () => void, dead: () => void, clock: Clock = systemClock): Liveness {
  let lastHeard = clock.now();
  let timer: unknown;
  const check = () => {
    const idle = clock.now() - lastHeard;
    if (idle >= DEAD_AFTER_IDLE_MS) return dead();
    if (idle >= PING_AFTER_IDLE_MS) ping();
    timer = clock.setTimeout(check, PING_AFTER_IDLE_MS / 3);
  };
  timer = clock.setTimeout(check, PING_AFTER_IDLE_MS / 3);
  return {
    heard: () => { lastHeard = clock.now(); },
    stop: () => clock.clearTimeout(timer),
  };
}
