import { describe, expect, it } from 'vitest';
import type { AgentView, ConversationListResponse, ConversationListView, ConversationStatus, ConversationView } from '../../protocol/index.ts';
import { inboxReducer, initialInboxState, listFor, type InboxState, type ListPage } from '../../console/lib/inbox-state.ts';
import { fetchListPages } from '../../console/lib/use-conversation-lists.ts';

const me: AgentView = { id: 'me', name: 'Dana', email: 'dana@example.com', role: 'agent', availability: 'online' };

/** Conversation n of a list: a higher n is older, as on the server's pages. */
const conversation = (n: number, change: Partial<ConversationView> = {}): ConversationView => ({
  id: `c${n}`,
  siteId: 's',
  visitorId: `v${n}`,
  visitorName: `Visitor ${n}`,
  assigneeId: null,
  status: 'open',
  snoozedUntil: null,
  lastSeq: 1,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: new Date(Date.UTC(2026, 0, 2) - n * 60_000).toISOString(),
  lastMessage: null,
  ...change,
});
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => conversation(from + i));
const ids = (list: readonly ConversationView[]) => list.map((c) => c.id);

function loaded(lists: ListPage[], status: ConversationStatus = 'open', state = initialInboxState(me, {})): InboxState {
  return inboxReducer(state, { type: 'listLoaded', status, lists });
}

/** The open "all" list with its first page, c1…c3, continuing after "p1". */
const firstPage = () => loaded([
  { view: 'all', conversations: range(1, 3), nextCursor: 'p1' },
  { view: 'unassigned', conversations: range(1, 3), nextCursor: 'u1' },
  { view: 'mine', conversations: [], nextCursor: null },
]);

