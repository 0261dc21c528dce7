import { describe, expect, it } from 'vitest';
import { DomainEvents, type DomainEventType } from '../../server/services/events.ts';

const typing = { accountId: 'acc', siteId: 's', visitorId: 'v', conversationId: 'c', author: { kind: 'visitor' as const, id: 'v', name: null }, typing: true };

function recorder() {
  const errors: [unknown, DomainEventType][] = [];
  return { events: new DomainEvents((error, type) => errors.push([error, type])), errors };
}

describe('domain events', () => {
  it('hands the same event object to every listener of its type, in subscription order, before emit returns', () => {
    const { events } = recorder();
    const seen: string[] = [];
    let received: unknown;
    events.on('typing', (event) => { seen.push('first'); received = event; });
    events.on('typing', () => { seen.push('second'); });
    events.on('team.online', () => { seen.push('other type'); });
    events.emit('typing', typing);
    expect(seen).toEqual(['first', 'second']);
    expect(received).toBe(typing);
  });

  it('reports a listener that throws or rejects and still runs the others', async () => {
    const { events, errors } = recorder();
    const thrown = new Error('sync');
    const rejected = new Error('async');
    let reached = false;
    events.on('typing', () => { throw thrown; });
    events.on('typing', async () => { throw rejected; });
    events.on('typing', () => { reached = true; });
    expect(() => events.emit('typing', typing)).not.toThrow();
    expect(reached).toBe(true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors).toEqual([[thrown, 'typing'], [rejected, 'typing']]);
  });

  it('stops calling a listener once unsubscribed, even from inside an emit', () => {
    const { events } = recorder();
    const seen: string[] = [];
    const offFirst = events.on('typing', () => { seen.push('first'); offFirst(); });
    events.on('typing', () => { seen.push('second'); });
    events.emit('typing', typing);
    events.emit('typing', typing);
    // The emit in progress keeps its listeners; the next one has one fewer.
    expect(seen).toEqual(['first', 'second', 'second']);
  });

  it('emits to nobody without complaint', () => {
    const { events, errors } = recorder();
    events.emit('team.online', { accountId: 'acc', online: true });
    expect(errors).toEqual([]);
  });
});
