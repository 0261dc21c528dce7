import { describe, expect, it } from 'vitest';
import type { ConversationStatus, ConversationView } from '../../protocol/index.ts';
import { SEARCHED_STATUSES, searchEveryStatus, searchResults } from '../../console/lib/conversation-search.ts';

/** A match `minutesAgo` minutes old, as the server answers it. */
const match = (id: string, minutesAgo: number, change: Partial<ConversationView> = {}): ConversationView => ({
  id,
  siteId: 's',
  visitorId: `v-${id}`,
  visitorName: `Visitor ${id}`,
  assigneeId: null,
  status: 'open',
  snoozedUntil: null,
  lastSeq: 1,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: new Date(Date.UTC(2026, 0, 2) - minutesAgo * 60_000).toISOString(),
  lastMessage: null,
  ...change,
});
const ids = (list: readonly ConversationView[]) => list.map((c) => c.id);

describe('console: searching conversations', () => {
  it('asks for every status with the same query and lists the matches of all of them', async () => {
    const asked: Array<[string, ConversationStatus]> = [];
    const byStatus: Record<ConversationStatus, ConversationView[]> = {
      open: [match('a', 5)],
      pending: [],
      snoozed: [match('c', 1, { status: 'snoozed' })],
      resolved: [match('b', 3, { status: 'resolved' })],
    };
    const found = await searchEveryStatus({
      searchConversations: async (q, status) => {
        asked.push([q, status]);
        return byStatus[status];
      },
    }, 'refund');
    expect(asked).toEqual(SEARCHED_STATUSES.map((status) => ['refund', status]));
    expect(ids(searchResults(found, {}))).toEqual(['c', 'b', 'a']);
  });

  it('fails as a whole when one status cannot be searched, with the server\'s error', async () => {
    const error = new Error('The search query is not valid');
    await expect(searchEveryStatus({
      searchConversations: async (_q, status) => {
        if (status === 'resolved') throw error;
        return [];
      },
    }, '"refund')).rejects.toBe(error);
  });

  it('lists newest activity first, each conversation once', () => {
    // A conversation that changed status between two of the requests is answered twice.
    const results = searchResults(
      [match('a', 10), match('b', 2, { status: 'resolved' }), match('c', 5), match('a', 1, { status: 'pending' })],
      {},
    );
    expect(ids(results)).toEqual(['a', 'b', 'c']);
    expect(results[0]!.status).toBe('pending');
  });

  it('shows the inbox\'s copy of a match when it is newer, so live changes show in the results', () => {
    const held = { a: match('a', 0, { status: 'resolved', assigneeId: 'me' }), b: match('b', 30) };
    const results = searchResults([match('a', 10), match('b', 20, { assigneeId: 'someone' })], held);
    expect(results.map((c) => [c.id, c.status, c.assigneeId])).toEqual([
      ['a', 'resolved', 'me'],
      // The inbox's copy is older than the match: the match is the truer one.
      ['b', 'open', 'someone'],
    ]);
  });
});
