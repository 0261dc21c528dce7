// An invitation link opened in a real browser: the invitee chooses a password and lands in the inbox,
// signed in; the used link leaves the address bar, and opening it again says it is spent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { createTenant, driver, loginAgent, post, startServer, type Tenant, type TestServer } from '../helpers.ts';
import { launchBrowser } from './browser.ts';

describe(`browser: accepting an invitation in the console (${driver})`, () => {
  let server: TestServer;
  let tenant: Tenant;
  let browser: Browser;

  beforeAll(async () => {
    server = await startServer();
    tenant = await createTenant(server.database, []);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('sets the password from the link and opens the inbox, signed in as the invitee', async () => {
    const ownerToken = await loginAgent(server, tenant.owner.email);
    const invited = await post<{ inviteUrl: string; emailed: boolean }>(`${server.url}/api/v1/agents`,
      { email: 'new.colleague@example.com', name: 'New Colleague', role: 'agent' }, { authorization: `Bearer ${ownerToken}` });
    expect(invited.status).toBe(201);
    // No SMTP server in this test: the link is only returned, as the owner would pass it on.
    expect(invited.body.emailed).toBe(false);
    const link = `${server.url}/console/${new URL(invited.body.inviteUrl).hash}`;

    const page = await (await browser.newContext()).newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(link);
    await page.getByTestId('accept-password').fill('my chosen passphrase');
    await page.getByTestId('accept-confirmation').fill('my chosen passphrase');
    await page.getByTestId('accept-submit').click();
    await page.getByTestId('view-all').waitFor();
    expect(new URL(page.url()).hash).toBe('');
    expect(pageErrors).toEqual([]);

    const login = await post<{ agent: { name: string } }>(`${server.url}/api/v1/auth/login`,
      { email: 'new.colleague@example.com', password: 'my chosen passphrase' });
    expect(login.status).toBe(200);
    expect(login.body.agent.name).toBe('New Colleague');

    const again = await (await browser.newContext()).newPage();
    await again.goto(link);
    await again.getByTestId('accept-password').fill('another passphrase');
    await again.getByTestId('accept-confirmation').fill('another passphrase');
    await again.getByTestId('accept-submit').click();
    await again.getByTestId('accept-error').waitFor();
    expect(await again.getByTestId('accept-error').textContent()).toContain('expired or was already used');
  });
});
