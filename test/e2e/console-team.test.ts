// The settings screen's team, as an owner uses it: change a teammate's role and capacity, see the
// server refuse to demote the last owner, and find it all stored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { eq } from 'drizzle-orm';
import { schema } from '../../db/index.ts';
import { PASSWORD, addAgent, createTenant, driver, startServer, type Tenant, type TestServer } from '../helpers.ts';
import { launchBrowser, signInToConsole } from './browser.ts';

describe(`browser: managing the team in the console's settings (${driver})`, () => {
  let server: TestServer;
  let tenant: Tenant;
  let browser: Browser;

  beforeAll(async () => {
    server = await startServer();
    tenant = await createTenant(server.database, [], 'team-ui');
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('changes a teammate\'s role and capacity, and shows why the last owner cannot be demoted', async () => {
    const dana = await addAgent(server.database, tenant.accountId, 'dana-team-ui@example.com', 'agent');
    const { page, pageErrors } = await signInToConsole(browser, server.url, tenant.owner.email, PASSWORD);
    await page.goto(`${server.url}/console/#/settings`);

    const row = page.locator(`[data-testid="team-member"][data-agent-id="${dana.id}"]`);
    await row.getByTestId('member-role').selectOption('admin');
    await row.getByTestId('member-capacity').fill('5');
    await row.getByTestId('member-capacity').press('Enter');
    const stored = async () => (await server.database.db.select().from(schema.agents).where(eq(schema.agents.id, dana.id)))[0]!;
    await expect.poll(async () => { const a = await stored(); return [a.role, a.capacity]; }).toEqual(['admin', 5]);

    // Clearing the field means no limit.
    await row.getByTestId('member-capacity').fill('');
    await row.getByTestId('member-capacity').press('Enter');
    await expect.poll(async () => (await stored()).capacity).toBeNull();

    const me = page.locator(`[data-testid="team-member"][data-agent-id="${tenant.owner.id}"]`);
    await me.getByTestId('member-role').selectOption('agent');
    await expect.poll(async () => me.getByTestId('member-error').textContent()).toContain('last owner');
    expect(await me.getByTestId('member-role').inputValue()).toBe('owner');
    const [owner] = await server.database.db.select().from(schema.agents).where(eq(schema.agents.id, tenant.owner.id));
    expect(owner!.role).toBe('owner');
    expect(pageErrors).toEqual([]);
  });
});
