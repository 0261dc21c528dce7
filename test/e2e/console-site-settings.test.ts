// A site's business hours, identity verification and bot-first switch, as an owner sets them in the
// console's settings: each saved, found in the database, and shown again after a reload.
import { describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { eq } from 'drizzle-orm';
import { schema } from '../../db/index.ts';
import { PASSWORD, createTenant, driver, get, loginAgent, type Tenant, type TestServer } from '../helpers.ts';
import { signInToConsole, withServerAndBrowser } from './browser.ts';

describe(`browser: a site's hours, identity and bot in the console's settings (${driver})`, () => {
  let server: TestServer;
  let browser: Browser;

  withServerAndBrowser((started, chromium) => { server = started; browser = chromium; });

  const storedSite = async (tenant: Tenant) =>
    (await server.database.db.select().from(schema.sites).where(eq(schema.sites.id, tenant.site.id)))[0]!;

  /** Signed in as the tenant's owner, on the settings screen, with the browser in New York. */
  async function openSettings(tenant: Tenant): Promise<{ page: Page; pageErrors: string[] }> {
    const { page, pageErrors } = await signInToConsole(browser, server.url, tenant.owner.email, PASSWORD, { timezoneId: 'America/New_York' });
    await page.goto(`${server.url}/console/#/settings`);
    await page.getByTestId('hours-form').waitFor();
    return { page, pageErrors };
  }

  it('sets weekday hours in Paris, refusing an interval that closes before it opens', async () => {
    const tenant = await createTenant(server.database, ['https://shop.example'], 'hours-ui');
    const { page, pageErrors } = await openSettings(tenant);
    const patches: string[] = [];
    page.on('request', (request) => { if (request.method() === 'PATCH') patches.push(request.url()); });

    expect(await page.getByTestId('hours-always').isChecked()).toBe(true);
    await page.getByTestId('hours-schedule').check();
    // A site without hours starts in the browser's own zone.
    expect(await page.getByTestId('hours-zone').inputValue()).toBe('America/New_York');
    await page.getByTestId('hours-zone').selectOption('Europe/Paris');
    for (const day of ['mon', 'tue', 'wed', 'thu', 'fri']) {
      const row = page.getByTestId(`hours-${day}`);
      await row.getByTestId('day-open').check();
      await row.getByTestId('day-from').fill('09:00');
      await row.getByTestId('day-to').fill('17:00');
    }
    for (const day of ['sat', 'sun']) await page.getByTestId(`hours-${day}`).getByTestId('day-open').uncheck();

    await page.getByTestId('hours-tue').getByTestId('day-to').fill('08:30');
    await page.getByTestId('hours-save').click();
    expect(await page.getByTestId('hours-error').textContent()).toBe('Tuesday: the opening time (09:00) must be before the closing time (08:30).');
    await page.screenshot({ path: '/tmp/settings-hours-invalid.png', fullPage: true });
    expect(patches).toEqual([]);
    expect((await storedSite(tenant)).businessHours).toBeNull();

    await page.getByTestId('hours-tue').getByTestId('day-to').fill('17:00');
    expect(await page.getByTestId('hours-error').count()).toBe(0);
    await page.getByTestId('hours-save').click();
    const weekdays = { timeZone: 'Europe/Paris', days: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [['09:00', '17:00']]])) };
    await expect.poll(async () => (await storedSite(tenant)).businessHours).toEqual(weekdays);
    await page.getByText('Saved').waitFor();

    await page.reload();
    await page.getByTestId('hours-form').waitFor();
    expect(await page.getByTestId('hours-schedule').isChecked()).toBe(true);
    expect(await page.getByTestId('hours-zone').inputValue()).toBe('Europe/Paris');
    expect(await page.getByTestId('hours-mon').getByTestId('day-open').isChecked()).toBe(true);
    expect(await page.getByTestId('hours-mon').getByTestId('day-from').inputValue()).toBe('09:00');
    expect(await page.getByTestId('hours-fri').getByTestId('day-to').inputValue()).toBe('17:00');
    expect(await page.getByTestId('hours-sat').getByTestId('day-open').isChecked()).toBe(false);
    await page.getByTestId('hours-save').scrollIntoViewIfNeeded();
    await page.screenshot({ path: '/tmp/settings-hours-saved.png', fullPage: true });

    // The API says the same.
    const api = await get<{ site: { businessHours: unknown } }>(`${server.url}/api/v1/sites/${tenant.site.id}`, await loginAgent(server, tenant.owner.email));
    expect(api.body.site.businessHours).toEqual(weekdays);

    // Always open again.
    await page.getByTestId('hours-always').check();
    await page.getByTestId('hours-save').click();
    await expect.poll(async () => (await storedSite(tenant)).businessHours).toBeNull();
    expect(pageErrors).toEqual([]);
  });

  it('keeps a day\'s later intervals, and shows the server\'s refusal when the edited one overlaps them', async () => {
    const tenant = await createTenant(server.database, [], 'hours-split-ui');
    const split = { timeZone: 'Europe/Paris', days: { mon: [['09:00', '12:00'], ['13:00', '18:00']] as [string, string][] } };
    await server.database.db.update(schema.sites).set({ businessHours: split }).where(eq(schema.sites.id, tenant.site.id));
    const { page, pageErrors } = await openSettings(tenant);

    const monday = page.getByTestId('hours-mon');
    expect(await monday.getByTestId('day-more').textContent()).toContain('13:00–18:00');
    await monday.getByTestId('day-to').fill('14:00');
    await page.getByTestId('hours-save').click();
    await expect.poll(async () => page.getByTestId('hours-error').textContent()).toContain('overlaps');
    await page.screenshot({ path: '/tmp/settings-hours-refused.png', fullPage: true });
    expect((await storedSite(tenant)).businessHours).toEqual(split);

    await monday.getByTestId('day-from').fill('08:00');
    await monday.getByTestId('day-to').fill('11:30');
    await page.getByTestId('hours-save').click();
    await expect.poll(async () => (await storedSite(tenant)).businessHours)
      .toEqual({ timeZone: 'Europe/Paris', days: { mon: [['08:00', '11:30'], ['13:00', '18:00']] } });
    expect(pageErrors).toEqual([]);
  });

  it('creates an identity secret shown once, requires identities, rotates, and turns bot first on', async () => {
    const tenant = await createTenant(server.database, [], 'identity-ui');
    const { page, pageErrors } = await openSettings(tenant);

    // No secret yet: requiring identities would lock every visitor out.
    expect(await page.getByTestId('require-identity').isDisabled()).toBe(true);
    await page.getByTestId('create-secret').click();
    const secret = await page.getByTestId('identity-secret').textContent();
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    expect((await storedSite(tenant)).identitySecret).toBe(secret);
    expect(await page.getByTestId('secret-created').textContent()).toContain('not shown again');

    await page.getByTestId('require-identity').check();
    await expect.poll(async () => (await storedSite(tenant)).requireIdentity).toBe(true);
    await page.getByTestId('bot-first-toggle').check();
    await expect.poll(async () => (await storedSite(tenant)).botFirst).toBe(true);
    await page.getByTestId('identity').scrollIntoViewIfNeeded();
    await page.screenshot({ path: '/tmp/settings-identity-secret.png', fullPage: true });

    await page.reload();
    await page.getByTestId('identity').waitFor();
    expect(await page.getByTestId('identity-secret').count()).toBe(0);
    expect(await page.getByTestId('create-secret').count()).toBe(0);
    expect(await page.getByTestId('require-identity').isChecked()).toBe(true);
    expect(await page.getByTestId('bot-first-toggle').isChecked()).toBe(true);

    await page.getByTestId('rotate-secret').click();
    await page.screenshot({ path: '/tmp/settings-identity-rotate.png', fullPage: true });
    await page.getByTestId('rotate-secret-confirm').click();
    const rotated = await page.getByTestId('identity-secret').textContent();
    expect(rotated).toMatch(/^[0-9a-f]{64}$/);
    expect(rotated).not.toBe(secret);
    expect((await storedSite(tenant)).identitySecret).toBe(rotated);

    await page.getByTestId('bot-first-toggle').uncheck();
    await page.getByTestId('require-identity').uncheck();
    await expect.poll(async () => { const s = await storedSite(tenant); return [s.botFirst, s.requireIdentity]; }).toEqual([false, false]);
    expect(pageErrors).toEqual([]);
  });

  // The widget form and the API tokens share their save row and shown-once block with the parts above.
  it('still saves the widget\'s look and shows a new API token once', async () => {
    const tenant = await createTenant(server.database, [], 'shared-ui');
    const { page, pageErrors } = await openSettings(tenant);
    await page.getByTestId('widget-title').fill('Ask the tea team');
    await page.getByTestId('widget-save').click();
    await expect.poll(async () => (await storedSite(tenant)).widgetSettings.title).toBe('Ask the tea team');
    await page.getByTestId('widget-color').fill('teal');
    await page.getByTestId('widget-save').click();
    await expect.poll(async () => page.getByTestId('widget-error').textContent()).toContain('not a CSS hex colour');

    await page.getByTestId('token-name').fill('CRM sync');
    await page.getByTestId('token-create').click();
    expect(await page.getByTestId('token-secret').textContent()).toMatch(/^parley_pat_/);
    expect(await page.getByTestId('token-created').textContent()).toContain('not shown again');
    expect(pageErrors).toEqual([]);
  });
});
