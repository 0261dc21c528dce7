// The widget in a real browser with a site's own settings: a customer signed in on the shop (data-user-*
// signed by the shop's server), the team's name above replies, the launcher's label, the away notice,
// and a site that requires an identity showing nothing to anyone else.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import type { Browser } from 'playwright-core';
import { schema } from '../../db/index.ts';
import { buildExampleServer, type ShopUser } from '../../examples/serve.ts';
import { TestClient, createTenant, driver, loginAgent, startServer, type Tenant, type TestServer } from '../helpers.ts';
import { apiCaller } from '../api-call.ts';
import { launchBrowser } from './browser.ts';

describe(`browser: a site's settings and signed-in customers (${driver})`, () => {
  let server: TestServer;
  let tenant: Tenant;
  let ownerToken: string;
  let browser: Browser;
  const closers: (() => Promise<unknown>)[] = [];
  const call = apiCaller(() => server, () => ownerToken);

  /** The example shop on a port of its own, allowed by the site; with a signed-in customer if given. */
  async function openShop(user?: ShopUser): Promise<string> {
    const shop = await buildExampleServer({ serverUrl: server.url, siteKey: tenant.site.publicKey, ...(user ? { user } : {}) });
    await shop.listen({ host: '127.0.0.1', port: 0 });
    closers.push(() => shop.close());
    const url = `http://127.0.0.1:${(shop.server.address() as AddressInfo).port}`;
    const allowed = await call('PATCH', `/sites/${tenant.site.id}`, { allowedOrigins: [url] });
    expect(allowed.status).toBe(200);
    return url;
  }

  beforeAll(async () => {
    server = await startServer();
    tenant = await createTenant(server.database, []);
    ownerToken = await loginAgent(server, tenant.owner.email);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    for (const close of closers) await close();
    await server?.close();
  });

  it('chats as the signed-in customer, under the team\'s name, with the away notice and the launcher label', async () => {
    const rotated = await call<{ identitySecret: string }>('POST', `/sites/${tenant.site.id}/identity-secret`, {});
    // Open one minute a day, at a time that is not now: the team is away and says when it is back.
    const soon = new Date(Date.now() + 2 * 3_600_000);
    const start = `${String(soon.getUTCHours()).padStart(2, '0')}:00`;
    const range = [[start, `${start.slice(0, 2)}:01`]];
    const patched = await call('PATCH', `/sites/${tenant.site.id}`, {
      settings: { teamName: 'Acme Tea team', launcherLabel: 'Questions?', expectedReplyTime: 'in a few minutes' },
      businessHours: { timeZone: 'UTC', days: { mon: range, tue: range, wed: range, thu: range, fri: range, sat: range, sun: range } },
    });
    expect(patched.status).toBe(200);
    const url = await openShop({ id: 'customer-7', name: 'Ada Lovelace', email: 'ada@example.com', identitySecret: rotated.body.identitySecret });

    const page = await (await browser.newContext()).newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(url);
    expect(await page.getByTestId('parley-launcher-label').textContent()).toBe('Questions?');
    await page.getByTestId('parley-launcher').click();
    expect(await page.getByTestId('parley-team-status').textContent()).toMatch(/^We're away, back (at|\w+ at) /);
    await page.getByTestId('parley-input').fill('Is the Sencha in stock?');
    await page.getByTestId('parley-send').click();
    await page.locator('[data-testid="parley-message"][data-author="visitor"][data-seq="1"]').waitFor();

    const [visitor] = await server.database.db.select().from(schema.visitors)
      .where(eq(schema.visitors.externalId, 'customer-7'));
    expect(visitor).toMatchObject({ siteId: tenant.site.id, name: 'Ada Lovelace', email: 'ada@example.com' });
    const [conversation] = await server.database.db.select().from(schema.conversations)
      .where(eq(schema.conversations.visitorId, visitor!.id));

    const agent = await TestClient.connect(server, { token: ownerToken });
    await agent.ready('agent');
    agent.send({ type: 'message.send', conversationId: conversation!.id, clientId: randomUUID(), body: 'Yes, plenty.' });
    await agent.next('ack');
    agent.close();
    const reply = page.locator('[data-testid="parley-message"][data-author="agent"]').first();
    await reply.waitFor({ timeout: 15_000 });
    expect(await reply.getByTestId('parley-author').textContent()).toBe('Acme Tea team');
    expect(await reply.textContent()).not.toContain(tenant.owner.name);
    expect(pageErrors).toEqual([]);
  });

  it('shows nothing, and warns once, on a site that requires an identity when the page has none', async () => {
    expect((await call('PATCH', `/sites/${tenant.site.id}`, { requireIdentity: true })).status).toBe(200);
    const url = await openShop();
    const page = await (await browser.newContext()).newPage();
    const warnings: string[] = [];
    page.on('console', (message) => { if (message.type() === 'warning' && message.text().includes('[parley]')) warnings.push(message.text()); });
    await page.goto(url);
    await page.waitForEvent('console', { predicate: (m) => m.text().includes('[parley]'), timeout: 10_000 }).catch(() => {});
    await page.waitForTimeout(300);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('IDENTITY_REQUIRED');
    expect(await page.locator('#parley-widget').count()).toBe(0);
  });
});
