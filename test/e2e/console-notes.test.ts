import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { eq } from 'drizzle-orm';
import { schema } from '../../db/index.ts';
import { PASSWORD, createTenant, driver, startServer, type Tenant, type TestServer } from '../helpers.ts';
import { launchBrowser, signInToConsole } from './browser.ts';
import { openShop, type Shop } from './shop.ts';

describe(`browser: an agent's private notes and snoozes in the console (${driver})`, () => {
  let server: TestServer;
  let shop: Shop;
  let tenant: Tenant;
  let browser: Browser;

  beforeAll(async () => {
    server = await startServer();
    tenant = await createTenant(server.database, []);
    shop = await openShop(server.url, server.database, tenant);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await shop?.close();
    await server?.close();
  });

  it('shows a private note to agents among the messages, never to the visitor, and snoozes the conversation', async () => {
    const NOTE = 'Customer is on the Pro plan; refund approved by Dana.';
    const visitor = await (await browser.newContext()).newPage();
    // Every frame the visitor's real socket receives, to prove the note never reaches it.
    const visitorFrames: string[] = [];
    visitor.on('websocket', (socket) => socket.on('framereceived', ({ payload }) => visitorFrames.push(String(payload))));
    await visitor.goto(shop.url);
    await visitor.getByTestId('parley-launcher').click();
    await visitor.getByTestId('parley-input').fill('My order 1042 has not arrived.');
    await visitor.getByTestId('parley-send').click();
    await visitor.locator('[data-testid="parley-message"][data-author="visitor"][data-seq="1"]').waitFor();

    const { page: agent, pageErrors } = await signInToConsole(browser, server.url, tenant.owner.email, PASSWORD);
    await agent.getByTestId('view-all').click();
    await agent.getByTestId('conversation-item').first().click();
    await agent.locator('[data-testid="message"][data-author="visitor"]').first().waitFor();

    // The note: switched to with the keyboard, written, sent with Enter.
    await agent.keyboard.press('n');
    const composer = agent.getByTestId('composer');
    expect(await agent.locator('form.composer').getAttribute('data-mode')).toBe('note');
    await composer.fill(NOTE);
    await composer.press('Enter');
    const note = agent.getByTestId('note');
    await note.waitFor();
    expect(await note.textContent()).toContain(NOTE);
    expect(await note.textContent()).toContain('Private note');
    // Styled as a note (amber, dashed), not as a reply bubble.
    const bubble = await note.locator('.bubble').evaluate((el) => getComputedStyle(el).borderTopStyle);
    expect(bubble).toBe('dashed');
    expect(await note.getAttribute('class')).toContain('msg-note');
    expect(await agent.locator('[data-testid="message"][data-author="agent"]').count()).toBe(0);

    // A reply after it: once the visitor has it, anything sent before it would have arrived too.
    await agent.keyboard.press('Alt+N');
    expect(await agent.locator('form.composer').getAttribute('data-mode')).toBe('reply');
    await composer.fill('We are looking into it.');
    await composer.press('Enter');
    await visitor.locator('[data-testid="parley-message"][data-author="agent"]').first().waitFor({ timeout: 15_000 });
    expect(visitorFrames.length).toBeGreaterThan(0);
    expect(visitorFrames.filter((frame) => frame.includes('Pro plan'))).toEqual([]);
    expect(await visitor.locator('#parley-widget').evaluate((host) => host.shadowRoot?.textContent ?? '')).not.toContain('Pro plan');

    // After a reload the note comes back from the server, in its place before the reply.
    await agent.reload();
    await agent.getByTestId('note').waitFor();
    const order = await agent.locator('.messages > li').evaluateAll((items) =>
      items.map((li) => (li.getAttribute('data-testid') === 'note' ? 'note' : li.getAttribute('data-author'))));
    expect(order).toEqual(['visitor', 'note', 'agent']);

    // Snooze for an hour from the status menu.
    await agent.getByTestId('snooze').click();
    await agent.getByTestId('snooze-hour').click();
    await agent.locator('[data-testid="conversation-status"]', { hasText: 'Snoozed' }).waitFor();
    expect(await agent.getByTestId('snoozed-until').textContent()).toMatch(/^Snoozed until /);
    const [stored] = await server.database.db.select().from(schema.conversations)
      .where(eq(schema.conversations.siteId, tenant.site.id));
    expect(stored!.status).toBe('snoozed');
    const minutesAway = (stored!.snoozedUntil!.getTime() - Date.now()) / 60_000;
    expect(minutesAway).toBeGreaterThan(55);
    expect(minutesAway).toBeLessThanOrEqual(60);
    await agent.getByTestId('status-snoozed').click();
    await agent.locator('[data-testid="conversation-item"]', { hasText: 'Snoozed until' }).waitFor();

    expect(pageErrors).toEqual([]);
  });
});
