import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { eq } from 'drizzle-orm';
import { schema } from '../../db/index.ts';
import {
  TestClient, createTenant, createTestDatabase, driver, loginAgent, startServer,
  type Tenant, type TestServer,
} from '../helpers.ts';
import { launchBrowser } from './browser.ts';
import { openShop, type Shop } from './shop.ts';

describe(`browser: the widget rides out a server restart (${driver})`, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let server: TestServer;
  let port: number;
  let shopSite: Shop;
  let tenant: Tenant;
  let browser: Browser;

  beforeAll(async () => {
    database = await createTestDatabase();
    server = await startServer({ database });
    port = Number(new URL(server.url).port);
    tenant = await createTenant(database, []);
    shopSite = await openShop(server.url, database, tenant);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await shopSite?.close();
    await server?.close();
    await database?.close();
  });

  it('keeps messages typed while the server is down and delivers them in order when it returns', async () => {
    const shop = await (await browser.newContext()).newPage();
    await shop.goto(shopSite.url);
    await shop.getByTestId('parley-launcher').click();
    await shop.getByTestId('parley-input').fill('first, while online');
    await shop.getByTestId('parley-send').click();
    await shop.locator('[data-testid="parley-message"][data-seq="1"]').waitFor();

    await server.close();
    for (const text of ['second, server down', 'third, server down']) {
      await shop.getByTestId('parley-input').fill(text);
      await shop.getByTestId('parley-send').click();
    }
    // Shown at once, not yet acknowledged (no seq).
    await shop.locator('[data-testid="parley-message"][data-author="visitor"]:not([data-seq])').nth(1).waitFor();

    server = await startServer({ database, port });
    const agent = await TestClient.connect(server, { token: await loginAgent(server, tenant.owner.email) });
    await agent.ready('agent');
    await shop.locator('[data-testid="parley-message"][data-seq="3"]').waitFor({ timeout: 20_000 });

    const [conversation] = await database.db.select().from(schema.conversations)
      .where(eq(schema.conversations.siteId, tenant.site.id));
    const stored = await database.db.select({ seq: schema.messages.seq, body: schema.messages.body }).from(schema.messages)
      .where(eq(schema.messages.conversationId, conversation!.id)).orderBy(schema.messages.seq);
    expect(stored).toEqual([
      { seq: 1, body: 'first, while online' },
      { seq: 2, body: 'second, server down' },
      { seq: 3, body: 'third, server down' },
    ]);

    agent.send({ type: 'message.send', conversationId: conversation!.id, clientId: 'reply-1', body: 'Got all three.' });
    await agent.next('ack');
    const reply = shop.locator('[data-testid="parley-message"][data-author="agent"]');
    await reply.waitFor();
    expect(await reply.textContent()).toContain('Got all three.');
    const seqs = await shop.locator('[data-testid="parley-message"][data-seq]').evaluateAll(
      (nodes) => nodes.map((node) => Number(node.getAttribute('data-seq'))));
    expect(seqs).toEqual([1, 2, 3, 4]);
    agent.close();
  });

  it('keeps an unsent message across a page reload and delivers it when the server returns', async () => {
    const context = await browser.newContext();
    const shop = await context.newPage();
    await shop.goto(shopSite.url);
    await shop.getByTestId('parley-launcher').click();
    await shop.getByTestId('parley-input').fill('before the outage');
    await shop.getByTestId('parley-send').click();
    await shop.locator('[data-testid="parley-message"][data-seq]').last().waitFor();
    const delivered = await shop.locator('[data-testid="parley-message"][data-seq]').count();

    await server.close();
    await shop.getByTestId('parley-input').fill('written offline, then the page was reloaded');
    await shop.getByTestId('parley-send').click();
    await shop.locator('[data-testid="parley-message"]:not([data-seq])').waitFor();
    await shop.reload();

    // That page view had no widget at all (widget.js is served by the stopped server). Once the
    // server is back, the next page view finds the outbox in localStorage and sends it.
    server = await startServer({ database, port });
    await shop.reload();
    if (!(await shop.getByTestId('parley-panel').isVisible())) await shop.getByTestId('parley-launcher').click();
    const arrived = shop.locator(`[data-testid="parley-message"][data-seq="${delivered + 1}"]`);
    await arrived.waitFor({ timeout: 20_000 });
    expect(await arrived.textContent()).toContain('written offline, then the page was reloaded');
    const stored = await database.db.select({ body: schema.messages.body }).from(schema.messages)
      .where(eq(schema.messages.body, 'written offline, then the page was reloaded'));
    expect(stored).toHaveLength(1);
    await context.close();
  });
});
