import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AckFrame, AgentView, ClientFrame, ErrorFrame, MessageView, SendFrame } from '../../protocol/index.ts';
import { memoryStorage, type ClientStorage } from '../../client/environment.ts';
import { ACK_TIMEOUT_MS, Outbox, type OutboxItem } from '../../client/outbox.ts';

/** Stands in for the Connection: ready or not, and every frame it was asked to send. */
class FakeTransport {
  ready = true;
  readonly sent: ClientFrame[] = [];
  send(frame: ClientFrame): boolean {
    if (!this.ready) return false;
    this.sent.push(frame);
    return true;
  }
  bodies(): string[] {
    return this.sent.flatMap((frame) => (frame.type === 'message.send' ? [frame.body] : []));
  }
  last(): SendFrame {
    const frame = this.sent[this.sent.length - 1];
    if (frame?.type !== 'message.send') throw new Error('nothing sent');
    return frame;
  }
}

let ids = 0;
const openOutbox = (transport: FakeTransport, storage: ClientStorage, options: { persistFailed?: boolean } = {}) =>
  new Outbox({ storage, key: 'outbox', transport, newClientId: () => `id-${++ids}`, ...options });

const ack = (clientId: string, seq: number): AckFrame =>
  ({ type: 'ack', clientId, conversationId: 'conv', messageId: `m${seq}`, seq, createdAt: '2025-01-01T00:00:00.000Z' });
const error = (clientId: string, code: ErrorFrame['code'], retryAfterMs?: number): ErrorFrame =>
  ({ type: 'error', code, message: `${code} happened`, clientId, ...(retryAfterMs ? { retryAfterMs } : {}) });
const storedCopy = (clientId: string, seq: number): MessageView => ({
  id: `m${seq}`, conversationId: 'conv', seq, clientId, authorKind: 'agent', authorId: 'a', authorName: 'Ann',
  body: 'one', createdAt: '2025-01-01T00:00:00.000Z',
});
const agent: AgentView = { id: 'a', name: 'Ann', email: 'ann@example.com', role: 'agent', availability: 'online' };
const stored = (storage: ClientStorage) => ((storage.get('outbox') ?? []) as OutboxItem[]).map((item) => item.body);

