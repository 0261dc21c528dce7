import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { inArray } from 'drizzle-orm';
import { schema } from '../../db/index.ts';
import {
  PASSWORD, createTenant, createTestDatabase, driver, loginAgent, post, startServer, type Tenant, type TestServer,
} from '../helpers.ts';
import { launchBrowser } from './browser.ts';

/** More than the server's first page of 100, less than two. */
const COUNT = 130;
/** Pages load over real HTTP from a real database: a loaded machine may take a moment. */
const SOON = { timeout: 10_000 };

describe(`browser: the console's lists load page after page (${driver})`, () => {
  // A database of our own, so that the server can be restarted on it.
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let server: TestServer;
  let browser: Browser;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    server = await startServer({ database });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await database?.close();
  });

  /**
   * COUNT open conversations of the tenant's owner, in a few statements: "Customer 1" wrote last,
   * "Customer 130" longest ago. Assigned already, so routing hands none of them out (and moves
   * none to the top) when the owner comes online. Returns their ids, newest activity first.
   */
  async function seed(tenant: Tenant): Promise<string[]> {
    const { db } = database;
    const siteId = tenant.site.id;
    const numbers = Array.from({ length: COUNT }, (_, i) => i + 1);
    const visitors = await db.insert(schema.visitors)
      .values(numbers.map((n) => ({ siteId, name: `Customer ${n}` })))
      .returning({ id: schema.visitors.id });
    const now = Date.now();
    const conversations = await db.insert(schema.conversations)
      .values(visitors.map((visitor, i) => ({
        siteId, visitorId: visitor.id, assigneeId: tenant.owner.id, lastSeq: 1, updatedAt: new Date(now - (i + 1) * 60_000),
      })))
      .returning({ id: schema.conversations.id });
    await db.insert(schema.messages).values(conversations.map((conversation, i) => ({
      conversationId: conversation.id, seq: 1, clientId: randomUUID(), authorKind: 'visitor' as const,
      authorId: visitors[i]!.id, body: `Question ${i + 1}`,
    })));
    return conversations.map((conversation) => conversation.id);
  }

  async function signIn(tenant: Tenant, options: { withoutObserver?: boolean; beforeLoad?: (page: Page) => Promise<unknown> } = {}): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await options.beforeLoad?.(page);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    // The fallback path: a browser without IntersectionObserver, or an agent on the keyboard.
    if (options.withoutObserver) await page.addInitScript(() => Reflect.deleteProperty(window, 'IntersectionObserver'));
    await page.goto(`${server.url}/console/`);
    await page.getByTestId('login-email').fill(tenant.owner.email);
    await page.getByTestId('login-password').fill(PASSWORD);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('conversation-item').first().waitFor();
    return page;
  }

  const focusedId = (page: Page) => page.evaluate(() => document.activeElement?.getAttribute('data-id') ?? null);

  it('loads older conversations as the agent scrolls to the end, and opens the oldest', async () => {
    const tenant = await createTenant(server.database, []);
    const ids = await seed(tenant);
    const page = await signIn(tenant);
    const items = page.getByTestId('conversation-item');
    await expect.poll(() => items.count(), SOON).toBe(100);
    expect(await page.getByTestId('load-more').textContent()).toBe('Load more');

    // A reply in a conversation on the page not loaded yet brings it to the top at once; the page
    // loaded later must not list it a second time.
    const token = await loginAgent(server, tenant.owner.email);
    const reply = await post(`${server.url}/api/v1/conversations/${ids[119]}/messages`,
      { body: 'Following up on your order' }, { authorization: `Bearer ${token}` });
    expect(reply.status).toBe(201);
    await expect.poll(() => items.first().getAttribute('data-id'), SOON).toBe(ids[119]);
    expect(await items.count()).toBe(101);

    // The next page waits until the "Loading…" row has been seen.
    let release = () => {};
    const held = new Promise<void>((resolve) => { release = resolve; });
    await page.route(/\/api\/v1\/conversations\?.*cursor=/, async (route) => {
      await held;
      await route.continue();
    });
    await page.locator('.conversation-list').evaluate((list) => { list.scrollTop = list.scrollHeight; });
    await page.getByTestId('load-more').filter({ hasText: 'Loading…' }).waitFor();
    release();

    const oldest = page.locator(`[data-testid="conversation-item"][data-id="${ids[COUNT - 1]}"]`);
    await oldest.waitFor();
    await expect.poll(() => items.count(), SOON).toBe(COUNT);
    const listed = await items.evaluateAll((buttons) => buttons.map((button) => button.getAttribute('data-id')));
    expect(new Set(listed)).toEqual(new Set(ids));
    // Nothing older: no button, no "Loading…".
    expect(await page.getByTestId('load-more').count()).toBe(0);

    await oldest.click();
    await page.locator('#conversation-title', { hasText: `Customer ${COUNT}` }).waitFor();
    await page.locator('[data-testid="message"]', { hasText: `Question ${COUNT}` }).waitFor();
    await page.screenshot({ path: '/tmp/paging.png' });
    expect(pageErrors).toEqual([]);
  });

  it('moves the keyboard cursor past the last loaded conversation by loading the next page', async () => {
    const tenant = await createTenant(server.database, []);
    const ids = await seed(tenant);
    const page = await signIn(tenant, { withoutObserver: true });
    const items = page.getByTestId('conversation-item');
    await expect.poll(() => items.count(), SOON).toBe(100);

    // Without an observer, scrolling to the end loads nothing: only the keys do.
    await items.nth(99).focus();
    expect(await focusedId(page)).toBe(ids[99]);
    await page.keyboard.press('j');
    await expect.poll(() => focusedId(page), SOON).toBe(ids[100]);
    expect(await items.count()).toBe(COUNT);
    await page.keyboard.press('j');
    expect(await focusedId(page)).toBe(ids[101]);
    expect(pageErrors).toEqual([]);
  });

  it('loads the next page from the "Load more" button, reached with Tab; another list starts from its top', async () => {
    const tenant = await createTenant(server.database, []);
    await seed(tenant);
    const page = await signIn(tenant, { withoutObserver: true });
    const items = page.getByTestId('conversation-item');
    await expect.poll(() => items.count(), SOON).toBe(100);

    await items.first().focus();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('load-more');
    await page.keyboard.press('Enter');
    await expect.poll(() => items.count(), SOON).toBe(COUNT);
    expect(await page.getByTestId('load-more').count()).toBe(0);

    // Another view starts at its top; another status and back starts again from first pages.
    const scrollTop = () => page.locator('.conversation-list').evaluate((list) => list.scrollTop);
    await items.last().focus();
    expect(await scrollTop()).toBeGreaterThan(0);
    await page.getByTestId('view-all').click();
    expect(await scrollTop()).toBe(0);
    await page.getByTestId('status-pending').click();
    await page.getByText('No conversations here.').waitFor();
    await page.getByTestId('status-open').click();
    await expect.poll(() => items.count(), SOON).toBe(100);
    expect(await page.getByTestId('load-more').count()).toBe(1);
    expect(pageErrors).toEqual([]);
  });

  // The socket's first `ready` reloads the lists too (as after any reconnect). A page asked for
  // while that reload is on its way must not be replaced by it when it lands.
  it('keeps a page loaded while the list reloads', async () => {
    const tenant = await createTenant(database, []);
    await seed(tenant);
    let firstPages = 0;
    let release!: () => void;
    const held = new Promise<void>((resolve) => { release = resolve; });
    const page = await signIn(tenant, {
      withoutObserver: true,
      beforeLoad: (p) => p.route(/\/api\/v1\/conversations\?/, async (route) => {
        const query = new URL(route.request().url()).searchParams;
        // The second first-page request of the list on screen: the reload the socket's ready asks for.
        if (query.get('view') === 'mine' && query.get('status') === 'open' && !query.has('cursor') && ++firstPages === 2) await held;
        await route.continue();
      }),
    });
    const items = page.getByTestId('conversation-item');
    await expect.poll(() => items.count(), SOON).toBe(100);
    await expect.poll(() => firstPages, SOON).toBe(2);
    await page.getByTestId('load-more').click();
    await page.waitForTimeout(1_000);
    release();
    await expect.poll(() => items.count(), SOON).toBe(COUNT);
    // Still all there once every request has landed.
    await page.waitForTimeout(1_000);
    expect(await items.count()).toBe(COUNT);
    expect(pageErrors).toEqual([]);
  });

  it('keeps the pages it loaded across a reconnect, refreshed from the server', async () => {
    const tenant = await createTenant(database, []);
    const ids = await seed(tenant);
    const page = await signIn(tenant);
    const items = page.getByTestId('conversation-item');
    await page.locator('.conversation-list').evaluate((list) => { list.scrollTop = list.scrollHeight; });
    await expect.poll(() => items.count(), SOON).toBe(COUNT);
    // Back at the top, where the end of the list is out of sight and loads nothing by itself.
    await page.locator('.conversation-list').evaluate((list) => { list.scrollTop = 0; });

    // While the console is cut off, one conversation of each page is resolved elsewhere.
    const port = Number(new URL(server.url).port);
    await server.close();
    await database.db.update(schema.conversations).set({ status: 'resolved', updatedAt: new Date() })
      .where(inArray(schema.conversations.id, [ids[10]!, ids[120]!]));
    server = await startServer({ database, port });

    // Back online, the console reloads both pages: the two leave the list, the rest stay (a
    // reload of the first page only would leave 100).
    await expect.poll(() => items.count(), { timeout: 20_000 }).toBe(COUNT - 2);
    const listed = await items.evaluateAll((buttons) => buttons.map((button) => button.getAttribute('data-id')));
    expect(listed).toEqual(ids.filter((id) => id !== ids[10] && id !== ids[120]));
    expect(await page.getByTestId('load-more').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});
