import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { schema } from '../../db/index.ts';
import { PASSWORD, createTenant, driver, loginAgent, post, type Tenant, type TestServer } from '../helpers.ts';
import { signInToConsole, withServerAndBrowser } from './browser.ts';

/** Searches go over real HTTP to a real database: a loaded machine may take a moment. */
const SOON = { timeout: 10_000 };

/** Newest activity first; only Alice (open) and Bob (resolved) ever wrote "refund". */
const SEED = [
  { name: 'Bob', status: 'resolved', body: 'The refund arrived this morning, thanks' },
  { name: 'Carol', status: 'open', body: 'How do I change my password?' },
  { name: 'Alice', status: 'open', body: 'I would like a refund for the blue kettle' },
  { name: 'Dan', status: 'pending', body: 'Do you ship to Canada?' },
] as const;

describe(`browser: agents search conversations from the console (${driver})`, () => {
  let server: TestServer;
  let browser: Browser;

  withServerAndBrowser((started, chromium) => { server = started; browser = chromium; });

  /**
   * One conversation per SEED row with its one visitor message, all the owner's (so that routing
   * moves none of them). Returns their ids by visitor name.
   */
  async function seed(tenant: Tenant): Promise<Record<string, string>> {
    const { db } = server.database;
    const siteId = tenant.site.id;
    const visitors = await db.insert(schema.visitors)
      .values(SEED.map(({ name }) => ({ siteId, name })))
      .returning({ id: schema.visitors.id });
    const now = Date.now();
    const conversations = await db.insert(schema.conversations)
      .values(SEED.map(({ status }, i) => ({
        siteId, visitorId: visitors[i]!.id, assigneeId: tenant.owner.id, status, lastSeq: 1,
        updatedAt: new Date(now - (i + 1) * 60_000), resolvedAt: status === 'resolved' ? new Date() : null,
      })))
      .returning({ id: schema.conversations.id });
    await db.insert(schema.messages).values(SEED.map(({ body }, i) => ({
      conversationId: conversations[i]!.id, seq: 1, clientId: randomUUID(), authorKind: 'visitor' as const,
      authorId: visitors[i]!.id, body,
    })));
    return Object.fromEntries(SEED.map(({ name }, i) => [name, conversations[i]!.id]));
  }

  async function signIn(): Promise<{ page: Page; pageErrors: string[]; ids: Record<string, string>; tenant: Tenant }> {
    const tenant = await createTenant(server.database, []);
    const ids = await seed(tenant);
    const { page, pageErrors } = await signInToConsole(browser, server.url, tenant.owner.email, PASSWORD,
      { viewport: { width: 1280, height: 800 } });
    await page.getByTestId('conversation-item').first().waitFor();
    return { page, pageErrors, ids, tenant };
  }

  /** The rows on screen: the list's, or the results' during a search. */
  const rows = (page: Page) => page.locator('[data-testid="conversation-item"]:visible').evaluateAll((items) =>
    items.map((item) => [
      item.querySelector('.item-name')?.textContent ?? '',
      item.querySelector('[data-testid="item-status"]')?.textContent ?? null,
    ]));
  const focusedId = (page: Page) => page.evaluate(() => document.activeElement?.getAttribute('data-id') ?? null);

  it('finds the conversations of every status that mention a word, opens one, and Escape brings the list back as it was', async () => {
    const { page, pageErrors, ids } = await signIn();
    // Mine, open: Carol then Alice. The cursor goes to Alice.
    await expect.poll(() => rows(page), SOON).toEqual([['Carol', null], ['Alice', null]]);
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    expect(await focusedId(page)).toBe(ids.Alice);

    // `s` focuses the box, and is not typed into it.
    await page.keyboard.press('s');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('search-input');
    await page.keyboard.type('refund');
    await expect.poll(() => rows(page), SOON).toEqual([['Bob', 'Resolved'], ['Alice', 'Open']]);
    expect(await page.getByTestId('search-input').inputValue()).toBe('refund');
    await page.screenshot({ path: '/tmp/search.png' });

    // A result is shown as the search found it, without being asked for once more.
    const refetched: string[] = [];
    page.on('request', (request) => {
      if (/\/api\/v1\/conversations\/[^/?]+$/.test(new URL(request.url()).pathname)) refetched.push(request.url());
    });
    // ArrowDown steps into the results, j moves on, Enter opens the resolved one.
    await page.keyboard.press('ArrowDown');
    expect(await focusedId(page)).toBe(ids.Bob);
    await page.keyboard.press('j');
    await page.keyboard.press('k');
    expect(await focusedId(page)).toBe(ids.Bob);
    await page.keyboard.press('Enter');
    await page.locator('#conversation-title', { hasText: 'Bob' }).waitFor(SOON);
    await page.locator('[data-testid="message"]', { hasText: 'The refund arrived this morning' }).waitFor(SOON);
    expect(page.url()).toContain(`#/c/${ids.Bob}`);
    expect(refetched).toEqual([]);

    await page.getByTestId('search-input').focus();
    await page.keyboard.press('Escape');
    await expect.poll(() => rows(page), SOON).toEqual([['Carol', null], ['Alice', null]]);
    expect(await page.getByTestId('search-input').inputValue()).toBe('');
    expect(await page.getByTestId('view-mine').getAttribute('aria-pressed')).toBe('true');
    expect(await page.getByTestId('status-open').getAttribute('aria-pressed')).toBe('true');
    // Back on the list's cursor, where the agent left it before searching (focused after the render).
    await expect.poll(() => focusedId(page), SOON).toBe(ids.Alice);
    // The shortcut is in the help.
    await page.keyboard.press('?');
    await page.getByTestId('shortcuts-help').getByText('Search conversations').waitFor();
    expect(pageErrors).toEqual([]);
  });

  it('shows a status changed live in the results, in its new place', async () => {
    const { page, pageErrors, ids, tenant } = await signIn();
    await page.getByTestId('search-input').fill('refund');
    await expect.poll(() => rows(page), SOON).toEqual([['Bob', 'Resolved'], ['Alice', 'Open']]);

    const token = await loginAgent(server, tenant.owner.email);
    const answer = await post(`${server.url}/api/v1/conversations/${ids.Alice}/status`,
      { status: 'pending' }, { authorization: `Bearer ${token}` });
    expect(answer.status).toBe(200);
    // Its activity is now the newest of the two.
    await expect.poll(() => rows(page), SOON).toEqual([['Alice', 'Pending'], ['Bob', 'Resolved']]);
    expect(pageErrors).toEqual([]);
  });

  it('says when it is searching, when nothing matches, and what the server found wrong with a query', async () => {
    const { page, pageErrors, ids, tenant } = await signIn();
    let release = () => {};
    const held = new Promise<void>((resolve) => { release = resolve; });
    await page.route(/\/api\/v1\/conversations\?.*q=/, async (route) => {
      await held;
      await route.continue();
    });
    await page.getByTestId('search-input').fill('lighthouse');
    await page.getByTestId('search-status').filter({ hasText: 'Searching…' }).waitFor(SOON);
    expect(await rows(page)).toEqual([]);
    release();
    await page.getByTestId('search-status').filter({ hasText: 'No conversations match' }).waitFor(SOON);

    // Longer than the server takes: its own message is shown.
    const tooLong = 'refund '.repeat(80);
    const token = await loginAgent(server, tenant.owner.email);
    const refused = await fetch(`${server.url}/api/v1/conversations?${new URLSearchParams({ q: tooLong, status: 'open' })}`,
      { headers: { authorization: `Bearer ${token}` } });
    expect(refused.status).toBe(400);
    const { message } = await refused.json() as { message: string };
    await page.getByTestId('search-input').fill(tooLong);
    await expect.poll(() => page.getByTestId('search-error').textContent(), SOON).toBe(message);
    expect(await rows(page)).toEqual([]);

    // One character is not a search: the list stays.
    await page.getByTestId('search-input').fill('r');
    await expect.poll(() => rows(page), SOON).toEqual([['Carol', null], ['Alice', null]]);
    // Escape empties the box and goes to the list, where no cursor was yet: to its first row.
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('search-input').inputValue(), SOON).toBe('');
    await expect.poll(() => focusedId(page), SOON).toBe(ids.Carol);
    expect(pageErrors).toEqual([]);
  });
});