describe('console: the inbox lists, a page at a time', () => {
  it('appends the next page after the one the list ends with, each conversation once', () => {
    // c3 is on both pages: it moved between the two requests.
    const state = inboxReducer(firstPage(), {
      type: 'pageLoaded', status: 'open', after: 'p1', page: { view: 'all', conversations: range(3, 5), nextCursor: 'p2' },
    });
    expect(ids(listFor(state, 'all', 'open'))).toEqual(['c1', 'c2', 'c3', 'c4', 'c5']);
    expect(state.pages['all:open']).toEqual({ nextCursor: 'p2', loaded: 6 });
    // Another list of the same status keeps its own place.
    expect(state.pages['unassigned:open']).toEqual({ nextCursor: 'u1', loaded: 3 });

    const last = inboxReducer(state, {
      type: 'pageLoaded', status: 'open', after: 'p2', page: { view: 'all', conversations: range(6, 6), nextCursor: null },
    });
    expect(ids(listFor(last, 'all', 'open'))).toEqual(['c1', 'c2', 'c3', 'c4', 'c5', 'c6']);
    expect(last.pages['all:open']?.nextCursor).toBeNull();
  });

  it('ignores a page that no longer continues its list: asked for twice, or before a reload', () => {
    const page = { view: 'all' as const, conversations: range(4, 5), nextCursor: 'p2' };
    const once = inboxReducer(firstPage(), { type: 'pageLoaded', status: 'open', after: 'p1', page });
    expect(inboxReducer(once, { type: 'pageLoaded', status: 'open', after: 'p1', page })).toBe(once);

    const reloaded = loaded([{ view: 'all', conversations: range(1, 3), nextCursor: 'p1-again' }], 'open', once);
    expect(inboxReducer(reloaded, { type: 'pageLoaded', status: 'open', after: 'p1', page })).toBe(reloaded);
    // A list never loaded has no page to continue.
    const first = firstPage();
    expect(inboxReducer(first, { type: 'pageLoaded', status: 'pending', after: 'p1', page })).toBe(first);
  });

  it('keeps the live copy of a conversation when a later page brings an older one', () => {
    const live = conversation(4, { updatedAt: '2026-01-03T00:00:00.000Z', assigneeId: 'me', lastSeq: 7 });
    let state = inboxReducer(firstPage(), { type: 'conversation', conversation: live });
    state = inboxReducer(state, {
      type: 'pageLoaded', status: 'open', after: 'p1', page: { view: 'all', conversations: range(4, 5), nextCursor: null },
    });
    expect(state.conversations.c4).toBe(live);
    expect(ids(listFor(state, 'all', 'open'))).toEqual(['c4', 'c1', 'c2', 'c3', 'c5']);
    expect(ids(listFor(state, 'mine', 'open'))).toEqual(['c4']);
  });

  it('moves a conversation from a later page to the top when it changes live, without a second entry', () => {
    let state = inboxReducer(firstPage(), {
      type: 'pageLoaded', status: 'open', after: 'p1', page: { view: 'all', conversations: range(4, 5), nextCursor: 'p2' },
    });
    state = inboxReducer(state, { type: 'conversation', conversation: conversation(5, { updatedAt: '2026-01-03T00:00:00.000Z' }) });
    expect(ids(listFor(state, 'all', 'open'))).toEqual(['c5', 'c1', 'c2', 'c3', 'c4']);
    state = inboxReducer(state, { type: 'conversation', conversation: conversation(9, { updatedAt: '2026-01-04T00:00:00.000Z' }) });
    expect(ids(listFor(state, 'all', 'open'))).toEqual(['c9', 'c5', 'c1', 'c2', 'c3', 'c4']);
    // The list still continues where its last page ended.
    expect(state.pages['all:open']?.nextCursor).toBe('p2');
  });

  it('a reload replaces the status it loaded, keeps the open conversation, other statuses and other lists', () => {
    let state = inboxReducer(firstPage(), {
      type: 'pageLoaded', status: 'open', after: 'p1', page: { view: 'all', conversations: range(4, 6), nextCursor: 'p2' },
    });
    state = loaded([{ view: 'all', conversations: [conversation(7, { status: 'pending' })], nextCursor: null }], 'pending', state);
    state = inboxReducer(state, { type: 'open', conversationId: 'c6' });
    // Resolved while we were away: c2 and c5 are no longer open, and c6 (open on screen) neither.
    const reload = [1, 3, 4].map((n) => conversation(n));
    state = loaded([{ view: 'all', conversations: reload, nextCursor: 'p2-again' }], 'open', state);
    expect(ids(listFor(state, 'all', 'open'))).toEqual(['c1', 'c3', 'c4', 'c6']);
    expect(ids(listFor(state, 'all', 'pending'))).toEqual(['c7']);
    expect(state.pages['all:open']).toEqual({ nextCursor: 'p2-again', loaded: 3 });
    expect(state.pages['unassigned:open']).toEqual({ nextCursor: 'u1', loaded: 3 });
  });
});

describe('console: fetching a list from its first page', () => {
  /** A server holding conversations c1…c`total` in one list, `size` to a page. */
  function server(total: number, size: number) {
    const asked: (string | undefined)[] = [];
    const api = {
      async conversations(_view: ConversationListView, _status: ConversationStatus, cursor?: string): Promise<ConversationListResponse> {
        asked.push(cursor);
        const from = cursor ? Number(cursor) : 0;
        const to = Math.min(total, from + size);
        return { conversations: range(from + 1, to), nextCursor: to < total ? String(to) : null };
      },
    };
    return { api, asked };
  }

  it('asks for the first page only when nothing was loaded before', async () => {
    const { api, asked } = server(250, 100);
    const page = await fetchListPages(api, 'all', 'open', 0);
    expect(asked).toEqual([undefined]);
    expect(page).toMatchObject({ view: 'all', nextCursor: '100' });
    expect(page.conversations).toHaveLength(100);
  });

  it('reloads as many conversations as were loaded, so the agent keeps their place', async () => {
    const { api, asked } = server(250, 100);
    const page = await fetchListPages(api, 'all', 'open', 130);
    expect(asked).toEqual([undefined, '100']);
    expect(page.conversations).toHaveLength(200);
    expect(page.nextCursor).toBe('200');
  });

  it('stops at the end of the list', async () => {
    const { api, asked } = server(150, 100);
    const page = await fetchListPages(api, 'all', 'open', 1_000);
    expect(asked).toEqual([undefined, '100']);
    expect(page.conversations.at(-1)?.id).toBe('c150');
    expect(page.nextCursor).toBeNull();
  });
});
