// The conversation API over real HTTP and real WebSockets: filters, full-text search and keyset
// pages; replies and private notes; a bot's replies through an API token and its hand-off to the
// people; snoozes that reopen by themselves exactly once across nodes; routing within capacity.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { eq, inArray, sql } from 'drizzle-orm';
import { schema } from '../../db/index.ts';
import { newSiteKey } from '../../server/services/bootstrap.ts';
import type { ConversationView, MessageView, NoteView } from '../../protocol/index.ts';
import {
  TestClient, addAgent, createTenant, driver, loginAgent, startServer, visitorSession, type Tenant, type TestServer,
} from '../helpers.ts';

const ORIGIN = 'http://shop.test';

interface Answer<T> { status: number; body: T & { code?: string; message?: string } }

describe(`conversations API (${driver})`, () => {
  let server: TestServer;
  const clients: TestClient[] = [];
  const track = (client: TestClient) => (clients.push(client), client);

  async function api<T = unknown>(method: string, path: string, token: string, body?: unknown): Promise<Answer<T>> {
    const response = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, body: await response.json() as Answer<T>['body'] };
  }

  /** A visitor of the site who has written `body`: their socket and their conversation's id. */
  async function visitorWrites(site: schema.Site, body: string) {
    const session = await visitorSession(server, site);
    const visitor = track(await TestClient.connect(server, { token: session.token, origin: ORIGIN }));
    await visitor.ready('visitor');
    visitor.send({ type: 'message.send', clientId: randomUUID(), body });
    const ack = await visitor.next('ack');
    return { visitor, session, conversationId: ack.conversationId };
  }

  async function agentOnline(email: string) {
    const token = await loginAgent(server, email);
    const socket = track(await TestClient.connect(server, { token }));
    await socket.ready('agent');
    return { token, socket };
  }

  async function apiToken(owner: string, name: string): Promise<string> {
    const created = await api<{ token: string }>('POST', '/tokens', owner, { name, role: 'agent' });
    expect(created.status).toBe(201);
    return created.body.token;
  }

  /** Conversations written straight to the database, for lists that only read them. */
  async function seedConversations(siteId: string, rows: { body?: string; status?: 'open' | 'pending' | 'resolved' | 'snoozed'; assigneeId?: string; updatedAt?: string }[]) {
    const { db } = server.database;
    const ids: string[] = [];
    for (const row of rows) {
      const [visitor] = await db.insert(schema.visitors).values({ siteId }).returning();
      const [conversation] = await db.insert(schema.conversations).values({
        siteId, visitorId: visitor!.id, status: row.status ?? 'open', assigneeId: row.assigneeId ?? null, lastSeq: row.body ? 1 : 0,
      }).returning();
      if (row.body) {
        await db.insert(schema.messages).values({
          conversationId: conversation!.id, seq: 1, clientId: randomUUID(), authorKind: 'visitor', authorId: visitor!.id, body: row.body,
        });
      }
      if (row.updatedAt) {
        await db.update(schema.conversations).set({ updatedAt: new Date(row.updatedAt) }).where(eq(schema.conversations.id, conversation!.id));
      }
      ids.push(conversation!.id);
    }
    return ids;
  }

  const idsOf = (list: ConversationView[]) => list.map((c) => c.id);

  beforeAll(async () => {
    server = await startServer({ config: { rateLimitPerSecond: 10_000, rateLimitBurst: 10_000 } });
  });
  afterAll(async () => {
    for (const client of clients) client.close();
    await server.close();
  });

  describe('GET /conversations', () => {
    let tenant: Tenant;
    let owner: string;
    let otherSite: schema.Site;
    let ids: Record<'refund' | 'shipping' | 'pending' | 'otherSite' | 'resolved' | 'mine', string>;

    beforeAll(async () => {
      tenant = await createTenant(server.database, [ORIGIN]);
      owner = await loginAgent(server, tenant.owner.email);
      [otherSite] = await server.database.db.insert(schema.sites).values({
        accountId: tenant.accountId, publicKey: newSiteKey(), name: 'Second shop', allowedOrigins: [ORIGIN],
        widgetSettings: tenant.site.widgetSettings,
      }).returning() as [schema.Site];
      const [refund, shipping, pending, resolved, mine] = await seedConversations(tenant.site.id, [
        { body: 'I want a refund for order 1042', updatedAt: '2026-01-10T10:00:00Z' },
        { body: 'Where is my parcel? Order 2077 shipped last week', updatedAt: '2026-02-10T10:00:00Z' },
        { body: 'Can I change the delivery address?', status: 'pending', updatedAt: '2026-03-10T10:00:00Z' },
        { body: 'Refund received, thanks', status: 'resolved', updatedAt: '2026-04-10T10:00:00Z' },
        { body: 'Invoice for my company please', assigneeId: tenant.owner.id, updatedAt: '2026-05-10T10:00:00Z' },
      ]);
      const [onOtherSite] = await seedConversations(otherSite.id, [{ body: 'Hello from the second shop', updatedAt: '2026-06-10T10:00:00Z' }]);
      ids = { refund: refund!, shipping: shipping!, pending: pending!, resolved: resolved!, mine: mine!, otherSite: onOtherSite! };
    });

    const list = async (query: Record<string, string>) => {
      const answer = await api<{ conversations: ConversationView[]; nextCursor: string | null }>('GET', `/conversations?${new URLSearchParams(query)}`, owner);
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      return idsOf(answer.body.conversations);
    };

    it('lists unresolved conversations newest activity first, and filters by view, status, site and assignee', async () => {
      expect(await list({})).toEqual([ids.otherSite, ids.mine, ids.pending, ids.shipping, ids.refund]);
      expect(await list({ view: 'mine' })).toEqual([ids.mine]);
      expect(await list({ view: 'unassigned', status: 'open' })).toEqual([ids.otherSite, ids.shipping, ids.refund]);
      expect(await list({ status: 'resolved' })).toEqual([ids.resolved]);
      expect(await list({ status: 'pending' })).toEqual([ids.pending]);
      expect(await list({ siteId: otherSite.id })).toEqual([ids.otherSite]);
      expect(await list({ siteId: randomUUID() })).toEqual([]);
      expect(await list({ assigneeId: tenant.owner.id })).toEqual([ids.mine]);
      expect(await list({ assigneeId: 'none' })).toEqual([ids.otherSite, ids.pending, ids.shipping, ids.refund]);
    });

    it('bounds the last activity with since (inclusive) and until (exclusive)', async () => {
      expect(await list({ since: '2026-02-10T10:00:00Z' })).toEqual([ids.otherSite, ids.mine, ids.pending, ids.shipping]);
      expect(await list({ until: '2026-02-10T10:00:00Z' })).toEqual([ids.refund]);
      expect(await list({ since: '2026-02-01T00:00:00Z', until: '2026-05-01T00:00:00Z' })).toEqual([ids.pending, ids.shipping]);
    });

    it('finds conversations by the words of their messages (full-text search)', async () => {
      expect(await list({ q: 'refund' })).toEqual([ids.refund]);
      expect(await list({ q: 'refund', status: 'resolved' })).toEqual([ids.resolved]);
      expect(await list({ q: 'ORDER' })).toEqual([ids.shipping, ids.refund]);
      expect(await list({ q: '"order 2077"' })).toEqual([ids.shipping]);
      expect(await list({ q: 'order -refund' })).toEqual([ids.shipping]);
      expect(await list({ q: 'parcel or invoice' })).toEqual([ids.mine, ids.shipping]);
      expect(await list({ q: 'nothing-like-this' })).toEqual([]);
      // Punctuation a user types is not a syntax error.
      expect(await list({ q: 'order & (1042' })).toEqual([ids.refund]);
    });

    it('refuses what it cannot read, with 400 VALIDATION_FAILED', async () => {
      const unreadable: Record<string, string>[] = [{ since: 'yesterday' }, { cursor: 'not-a-cursor' }, { assigneeId: 'someone' }, { siteId: 'shop' }];
      for (const query of unreadable) {
        const answer = await api('GET', `/conversations?${new URLSearchParams(query)}`, owner);
        expect(answer.status, JSON.stringify(query)).toBe(400);
        expect(answer.body.code).toBe('VALIDATION_FAILED');
      }
    });
  });

  it('searches with exactly the expression of the GIN index messages_body_search_idx', async () => {
    // The planner uses an expression index only for the same expression: with sequential scans
    // off, the search the list runs must be answered from the index.
    const plan = await server.database.db.transaction(async (tx) => {
      await tx.execute(sql`set local enable_seqscan = off`);
      const result = await tx.execute(sql`explain select 1 from messages
        where to_tsvector('simple', body) @@ websearch_to_tsquery('simple', ${'refund order'})`);
      const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Record<string, string>[];
      return rows.map((row) => Object.values(row).join(' ')).join('\n');
    });
    expect(plan).toContain('messages_body_search_idx');
    const source = await readFile(new URL('../../server/services/conversations.ts', import.meta.url), 'utf8');
    expect(source).toContain("to_tsvector('simple', ${messages.body}) @@ websearch_to_tsquery('simple', ${q})");
  });

  it('pages through every conversation exactly once, even when many share an updated_at to the microsecond', async () => {
    const tenant = await createTenant(server.database, [ORIGIN]);
    const owner = await loginAgent(server, tenant.owner.email);
    const seeded = await seedConversations(tenant.site.id, Array.from({ length: 11 }, () => ({})));
    // Ties, and times a millisecond-precision cursor would confuse.
    const times = ['2026-05-01 10:00:00.123456+00', '2026-05-01 10:00:00.123457+00', '2026-05-01 10:00:00.123999+00'];
    for (const [i, id] of seeded.entries()) {
      await server.database.db.execute(sql`update conversations set updated_at = ${times[i % 3]}::timestamptz where id = ${id}`);
    }
    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const query: Record<string, string> = { limit: '3', ...(cursor ? { cursor } : {}) };
      const answer = await api<{ conversations: ConversationView[]; nextCursor: string | null }>('GET', `/conversations?${new URLSearchParams(query)}`, owner);
      expect(answer.status).toBe(200);
      pages.push(idsOf(answer.body.conversations));
      cursor = answer.body.nextCursor;
    } while (cursor && pages.length < 10);
    expect(pages.map((page) => page.length)).toEqual([3, 3, 3, 2]);
    const all = pages.flat();
    expect(new Set(all).size).toBe(11);
    expect([...all].sort()).toEqual([...seeded].sort());
    // The order is (updated_at desc, id desc) across page boundaries.
    const rank = (id: string) => times.indexOf(times[seeded.indexOf(id) % 3]!);
    for (let i = 1; i < all.length; i++) {
      const [before, after] = [all[i - 1]!, all[i]!];
      expect(rank(before) > rank(after) || (rank(before) === rank(after) && before > after), `${i}`).toBe(true);
    }
  });

  it('sends an agent\'s REST reply live to the visitor, acked after commit, once per clientId, and claims the conversation', async () => {
    const tenant = await createTenant(server.database, [ORIGIN]);
    const owner = await loginAgent(server, tenant.owner.email);
    const { visitor, conversationId } = await visitorWrites(tenant.site, 'Is the blue jacket back in stock?');
    const clientId = randomUUID();
    const sent = await api<{ message: MessageView }>('POST', `/conversations/${conversationId}/messages`, owner,
      { body: 'Yes, since this morning.', clientId });
    expect(sent.status).toBe(201);
    expect(sent.body.message).toMatchObject({ seq: 2, clientId, authorKind: 'agent', authorId: tenant.owner.id, authorName: tenant.owner.name });
    const live = await visitor.next('message', (f) => f.message.authorKind === 'agent');
    expect(live.message).toEqual(sent.body.message);

    const again = await api<{ message: MessageView }>('POST', `/conversations/${conversationId}/messages`, owner,
      { body: 'Yes, since this morning.', clientId });
    expect(again.status).toBe(201);
    expect(again.body.message.id).toBe(sent.body.message.id);
    const page = await api<{ messages: MessageView[] }>('GET', `/conversations/${conversationId}/messages`, owner);
    expect(page.body.messages.map((m) => m.seq)).toEqual([1, 2]);
    const conversation = await api<{ conversation: ConversationView }>('GET', `/conversations/${conversationId}`, owner);
    expect(conversation.body.conversation.assigneeId).toBe(tenant.owner.id);
  });

  it('keeps a private note from the visitor (live, ready and sync) while every agent hears of it', async () => {
    const tenant = await createTenant(server.database, [ORIGIN]);
    const { token: owner, socket: agent } = await agentOnline(tenant.owner.email);
    const { visitor, session, conversationId } = await visitorWrites(tenant.site, 'My card was charged twice');
    const secret = `Refund approved by Dana ${randomUUID()}`;
    const posted = await api<{ note: NoteView; message?: unknown }>('POST', `/conversations/${conversationId}/messages`, owner,
      { body: secret, private: true });
    expect(posted.status).toBe(201);
    expect(posted.body.message).toBeUndefined();
    expect(posted.body.note).toMatchObject({ conversationId, authorId: tenant.owner.id, authorName: tenant.owner.name, body: secret });
    expect((await agent.next('note')).note).toEqual(posted.body.note);

    // Something the visitor does hear, sent after the note: once it has arrived, the note would have too.
    await api('POST', `/conversations/${conversationId}/messages`, owner, { body: 'We are on it.' });
    await visitor.next('message', (f) => f.message.body === 'We are on it.');
    visitor.send({ type: 'sync', conversationId, afterSeq: 0 });
    const synced = await visitor.next('messages');
    expect(synced.messages.map((m) => m.body)).toEqual(['My card was charged twice', 'We are on it.']);
    const again = track(await TestClient.connect(server, { token: session.token, origin: ORIGIN }));
    const ready = await again.ready('visitor');
    expect(ready.messages.map((m) => m.seq)).toEqual([1, 2]);
    for (const frame of [...visitor.frames, ...again.frames, synced, ready]) expect(JSON.stringify(frame)).not.toContain(secret);

    const notes = await api<{ notes: NoteView[] }>('GET', `/conversations/${conversationId}/notes`, owner);
    expect(notes.body.notes).toEqual([posted.body.note]);
    const stored = await server.database.db.select().from(schema.messages).where(eq(schema.messages.conversationId, conversationId));
    expect(stored.map((m) => m.body)).not.toContain(secret);
  });

  it('lists notes oldest first', async () => {
    const tenant = await createTenant(server.database, [ORIGIN]);
    const owner = await loginAgent(server, tenant.owner.email);
    const [conversationId] = await seedConversations(tenant.site.id, [{ body: 'hello' }]);
    for (const body of ['first', 'second', 'third']) {
      expect((await api('POST', `/conversations/${conversationId}/messages`, owner, { body, private: true })).status).toBe(201);
    }
    const notes = await api<{ notes: NoteView[] }>('GET', `/conversations/${conversationId}/notes`, owner);
    expect(notes.body.notes.map((n) => n.body)).toEqual(['first', 'second', 'third']);
  });

  it('lets an API token write only as a named bot, whose reply claims the conversation for no one', async () => {
    const tenant = await createTenant(server.database, [ORIGIN]);
    const owner = await loginAgent(server, tenant.owner.email);
    const token = await apiToken(owner, 'Support bot');
    const { visitor, conversationId } = await visitorWrites(tenant.site, 'Do you ship to Norway?');

    const anonymous = await api('POST', `/conversations/${conversationId}/messages`, token, { body: 'Yes we do.' });
    expect(anonymous.status).toBe(400);
    expect(anonymous.body.code).toBe('VALIDATION_FAILED');
    const impostor = await api('POST', `/conversations/${conversationId}/messages`, owner,
      { body: 'Yes we do.', author: { kind: 'bot', name: 'Not me' } });
    expect(impostor.status).toBe(400);

    const sent = await api<{ message: MessageView }>('POST', `/conversations/${conversationId}/messages`, token,
      { body: 'Yes, in 3 to 5 days.', author: { kind: 'bot', name: 'Shop assistant' } });
    expect(sent.status).toBe(201);
    expect(sent.body.message).toMatchObject({ seq: 2, authorKind: 'bot', authorId: null, authorName: 'Shop assistant' });
    expect((await visitor.next('message', (f) => f.message.authorKind === 'bot')).message).toEqual(sent.body.message);
    const conversation = await api<{ conversation: ConversationView }>('GET', `/conversations/${conversationId}`, owner);
    expect(conversation.body.conversation.assigneeId).toBeNull();

    // A note through a token is signed with the token's name.
    const note = await api<{ note: NoteView }>('POST', `/conversations/${conversationId}/messages`, token, { body: 'VIP', private: true });
    expect(note.body.note).toMatchObject({ authorId: null, authorName: 'Support bot' });
  });

  describe('snoozes', () => {
    it('refuses a snooze without a future time', async () => {
      const tenant = await createTenant(server.database, [ORIGIN]);
      const owner = await loginAgent(server, tenant.owner.email);
      const [conversationId] = await seedConversations(tenant.site.id, [{ body: 'later please' }]);
      for (const body of [{ status: 'snoozed' }, { status: 'snoozed', snoozedUntil: new Date(Date.now() - 1000).toISOString() },
        { status: 'snoozed', snoozedUntil: 'tomorrow' }, { status: 'open', snoozedUntil: new Date(Date.now() + 60_000).toISOString() }]) {
        const answer = await api('POST', `/conversations/${conversationId}/status`, owner, body);
        expect(answer.status, JSON.stringify(body)).toBe(400);
        expect(answer.body.code).toBe('VALIDATION_FAILED');
      }
    });

    it('reopens a snoozed conversation at its time and tells the agents', async () => {
      const tenant = await createTenant(server.database, [ORIGIN]);
      const { token: owner, socket: agent } = await agentOnline(tenant.owner.email);
      const [conversationId] = await seedConversations(tenant.site.id, [{ body: 'ping me on Monday' }]);
      const until = new Date(Date.now() + 500).toISOString();
      const snoozed = await api<{ conversation: ConversationView }>('POST', `/conversations/${conversationId}/status`, owner,
        { status: 'snoozed', snoozedUntil: until });
      expect(snoozed.status).toBe(200);
      expect(snoozed.body.conversation).toMatchObject({ status: 'snoozed', snoozedUntil: until });
      server.app.services.snoozes.start(20);
      try {
        const frame = await agent.next('conversation', (f) => f.conversation.id === conversationId && f.conversation.status === 'open');
        expect(frame.conversation.snoozedUntil).toBeNull();
        expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(until));
      } finally {
        server.app.services.snoozes.start();
      }
    });

    it('reopens each due conversation exactly once although two nodes poll the same database', async () => {
      const tenant = await createTenant(server.database, [ORIGIN]);
      const owner = await loginAgent(server, tenant.owner.email);
      const conversationIds = await seedConversations(tenant.site.id, Array.from({ length: 5 }, (_, i) => ({ body: `later ${i}` })));
      const other = await startServer({ database: server.database });
      try {
        const reopenings: string[] = [];
        for (const node of [server, other]) {
          node.app.services.events.on('conversation.status', ({ conversation, previousStatus }) => {
            if (previousStatus === 'snoozed' && conversationIds.includes(conversation.id)) reopenings.push(conversation.id);
          });
        }
        const until = new Date(Date.now() + 400).toISOString();
        for (const id of conversationIds) {
          expect((await api('POST', `/conversations/${id}/status`, owner, { status: 'snoozed', snoozedUntil: until })).status).toBe(200);
        }
        for (const node of [server, other]) node.app.services.snoozes.start(10);
        const deadline = Date.now() + 10_000;
        while (reopenings.length < conversationIds.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
        // Many more polls on both nodes: nothing is reopened twice.
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(reopenings.sort()).toEqual([...conversationIds].sort());
        const rows = await server.database.db.select().from(schema.conversations).where(inArray(schema.conversations.id, conversationIds));
        expect(rows.map((r) => [r.status, r.snoozedUntil])).toEqual(conversationIds.map(() => ['open', null]));
      } finally {
        await other.close();
        server.app.services.snoozes.start();
      }
    });

    it('reopens a snoozed conversation when the visitor writes, ending the snooze', async () => {
      const tenant = await createTenant(server.database, [ORIGIN]);
      const owner = await loginAgent(server, tenant.owner.email);
      const { visitor, conversationId } = await visitorWrites(tenant.site, 'Thanks, I will check');
      const until = new Date(Date.now() + 3_600_000).toISOString();
      expect((await api('POST', `/conversations/${conversationId}/status`, owner, { status: 'snoozed', snoozedUntil: until })).status).toBe(200);
      visitor.send({ type: 'message.send', clientId: randomUUID(), body: 'Actually, one more question' });
      await visitor.next('ack');
      const conversation = await api<{ conversation: ConversationView }>('GET', `/conversations/${conversationId}`, owner);
      expect(conversation.body.conversation).toMatchObject({ status: 'open', snoozedUntil: null });
    });
  });

  it('gives a bot-first site\'s new conversation to the bot, then routes it to an online agent on hand-off', async () => {
    const tenant = await createTenant(server.database, [ORIGIN]);
    await server.database.db.update(schema.sites).set({ botFirst: true }).where(eq(schema.sites.id, tenant.site.id));
    const { token: owner, socket: agent } = await agentOnline(tenant.owner.email);
    const bot = await apiToken(owner, 'Bot');
    const { conversationId } = await visitorWrites(tenant.site, 'I need to return a pair of shoes');
    const created = await agent.next('conversation', (f) => f.conversation.id === conversationId);
    expect(created.conversation).toMatchObject({ assigneeId: null, withBot: true });

    // Another agent coming online does not take it from the bot either.
    const second = await addAgent(server.database, tenant.accountId, `second-${randomUUID()}@example.com`);
    await agentOnline(second.email);
    const replied = await api('POST', `/conversations/${conversationId}/messages`, bot,
      { body: 'I can help: what is your order number?', author: { kind: 'bot', name: 'Returns bot' } });
    expect(replied.status).toBe(201);
    const waiting = await api<{ conversation: ConversationView }>('GET', `/conversations/${conversationId}`, owner);
    expect(waiting.body.conversation).toMatchObject({ assigneeId: null, withBot: true });

    const handedOff = await api<{ conversation: ConversationView }>('POST', `/conversations/${conversationId}/handoff`, bot,
      { note: 'Wants a refund, not an exchange' });
    expect(handedOff.status).toBe(200);
    expect(handedOff.body.conversation.withBot).toBe(false);
    expect([tenant.owner.id, second.id]).toContain(handedOff.body.conversation.assigneeId);
    const assigned = await agent.next('conversation', (f) => f.conversation.id === conversationId && f.conversation.assigneeId !== null);
    expect(assigned.conversation.assigneeId).toBe(handedOff.body.conversation.assigneeId);
    const notes = await api<{ notes: NoteView[] }>('GET', `/conversations/${conversationId}/notes`, owner);
    expect(notes.body.notes.map((n) => [n.authorName, n.body])).toEqual([['Bot', 'Wants a refund, not an exchange']]);

    // Again: harmless, nothing changes.
    const again = await api<{ conversation: ConversationView }>('POST', `/conversations/${conversationId}/handoff`, bot, {});
    expect(again.status).toBe(200);
    expect(again.body.conversation.assigneeId).toBe(handedOff.body.conversation.assigneeId);
  });

  it('leaves a handed-off conversation unassigned when nobody is online, until an agent comes online', async () => {
    const tenant = await createTenant(server.database, [ORIGIN]);
    await server.database.db.update(schema.sites).set({ botFirst: true }).where(eq(schema.sites.id, tenant.site.id));
    const owner = await loginAgent(server, tenant.owner.email);
    const { conversationId } = await visitorWrites(tenant.site, 'Hello?');
    const handedOff = await api<{ conversation: ConversationView }>('POST', `/conversations/${conversationId}/handoff`, owner, {});
    expect(handedOff.body.conversation).toMatchObject({ assigneeId: null, withBot: false });
    const { socket: agent } = await agentOnline(tenant.owner.email);
    const assigned = await agent.next('conversation', (f) => f.conversation.id === conversationId && f.conversation.assigneeId !== null);
    expect(assigned.conversation.assigneeId).toBe(tenant.owner.id);
  });

  it('routes only to agents below their capacity, never to a deactivated one, and otherwise lets it wait', async () => {
    const tenant = await createTenant(server.database, [ORIGIN]);
    const { db } = server.database;
    const roomy = await addAgent(server.database, tenant.accountId, `roomy-${randomUUID()}@example.com`);
    const leaving = await addAgent(server.database, tenant.accountId, `leaving-${randomUUID()}@example.com`);
    await db.update(schema.agents).set({ capacity: 1 }).where(eq(schema.agents.id, tenant.owner.id));
    await db.update(schema.agents).set({ capacity: 4 }).where(eq(schema.agents.id, roomy.id));
    // The owner is full (1 of 1); roomy has 3 of 4, more than the owner but room for one more.
    await seedConversations(tenant.site.id, [
      { body: 'a', assigneeId: tenant.owner.id }, { body: 'b', assigneeId: roomy.id }, { body: 'c', assigneeId: roomy.id },
      { body: 'd', assigneeId: roomy.id }, { body: 'done', assigneeId: roomy.id, status: 'resolved' },
    ]);
    const { socket: agent } = await agentOnline(tenant.owner.email);
    await agentOnline(roomy.email);
    await agentOnline(leaving.email);
    // Deactivated while still connected: idle, yet never picked.
    await db.update(schema.agents).set({ deactivatedAt: new Date() }).where(eq(schema.agents.id, leaving.id));

    const first = await visitorWrites(tenant.site, 'first');
    const routed = await agent.next('conversation', (f) => f.conversation.id === first.conversationId);
    expect(routed.conversation.assigneeId).toBe(roomy.id);
    const second = await visitorWrites(tenant.site, 'second');
    const waiting = await agent.next('conversation', (f) => f.conversation.id === second.conversationId);
    expect(waiting.conversation.assigneeId).toBeNull();
  });
});
