// Who may touch a conversation, asked on every message, typing and sync frame: answered from a cache
// once known, since a conversation never changes account or visitor, and never leaked across them.
import { afterAll, beforeAll, describe, expect, it, vi, type MockInstance } from 'vitest';
import { randomUUID } from 'node:crypto';
import { schema, type Database } from '../../db/index.ts';
import { testConfig } from '../../server/config.ts';
import { createServices, type Services } from '../../server/services/index.ts';
import {
  TestClient, createTenant, createTestDatabase, driver, startServer, visitorSession,
  type Tenant, type TestServer,
} from '../helpers.ts';

const ORIGIN = 'http://shop.test';

describe(`conversation access checks (${driver})`, () => {
  let database: Database;
  let services: Services;
  let tenant: Tenant;
  let other: Tenant;
  let selects: MockInstance;

  beforeAll(async () => {
    database = await createTestDatabase();
    tenant = await createTenant(database, [ORIGIN]);
    other = await createTenant(database, [ORIGIN]);
    services = createServices({ db: database.db, secret: 'x'.repeat(32), config: testConfig(), onError: (error) => { throw error; } });
    selects = vi.spyOn(database.db, 'select');
  });
  afterAll(async () => {
    selects.mockRestore();
    await database.close();
  });

  async function conversationOf(site: schema.Site) {
    const [visitor] = await database.db.insert(schema.visitors).values({ siteId: site.id }).returning();
    const [conversation] = await database.db.insert(schema.conversations).values({ siteId: site.id, visitorId: visitor!.id }).returning();
    return { visitor: visitor!, conversation: conversation!, principal: { visitorId: visitor!.id, siteId: site.id, accountId: site.accountId } };
  }

  it('checks a visitor\'s conversation with one query, then from the cache, for the owner and for strangers', async () => {
    const { conversation, principal } = await conversationOf(tenant.site);
    const stranger = await conversationOf(tenant.site);
    selects.mockClear();

    const ref = await services.conversations.refForVisitor(principal, conversation.id);
    expect(ref).toEqual({ id: conversation.id, siteId: tenant.site.id, visitorId: principal.visitorId, accountId: tenant.accountId });
    expect(selects).toHaveBeenCalledTimes(1);

    await services.conversations.refForVisitor(principal, conversation.id);
    await expect(services.conversations.refForVisitor(stranger.principal, conversation.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // The agents' check shares the cache, and still keeps accounts apart.
    await services.conversations.refForAgent({ agentId: tenant.owner.id, accountId: tenant.accountId }, conversation.id);
    await expect(services.conversations.refForAgent({ agentId: other.owner.id, accountId: other.accountId }, conversation.id))
      .rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(selects).toHaveBeenCalledTimes(1);
  });

  it('answers NOT_FOUND for ids that are not a conversation, without querying malformed ones', async () => {
    const { principal } = await conversationOf(tenant.site);
    selects.mockClear();
    await expect(services.conversations.refForVisitor(principal, 'not-a-uuid')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(selects).not.toHaveBeenCalled();
    await expect(services.conversations.refForVisitor(principal, randomUUID())).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(services.conversations.sync(principal, randomUUID(), 0, 10)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('remembers the conversation a visitor\'s ready snapshot found: their typing needs no query', async () => {
    const { visitor, conversation, principal } = await conversationOf(tenant.site);
    const ready = await services.snapshots.forVisitor({ kind: 'visitor', visitor, site: tenant.site });
    expect(ready.conversation?.id).toBe(conversation.id);
    selects.mockClear();
    await services.messages.typing(principal, conversation.id, true);
    expect(selects).not.toHaveBeenCalled();
  });
});

describe(`a visitor's typing frames cost no query (${driver})`, () => {
  let server: TestServer;
  let tenant: Tenant;
  beforeAll(async () => {
    server = await startServer();
    tenant = await createTenant(server.database, [ORIGIN]);
  });
  afterAll(() => server.close());

  it('relays typing from a reconnected visitor without reading the database', async () => {
    const session = await visitorSession(server, tenant.site);
    const first = await TestClient.connect(server, { token: session.token, origin: ORIGIN });
    await first.ready('visitor');
    first.send({ type: 'message.send', clientId: randomUUID(), body: 'hi' });
    const { conversationId } = await first.next('ack');
    first.close();
    await first.closed;

    const again = await TestClient.connect(server, { token: session.token, origin: ORIGIN });
    await again.ready('visitor');
    const selects = vi.spyOn(server.database.db, 'select');
    try {
      for (let i = 0; i < 3; i++) again.send({ type: 'typing', conversationId, typing: i % 2 === 0 });
      again.send({ type: 'ping' });
      await again.next('pong');
      expect(again.frames.filter((f) => f.type === 'error')).toEqual([]);
      expect(selects).not.toHaveBeenCalled();
    } finally {
      selects.mockRestore();
      again.close();
    }
  });
});
