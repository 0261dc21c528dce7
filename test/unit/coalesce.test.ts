import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { coalesceWrites } from '../../server/realtime/coalesce.ts';

/** Stands in for a ws WebSocket: only the TCP socket underneath matters here. */
function fakeSocket() {
  const calls: string[] = [];
  const tcp = { cork: () => calls.push('cork'), uncork: () => calls.push('uncork') };
  return { ws: { _socket: tcp } as unknown as WebSocket, calls };
}

const nextCheckPhase = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('coalesceWrites', () => {
  it('corks a socket once per turn of the event loop and uncorks it after the turn', async () => {
    const a = fakeSocket();
    const b = fakeSocket();
    coalesceWrites(a.ws);
    coalesceWrites(a.ws);
    coalesceWrites(b.ws);
    expect(a.calls).toEqual(['cork']);
    expect(b.calls).toEqual(['cork']);
    await nextCheckPhase();
    expect(a.calls).toEqual(['cork', 'uncork']);
    expect(b.calls).toEqual(['cork', 'uncork']);

    // The next turn corks afresh.
    coalesceWrites(a.ws);
    await nextCheckPhase();
    expect(a.calls).toEqual(['cork', 'uncork', 'cork', 'uncork']);
  });

  it('leaves a socket without a TCP socket underneath alone', async () => {
    expect(() => coalesceWrites({} as WebSocket)).not.toThrow();
    const a = fakeSocket();
    coalesceWrites(a.ws);
    await nextCheckPhase();
    expect(a.calls).toEqual(['cork', 'uncork']);
  });
});
