// Closing connections through the hub: a control payload rides the broker like a frame, reaches the
// channel's subscribers as a disconnect, and never reaches a socket as text.
import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../protocol/index.ts';
import { MemoryBroker } from '../../server/realtime/broker.ts';
import { Hub, channels, type Subscriber } from '../../server/realtime/hub.ts';

function recorder() {
  const sent: string[] = [];
  const disconnected: ErrorCode[] = [];
  const subscriber: Subscriber = { send: (payload) => sent.push(payload), disconnect: (code) => disconnected.push(code) };
  return { subscriber, sent, disconnected };
}

describe('Hub.disconnect', () => {
  it('tells every subscriber of the channel, and only them, to close', async () => {
    const hub = new Hub(new MemoryBroker());
    const [a, b, other] = [recorder(), recorder(), recorder()];
    await hub.join(channels.agent('a1'), a.subscriber);
    await hub.join(channels.agent('a1'), b.subscriber);
    await hub.join(channels.agent('a2'), other.subscriber);
    hub.disconnect(channels.agent('a1'), 'AUTH_INVALID');
    expect(a.disconnected).toEqual(['AUTH_INVALID']);
    expect(b.disconnected).toEqual(['AUTH_INVALID']);
    expect(other.disconnected).toEqual([]);
    expect([...a.sent, ...b.sent, ...other.sent]).toEqual([]);
  });

  it('reaches every subscriber even when each leaves the channel as it closes', async () => {
    const hub = new Hub(new MemoryBroker());
    const closed: string[] = [];
    const leaving = (name: string): Subscriber => {
      const subscriber: Subscriber = {
        send: () => {},
        disconnect: () => { closed.push(name); hub.leave(channels.agent('a1'), subscriber); },
      };
      return subscriber;
    };
    await hub.join(channels.agent('a1'), leaving('first'));
    await hub.join(channels.agent('a1'), leaving('second'));
    hub.disconnect(channels.agent('a1'), 'AUTH_INVALID');
    expect(closed).toEqual(['first', 'second']);
  });

  it('still delivers frames as they are', async () => {
    const hub = new Hub(new MemoryBroker());
    const { subscriber, sent, disconnected } = recorder();
    await hub.join(channels.account('acc'), subscriber);
    hub.publish([channels.account('acc')], { type: 'pong' });
    expect(sent).toEqual(['{"type":"pong"}']);
    expect(disconnected).toEqual([]);
  });
});
