import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Heartbeat } from '../../server/realtime/heartbeat.ts';

describe('heartbeat', () => {
  beforeEach(() => { vi.useFakeTimers(); });
  afterEach(() => { vi.useRealTimers(); });

  it('pings every connection once per interval, spread over the ticks, and forgets removed ones', () => {
    const heartbeat = new Heartbeat(1000);
    const pings = new Map<number, number>();
    const slices = new Map<number, number>();
    for (let i = 0; i < 200; i++) {
      slices.set(i, heartbeat.add({ heartbeat: () => pings.set(i, (pings.get(i) ?? 0) + 1) }));
    }
    // Spread: 200 connections over ten slices leave none of them empty (a 1 in 10^8 chance otherwise).
    expect(new Set(slices.values()).size).toBe(10);

    vi.advanceTimersByTime(100);
    const firstTick = [...pings.keys()];
    expect(firstTick.length).toBeGreaterThan(0);
    expect(firstTick.length).toBeLessThan(200);

    vi.advanceTimersByTime(900);
    expect([...pings.values()].every((count) => count === 1)).toBe(true);
    expect(pings.size).toBe(200);

    vi.advanceTimersByTime(1000);
    expect([...pings.values()].every((count) => count === 2)).toBe(true);

    heartbeat.stop();
    vi.advanceTimersByTime(5000);
    expect([...pings.values()].every((count) => count === 2)).toBe(true);
  });

  it('stops pinging a connection once removed, even one removed while its slice is pinged', () => {
    const heartbeat = new Heartbeat(1000);
    let pinged = 0;
    const connection = { heartbeat: () => { pinged += 1; heartbeat.remove(connection, slice); } };
    const slice = heartbeat.add(connection);
    vi.advanceTimersByTime(3000);
    expect(pinged).toBe(1);
    heartbeat.stop();
  });
});
