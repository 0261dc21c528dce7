import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { schema } from '../../db/index.ts';
import { buildExampleServer } from '../../examples/serve.ts';
import { PASSWORD, createTenant, driver, startServer, type Tenant, type TestServer } from '../helpers.ts';
import { launchBrowser } from './browser.ts';
import { openShop, type Shop } from './shop.ts';

describe(`browser: the example shop chats with the console (${driver})`, () => {
  let server: TestServer;
  let shop: Shop;
  let exampleUrl: string;
  let tenant: Tenant;
  let browser: Browser;

  beforeAll(async () => {
    server = await startServer();
    tenant = await createTenant(server.database, []);
    shop = await openShop(server.url, server.database, tenant);
    exampleUrl = shop.url;
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await shop?.close();
    await server?.close();
  });

  it('visitor writes from the shop, the agent answers from the console, the widget shows the answer', async () => {
    const shop = await (await browser.newContext()).newPage();
    const pageErrors: string[] = [];
    shop.on('pageerror', (error) => pageErrors.push(error.message));
    await shop.goto(exampleUrl);
    await shop.getByTestId('parley-launcher').click();
    await shop.getByTestId('parley-input').fill('Do you ship to Norway?');
    await shop.getByTestId('parley-send').click();
    await shop.locator('[data-testid="parley-message"][data-author="visitor"][data-seq="1"]').waitFor();

    const agentPage = await (await browser.newContext()).newPage();
    await agentPage.goto(`${server.url}/console/`);
    await agentPage.getByTestId('login-email').fill(tenant.owner.email);
    await agentPage.getByTestId('login-password').fill(PASSWORD);
    const renewed = agentPage.waitForResponse((r) => r.url().endsWith('/api/v1/auth/refresh') && r.status() === 200);
    await agentPage.getByTestId('login-submit').click();
    // The console renews its token at sign-in (and hourly), so a long shift never hits expiry.
    await renewed;
    await agentPage.getByTestId('view-all').click();
    await agentPage.getByTestId('conversation-item').first().click();
    const incoming = agentPage.locator('[data-testid="message"][data-author="visitor"]').first();
    await incoming.waitFor();
    expect(await incoming.textContent()).toContain('Do you ship to Norway?');

    await agentPage.getByTestId('composer').fill('Yes, in 3 to 5 days.');
    await agentPage.getByTestId('send').click();

    const reply = shop.locator('[data-testid="parley-message"][data-author="agent"]').first();
    await reply.waitFor({ timeout: 15_000 });
    expect(await reply.textContent()).toContain('Yes, in 3 to 5 days.');

    // The widget lives in a shadow root: the host page's own styles and scripts are untouched.
    expect(await shop.evaluate(() => Boolean(document.getElementById('parley-widget')?.shadowRoot))).toBe(true);
    expect(pageErrors).toEqual([]);

    const stored = await server.database.db.select({ body: schema.messages.body, seq: schema.messages.seq })
      .from(schema.messages).orderBy(schema.messages.seq);
    expect(stored).toEqual([{ body: 'Do you ship to Norway?', seq: 1 }, { body: 'Yes, in 3 to 5 days.', seq: 2 }]);
  });

  it('renders nothing and warns once for an unknown site key or a page on an origin the site does not allow', async () => {
    const unknown = await buildExampleServer({ serverUrl: server.url, siteKey: 'site_does_not_exist' });
    await unknown.listen({ host: '127.0.0.1', port: 0 });
    try {
      const cases = [
        [`http://127.0.0.1:${(unknown.server.address() as AddressInfo).port}/`, 'SITE_NOT_FOUND'],
        // Same shop, reached through another host name: another origin, not in the allowed list.
        [exampleUrl.replace('127.0.0.1', 'localhost'), 'ORIGIN_NOT_ALLOWED'],
      ] as const;
      for (const [url, code] of cases) {
        const page = await (await browser.newContext()).newPage();
        const warnings: string[] = [];
        const errors: string[] = [];
        page.on('console', (message) => { if (message.type() === 'warning' && message.text().includes('[parley]')) warnings.push(message.text()); });
        page.on('pageerror', (error) => errors.push(error.message));
        await page.goto(url);
        await page.waitForEvent('console', { predicate: (m) => m.text().includes('[parley]'), timeout: 10_000 }).catch(() => {});
        await page.waitForTimeout(300);
        expect(warnings, url).toHaveLength(1);
        expect(warnings[0]).toContain(code);
        expect(await page.locator('#parley-widget').count()).toBe(0);
        expect(errors).toEqual([]);
      }
    } finally {
      await unknown.close();
    }
  });
});
