// An owner registers a webhook from the console's settings: the signing secret is shown once, is
// the one deliveries are signed with, and is gone after a reload while the webhook stays listed.
import { describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { eq } from 'drizzle-orm';
import { schema } from '../../db/index.ts';
import { PASSWORD, createTenant, driver, type TestServer } from '../helpers.ts';
import { signInToConsole, withServerAndBrowser } from './browser.ts';

describe(`browser: a webhook registered in the console's settings (${driver})`, () => {
  let server: TestServer;
  let browser: Browser;

  // The receiver's address is on loopback, which only local development may use.
  withServerAndBrowser((started, chromium) => { server = started; browser = chromium; }, { config: { webhooksAllowPrivate: true } });

  it('shows the signing secret once, the one stored for signing, and lists the webhook after a reload', async () => {
    const tenant = await createTenant(server.database, ['http://shop.test'], 'hooks-ui');
    const { page, pageErrors } = await signInToConsole(browser, server.url, tenant.owner.email, PASSWORD);
    await page.goto(`${server.url}/console/#/settings`);
    const url = 'http://127.0.0.1:9/parley-hook';
    await page.getByTestId('webhook-url').fill(url);
    await page.getByTestId('webhook-create').click();

    const shown = (await page.getByTestId('webhook-secret').textContent())?.trim() ?? '';
    const [stored] = await server.database.db.select().from(schema.webhooks).where(eq(schema.webhooks.accountId, tenant.accountId));
    expect(stored?.url).toBe(url);
    expect(stored?.events).toEqual(['message.created']);
    expect(shown.length).toBeGreaterThanOrEqual(32);
    expect(shown).toBe(stored?.secret);
    const item = page.getByTestId('webhook').filter({ hasText: url });
    await item.waitFor();

    await page.reload();
    await page.getByTestId('webhook').filter({ hasText: url }).waitFor();
    expect(await page.getByTestId('webhook-secret').count()).toBe(0);
    expect(await page.content()).not.toContain(shown);
    expect(pageErrors).toEqual([]);
  });
});
