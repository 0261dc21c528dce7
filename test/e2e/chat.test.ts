import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { eq } from 'drizzle-orm';
import { schema } from '../../db/index.ts';
import { buildExampleServer } from '../../examples/serve.ts';
import { PASSWORD, createTenant, driver, startServer, type Tenant, type TestServer } from '../helpers.ts';
import { launchBrowser } from './browser.ts';

describe(`browser: the example shop chats with the console (${driver})`, () => {
  let server: TestServer;
  let example: FastifyInstance;
  let exampleUrl: string;
  let tenant: Tenant;
  let browser: Browser;

  beforeAll(async () => {
    server = await startServer();
    tenant = await createTenant(server.database, []);
    example = await buildExampleServer({ serverUrl: server.url, siteKey: tenant.site.publicKey });
    await example.listen({ host: '127.0.0.1', port: 0 });
    // The shop is another origin (another port), as a customer's site would be.
    exampleUrl = `http://127.0.0.1:${(example.server.address() as AddressInfo).port}`;
    await server.database.db.update(schema.sites).set({ allowedOrigins: [exampleUrl] })
      .where(eq(schema.sites.id, tenant.site.id));
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await example?.close();
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
    await agentPage.getByTestId('login-submit').click();
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
});
