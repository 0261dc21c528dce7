// Canned responses through the REST API: account-wide and per site, shortcuts unique per account and
// site, and nothing of another account's reachable.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CannedResponseView } from '../../protocol/index.ts';
import { addAgent, createTenant, driver, loginAgent, startServer, type Tenant, type TestServer } from '../helpers.ts';
import { apiCaller } from '../api-call.ts';

interface ErrorAnswer { code: string; message: string }
type One = { cannedResponse: CannedResponseView };
type Many = { cannedResponses: CannedResponseView[] };

describe(`canned responses (${driver})`, () => {
  let server: TestServer;
  let tenant: Tenant;
  let other: Tenant;
  let ownerToken: string;
  let otherToken: string;
  let secondSiteId: string;

  const call = apiCaller(() => server, () => ownerToken);

  beforeAll(async () => {
    server = await startServer();
    tenant = await createTenant(server.database, ['http://shop.test'], 'canned');
    other = await createTenant(server.database, ['http://other.test'], 'canned-other');
    ownerToken = await loginAgent(server, tenant.owner.email);
    otherToken = await loginAgent(server, other.owner.email);
    const second = await call<{ site: { id: string } }>('POST', '/sites', { name: 'Second shop' });
    secondSiteId = second.body.site.id;
  });
  afterAll(async () => { await server.close(); });

  it('lists the account-wide replies and a site\'s own for that site, by shortcut', async () => {
    const wide = await call<One>('POST', '/canned-responses', { shortcut: 'Hours', body: ' We open at nine. ' });
    expect(wide.status, JSON.stringify(wide.body)).toBe(201);
    expect(wide.body.cannedResponse).toMatchObject({ shortcut: 'hours', body: 'We open at nine.', siteId: null });
    const mine = await call<One>('POST', '/canned-responses', { shortcut: 'address', body: '1 Shop Street', siteId: tenant.site.id });
    const theirs = await call<One>('POST', '/canned-responses', { shortcut: 'address', body: '2 Other Street', siteId: secondSiteId });
    expect([mine.status, theirs.status]).toEqual([201, 201]);

    const forSite = await call<Many>('GET', `/canned-responses?siteId=${tenant.site.id}`);
    expect(forSite.status).toBe(200);
    expect(forSite.body.cannedResponses.map((c) => c.id)).toEqual([mine.body.cannedResponse.id, wide.body.cannedResponse.id]);
    const all = await call<Many>('GET', '/canned-responses');
    expect(all.body.cannedResponses.map((c) => c.id).sort())
      .toEqual([wide, mine, theirs].map((c) => c.body.cannedResponse.id).sort());
  });

  it('refuses a shortcut already used for the same site (or account-wide) with 409 CONFLICT', async () => {
    const first = await call<One>('POST', '/canned-responses', { shortcut: 'refund', body: 'Within 30 days.' });
    expect(first.status).toBe(201);
    const again = await call<ErrorAnswer>('POST', '/canned-responses', { shortcut: 'REFUND', body: 'Another text' });
    expect({ status: again.status, code: again.body.code }).toEqual({ status: 409, code: 'CONFLICT' });
    // The same shortcut for one site is a different reply: the site's overrides the account's.
    const forSite = await call<One>('POST', '/canned-responses', { shortcut: 'refund', body: 'Within 14 days here.', siteId: tenant.site.id });
    expect(forSite.status).toBe(201);
    const renamed = await call<ErrorAnswer>('PATCH', `/canned-responses/${forSite.body.cannedResponse.id}`, { siteId: null });
    expect(renamed.body.code).toBe('CONFLICT');
    const other = await call<One>('POST', '/canned-responses', { shortcut: 'shipping', body: 'Two days.' });
    const clash = await call<ErrorAnswer>('PATCH', `/canned-responses/${other.body.cannedResponse.id}`, { shortcut: 'refund' });
    expect({ status: clash.status, code: clash.body.code }).toEqual({ status: 409, code: 'CONFLICT' });
  });

  it('keeps one reply per shortcut when several admins save the same one at the same instant', async () => {
    const saves = await Promise.all(Array.from({ length: 6 }, (_, i) =>
      call('POST', '/canned-responses', { shortcut: 'race', body: `Answer ${i}` })));
    expect(saves.map((save) => save.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
    expect(saves.every((save) => save.status === 201 || (save.body as { code: string }).code === 'CONFLICT')).toBe(true);
  });

  it('changes and deletes a reply', async () => {
    const created = await call<One>('POST', '/canned-responses', { shortcut: 'thanks', body: 'Thank you!' });
    const changed = await call<One>('PATCH', `/canned-responses/${created.body.cannedResponse.id}`, { body: 'Thanks a lot!', siteId: tenant.site.id });
    expect(changed.status).toBe(200);
    expect(changed.body.cannedResponse).toMatchObject({ shortcut: 'thanks', body: 'Thanks a lot!', siteId: tenant.site.id });
    expect(Date.parse(changed.body.cannedResponse.updatedAt)).toBeGreaterThanOrEqual(Date.parse(created.body.cannedResponse.updatedAt));
    const deleted = await call('DELETE', `/canned-responses/${created.body.cannedResponse.id}`);
    expect(deleted).toEqual({ status: 200, body: { deleted: true } });
    expect((await call<ErrorAnswer>('DELETE', `/canned-responses/${created.body.cannedResponse.id}`)).body.code).toBe('NOT_FOUND');
  });

  it('validates shortcuts and bodies', async () => {
    for (const body of [{ shortcut: 'two words', body: 'x' }, { shortcut: '', body: 'x' }, { shortcut: 'ok', body: '' }, { shortcut: 'ok' }]) {
      const answer = await call<ErrorAnswer>('POST', '/canned-responses', body);
      expect({ status: answer.status, code: answer.body.code }, JSON.stringify(body)).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
    }
    expect((await call<One>('POST', '/canned-responses', { shortcut: 'café_2-go', body: 'ok' })).status).toBe(201);
  });

  it('treats another account\'s site and replies as missing', async () => {
    const theirs = await call<One>('POST', '/canned-responses', { shortcut: 'secret', body: 'Their text' }, otherToken);
    expect(theirs.status).toBe(201);
    const id = theirs.body.cannedResponse.id;
    for (const [method, path, body] of [
      ['GET', `/canned-responses?siteId=${other.site.id}`, undefined],
      ['POST', '/canned-responses', { shortcut: 'x', body: 'y', siteId: other.site.id }],
      ['PATCH', `/canned-responses/${id}`, { body: 'overwritten' }],
      ['DELETE', `/canned-responses/${id}`, undefined],
    ] as const) {
      const answer = await call<ErrorAnswer>(method, path, body);
      const missing = await call<ErrorAnswer>(method, path.replace(other.site.id, randomUUID()).replace(id, randomUUID()), body);
      expect({ status: answer.status, code: answer.body.code }, `${method} ${path}`).toEqual({ status: 404, code: 'NOT_FOUND' });
      expect(answer.body.message).toBe(missing.body.message);
      expect(JSON.stringify(answer.body)).not.toContain('Their text');
    }
    const mine = await call<Many>('GET', '/canned-responses');
    expect(mine.body.cannedResponses.map((c) => c.id)).not.toContain(id);
    const stillTheirs = await call<Many>('GET', '/canned-responses', undefined, otherToken);
    expect(stillTheirs.body.cannedResponses.find((c) => c.id === id)?.body).toBe('Their text');
  });

  it('lets every agent read them and only admins change them', async () => {
    const agent = await addAgent(server.database, tenant.accountId, 'agent-canned@example.com', 'agent');
    const agentToken = await loginAgent(server, agent.email);
    expect((await call<Many>('GET', '/canned-responses', undefined, agentToken)).status).toBe(200);
    const refused = await call<ErrorAnswer>('POST', '/canned-responses', { shortcut: 'nope', body: 'x' }, agentToken);
    expect({ status: refused.status, code: refused.body.code }).toEqual({ status: 403, code: 'FORBIDDEN' });
  });
});