describe('Outbox', () => {
  let transport: FakeTransport;
  let storage: ClientStorage;

  beforeEach(() => {
    vi.useFakeTimers();
    transport = new FakeTransport();
    storage = memoryStorage();
  });
  afterEach(() => { vi.useRealTimers(); });

  it('sends one message at a time, in the order written', () => {
    const outbox = openOutbox(transport, storage);
    const first = outbox.add('one');
    outbox.add('two');
    outbox.add('three');
    expect(transport.bodies()).toEqual(['one']);
    outbox.receive(ack(first.clientId, 1));
    expect(transport.bodies()).toEqual(['one', 'two']);
    outbox.receive(ack(transport.last().clientId, 2));
    outbox.receive(ack(transport.last().clientId, 3));
    expect(transport.bodies()).toEqual(['one', 'two', 'three']);
    expect(outbox.items).toEqual([]);
    expect(storage.get('outbox')).toBeNull();
  });

  it('holds the head of the line after a temporary error and sends it again, first, after retryAfterMs', () => {
    const outbox = openOutbox(transport, storage);
    const first = outbox.add('one');
    outbox.add('two');
    outbox.receive(error(first.clientId, 'RATE_LIMITED', 700));
    vi.advanceTimersByTime(699);
    expect(transport.bodies()).toEqual(['one']);
    vi.advanceTimersByTime(1);
    expect(transport.bodies()).toEqual(['one', 'one']);
    expect(transport.last().clientId).toBe(first.clientId);
    expect(outbox.items.map((item) => item.state)).toEqual(['pending', 'pending']);
  });

  it('gives up on a message refused for good, with the reason, and moves on to the next', () => {
    const onChange = vi.fn();
    const outbox = new Outbox({ storage, key: 'outbox', transport, onChange });
    const first = outbox.add('too rude');
    outbox.add('two');
    outbox.receive(error(first.clientId, 'MESSAGE_INVALID'));
    expect(outbox.items[0]).toMatchObject({ clientId: first.clientId, state: 'failed', error: 'MESSAGE_INVALID happened' });
    expect(transport.bodies()).toEqual(['too rude', 'two']);
    expect(onChange).toHaveBeenLastCalledWith(outbox.items);
    expect((storage.get('outbox') as OutboxItem[])[0]?.state).toBe('failed');
  });

  it('sends a refused message again on retry with the same clientId, and forgets one on discard', () => {
    const outbox = openOutbox(transport, storage, { persistFailed: false });
    const refused = outbox.add('one');
    outbox.receive(error(refused.clientId, 'FORBIDDEN'));
    expect(stored(storage)).toEqual([]);
    outbox.retry(refused.clientId);
    expect(transport.sent).toHaveLength(2);
    expect(transport.last().clientId).toBe(refused.clientId);
    expect(stored(storage)).toEqual(['one']);
    outbox.receive(error(refused.clientId, 'FORBIDDEN'));
    outbox.discard(refused.clientId);
    expect(outbox.items).toEqual([]);
  });

  it('resends what was in flight after every ready, with the same clientId, then the rest in order', () => {
    const outbox = openOutbox(transport, storage);
    const first = outbox.add('one');
    outbox.add('two');
    transport.ready = false;
    outbox.add('three');
    transport.ready = true;
    outbox.receive({ type: 'ready', role: 'agent', agent, agents: [agent] });
    expect(transport.bodies()).toEqual(['one', 'one']);
    expect(transport.last().clientId).toBe(first.clientId);
    outbox.receive(ack(first.clientId, 1));
    expect(transport.bodies()).toEqual(['one', 'one', 'two']);
  });

  it('resends a message whose answer does not come', () => {
    const outbox = openOutbox(transport, storage);
    outbox.add('one');
    vi.advanceTimersByTime(ACK_TIMEOUT_MS - 1);
    expect(transport.bodies()).toEqual(['one']);
    vi.advanceTimersByTime(1);
    expect(transport.bodies()).toEqual(['one', 'one']);
  });

  it('counts a message as delivered when its own copy comes back without the ack', () => {
    const outbox = openOutbox(transport, storage);
    const first = outbox.add('one');
    outbox.add('two');
    outbox.receive({ type: 'message', message: storedCopy(first.clientId, 1) });
    expect(outbox.items.map((item) => item.body)).toEqual(['two']);
    expect(transport.bodies()).toEqual(['one', 'two']);
  });

  it('survives a reload, including items stored before the outbox had states', () => {
    storage.set('outbox', [{ clientId: 'old-1', body: 'from an older widget' }, { clientId: 42 }]);
    const outbox = openOutbox(transport, storage);
    expect(outbox.items).toEqual([{ clientId: 'old-1', body: 'from an older widget', state: 'pending' }]);
    outbox.add('new');
    expect(openOutbox(new FakeTransport(), storage).items.map((item) => item.body)).toEqual(['from an older widget', 'new']);
  });

  it('lets two tabs sharing the storage add and remove their own items without erasing each other\'s', () => {
    const tabA = openOutbox(transport, storage);
    const tabB = openOutbox(new FakeTransport(), storage);
    const fromA = tabA.add('from A');
    const fromB = tabB.add('from B');
    expect(stored(storage)).toEqual(['from A', 'from B']);
    tabA.receive(ack(fromA.clientId, 1));
    expect(stored(storage)).toEqual(['from B']);
    tabB.receive(error(fromB.clientId, 'NOT_FOUND'));
    tabA.add('again from A');
    expect(stored(storage)).toEqual(['from B', 'again from A']);
    expect((storage.get('outbox') as OutboxItem[])[0]?.state).toBe('failed');
  });
});
