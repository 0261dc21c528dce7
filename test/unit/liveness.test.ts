import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEAD_AFTER_IDLE_MS, PING_AFTER_IDLE_MS } from '../../protocol/index.ts';
import { watchLiveness } from '../../client/liveness.ts';

describe('client liveness watch', () => {
  beforeEach(() => { vi.useFakeTimers(); });
  afterEach(() => { vi.useRealTimers(); });

  it('pings a quiet server and declares a silent one dead', () => {
    const ping = vi.fn();
    const dead = vi.fn();
    watchLiveness(ping, dead);
    vi.advanceTimersByTime(PING_AFTER_IDLE_MS - 1);
    expect(ping).not.toHaveBeenCalled();
    vi.advanceTimersByTime(PING_AFTER_IDLE_MS / 3 + 1);
    expect(ping).toHaveBeenCalled();
    vi.advanceTimersByTime(DEAD_AFTER_IDLE_MS);
    expect(dead).toHaveBeenCalledTimes(1);
  });

  it('stays alive while frames keep arriving', () => {
    const dead = vi.fn();
    const watch = watchLiveness(() => {}, dead);
    for (let t = 0; t < 3 * DEAD_AFTER_IDLE_MS; t += 5_000) {
      vi.advanceTimersByTime(5_000);
      watch.heard();
    }
    expect(dead).not.toHaveBeenCalled();
    watch.stop();
  });
});
