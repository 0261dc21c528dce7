import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MessageView } from '../../protocol/index.ts';
import {
  ConversationLog, contiguousSeq, mergeBySeq, nextPageAfter, type SyncReason,
} from '../../client/conversation-log.ts';

const message = (seq: number, clientId = `c${seq}`): MessageView => ({
  id: `m${seq}`, conversationId: 'conv', seq, clientId, authorKind: 'visitor', authorId: 'v', authorName: null,
  body: `message ${seq}`, createdAt: new Date(seq * 1000).toISOString(),
});
const seqs = (messages: readonly { seq: number }[]) => messages.map((m) => m.seq);

describe('mergeBySeq', () => {
  it('keeps one copy of each seq, in seq order, whatever order pages arrive in', () => {
    const held = [message(1), message(2)];
    const merged = mergeBySeq(held, [message(5), message(2), message(3), message(5), message(4)]);
    expect(seqs(merged)).toEqual([1, 2, 3, 4, 5]);
    expect(merged[1]).toBe(held[1]);
    expect(seqs(held)).toEqual([1, 2]);
  });

  it('returns what was held, unchanged, when nothing is new', () => {
    const held = [message(1), message(2)];
    expect(mergeBySeq(held, [message(2), message(1)])).toBe(held);
  });
});

describe('contiguousSeq', () => {
  it('stops at the first gap, counting from a starting point', () => {
    const messages = [message(1), message(2), message(4), message(50), message(51)];
    expect(contiguousSeq(messages)).toBe(2);
    expect(contiguousSeq(messages, 49)).toBe(51);
    expect(contiguousSeq([], 7)).toBe(7);
  });
});

describe('nextPageAfter', () => {
  it('continues from the last seq of a page that has more, and never from an empty one', () => {
    expect(nextPageAfter({ messages: [message(3), message(4)], hasMore: true })).toBe(4);
    expect(nextPageAfter({ messages: [message(3), message(4)], hasMore: false })).toBeNull();
    expect(nextPageAfter({ messages: [], hasMore: true })).toBeNull();
  });
});

describe('ConversationLog', () => {
  let syncs: { afterSeq: number; reason: SyncReason }[];
  let attempts: number;
  let connected: boolean;
  const newLog = () => new ConversationLog('conv', {
    requestSync: (afterSeq, reason) => {
      attempts += 1;
      if (connected) syncs.push({ afterSeq, reason });
      return connected;
    },
    gapRepairMs: 500,
    syncTimeoutMs: 5_000,
  });

  beforeEach(() => {
    vi.useFakeTimers();
    syncs = [];
    attempts = 0;
    connected = true;
  });
  afterEach(() => { vi.useRealTimers(); });

  it('reports each message once, in seq order, when nothing before it is missing', () => {
    const log = newLog();
    expect(seqs(log.merge([message(2), message(3)]).delivered)).toEqual([]);
    expect(log.contiguousSeq).toBe(0);
    expect(seqs(log.merge([message(1)]).delivered)).toEqual([1, 2, 3]);
    const again = log.merge([message(3), message(2), message(4)]);
    expect(seqs(again.delivered)).toEqual([4]);
    expect(seqs(again.repeated)).toEqual([3, 2]);
    expect(seqs(log.messages)).toEqual([1, 2, 3, 4]);
    expect(log.contiguousSeq).toBe(4);
  });

  it('counts from where it starts when told to skip older history', () => {
    const log = newLog();
    log.skipTo(449);
    expect(seqs(log.merge([message(451), message(450)]).delivered)).toEqual([450, 451]);
    expect(log.contiguousSeq).toBe(451);
  });

  it('fills a gap that stays open with a sync from the highest contiguous seq', () => {
    const log = newLog();
    log.merge([message(1), message(3)]);
    vi.advanceTimersByTime(499);
    expect(syncs).toEqual([]);
    log.merge([message(4)]);
    vi.advanceTimersByTime(1);
    expect(syncs).toEqual([{ afterSeq: 1, reason: 'repair' }]);
  });

  it('asks nothing when a gap closes by itself in time', () => {
    const log = newLog();
    log.merge([message(1), message(3)]);
    vi.advanceTimersByTime(300);
    log.merge([message(2)]);
    vi.advanceTimersByTime(10_000);
    expect(syncs).toEqual([]);
  });

  it('follows pages from the last seq of each while the server has more, even when live messages sit beyond the gap', () => {
    const log = newLog();
    log.merge([message(1), message(2)]);
    log.resume();
    log.merge([message(9)]);
    log.receivePage({ messages: [message(3), message(4)], hasMore: true });
    log.receivePage({ messages: [message(5), message(6), message(7)], hasMore: true });
    const last = log.receivePage({ messages: [message(8), message(9)], hasMore: false });
    expect(syncs).toEqual([
      { afterSeq: 2, reason: 'resume' },
      { afterSeq: 4, reason: 'page' },
      { afterSeq: 7, reason: 'page' },
    ]);
    expect(seqs(last.delivered)).toEqual([8, 9]);
    expect(seqs(last.repeated)).toEqual([9]);
    vi.advanceTimersByTime(60_000);
    expect(syncs).toHaveLength(3);
  });

  it('merges pages that arrive out of order', () => {
    const log = newLog();
    log.receivePage({ messages: [message(4), message(5)], hasMore: false });
    log.receivePage({ messages: [message(1), message(2), message(3)], hasMore: true });
    expect(seqs(log.messages)).toEqual([1, 2, 3, 4, 5]);
    expect(log.contiguousSeq).toBe(5);
  });

  it('asks again for a sync that was never answered', () => {
    const log = newLog();
    log.merge([message(1)]);
    log.resume();
    vi.advanceTimersByTime(5_000);
    expect(syncs).toEqual([{ afterSeq: 1, reason: 'resume' }, { afterSeq: 1, reason: 'repair' }]);
  });

  it('leaves a gap to the next resume while it cannot send', () => {
    const log = newLog();
    connected = false;
    log.merge([message(1), message(3)]);
    vi.advanceTimersByTime(60_000);
    expect(attempts).toBe(1);
    connected = true;
    log.resume();
    expect(syncs).toEqual([{ afterSeq: 1, reason: 'resume' }]);
  });
});
