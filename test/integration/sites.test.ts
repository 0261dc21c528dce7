// Sites through the REST API, and what the widget's session call makes of them: settings, business
// hours, wildcard origins and identity verification.
import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { schema } from '../../db/index.ts';
import type { SiteView, WidgetSessionResponse } from '../../protocol/index.ts';
import { TestClient, addAgent, createTenant, driver, loginAgent, startServer, type Tenant, type TestServer } from '../helpers.ts';
import { apiCaller } from '../api-call.ts';

interface ErrorAnswer { code: string; message: string }
interface Created { site: SiteView; identitySecret: string }

describe(`sites (${driver})`, () => {
  let server: TestServer;
  let tenant: Tenant;
  let ownerToken: string;
  let otherToken: string;

  const call = apiCaller(() => server, () => ownerToken);

  async function session(publicKey: string, origin: string, body: Record<string, unknown> = {}) {
    const response = await fetch(`${server.url}/api/widget/session?site=${encodeURIComponent(publicKey)}`, {
      method: 'POST', headers: { 'content-type': 'application/json', origin }, body: JSON.stringify(body),
    });
    return { status: response.status, cors: response.headers.get('access-control-allow-origin'), body: await response.json() as WidgetSessionResponse & ErrorAnswer };
  }

  const userHash = (secret: string, userId: string) => createHmac('sha256', secret).update(userId).digest('hex');

  async function createSite(body: Record<string, unknown>): Promise<Created> {
    const created = await call<Created>('POST', '/sites', { name: `Site ${randomUUID().slice(0, 6)}`, ...body });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body;
  }

  beforeAll(async () => {
    server = await startServer();
    tenant = await createTenant(server.database, ['http://shop.test'], 'sites');
    ownerToken = await loginAgent(server, tenant.owner.email);
    const other = await createTenant(server.database, ['http://other.test'], 'sites-other');
    otherToken = await loginAgent(server, other.owner.email);
  });
  afterAll(async () => { await server.close(); });

  it('creates a site with a public key and shows its identity secret only in that answer', async () => {
    const { site, identitySecret } = await createSite({
      allowedOrigins: ['https://Shop.Example.com/', 'https://shop.example.com'],
      settings: { color: '#0F766E', teamName: 'The Shop team', locale: 'fr-ca' },
    });
    expect(site.publicKey).toMatch(/^site_/);
    expect(identitySecret).toMatch(/^[0-9a-f]{64}$/);
    expect(site.hasIdentitySecret).toBe(true);
    expect(site.allowedOrigins).toEqual(['https://shop.example.com']);
    expect(site.settings).toMatchObject({ color: '#0F766E', teamName: 'The Shop team', locale: 'fr-CA', position: 'right', title: 'Chat with us' });
    expect(site).toMatchObject({ businessHours: null, requireIdentity: false, botFirst: false });

    const fetched = await call<{ site: SiteView }>('GET', `/sites/${site.id}`);
    expect(fetched.status).toBe(200);
    expect(fetched.body.site).toEqual(site);
    expect(JSON.stringify(fetched.body)).not.toContain(identitySecret);
    const listed = await call<{ sites: SiteView[] }>('GET', '/sites?limit=200');
    expect(JSON.stringify(listed.body)).not.toContain(identitySecret);
    expect(listed.body.sites.find((s) => s.id === site.id)?.publicKey).toBe(site.publicKey);
  });

  it('lists the account\'s sites page by page, newest first, and no other account\'s', async () => {
    const a = await createSite({});
    const b = await createSite({});
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { sites: SiteView[]; nextCursor: string | null } } =
        await call('GET', `/sites?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.sites.length).toBeLessThanOrEqual(1);
      seen.push(...page.body.sites.map((s) => s.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen.indexOf(b.site.id)).toBeLessThan(seen.indexOf(a.site.id));
    expect(seen).toContain(tenant.site.id);
    expect(new Set(seen).size).toBe(seen.length);
    const others = await call<{ sites: SiteView[] }>('GET', '/sites', undefined, otherToken);
    expect(others.body.sites.map((s) => s.id)).not.toContain(a.site.id);
    expect((await call<ErrorAnswer>('GET', '/sites?cursor=nonsense')).body.code).toBe('VALIDATION_FAILED');
    const forged = Buffer.from(JSON.stringify(['not a time', 'not a uuid'])).toString('base64url');
    expect(await call<ErrorAnswer>('GET', `/sites?cursor=${forged}`)).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
  });

  it('changes what a PATCH names and merges widget settings; null removes an optional one', async () => {
    const { site } = await createSite({ settings: { teamName: 'Team', launcherLabel: 'Help' } });
    const changed = await call<{ site: SiteView }>('PATCH', `/sites/${site.id}`, {
      name: 'Renamed', settings: { position: 'left', launcherLabel: null, expectedReplyTime: 'in a few minutes' }, botFirst: true,
      businessHours: { timeZone: 'Europe/Paris', days: { mon: [['09:00', '17:30']] } },
    });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(changed.body.site).toMatchObject({ name: 'Renamed', botFirst: true, publicKey: site.publicKey });
    expect(changed.body.site.settings).toEqual({ ...site.settings, position: 'left', teamName: 'Team', expectedReplyTime: 'in a few minutes', launcherLabel: undefined });
    expect(changed.body.site.settings).not.toHaveProperty('launcherLabel');
    expect(changed.body.site.businessHours).toEqual({ timeZone: 'Europe/Paris', days: { mon: [['09:00', '17:30']] } });
  });

  it('refuses invalid sites with 400 VALIDATION_FAILED, saying what is wrong', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ allowedOrigins: ['https://shop.example.com/checkout'] }, /"https:\/\/shop\.example\.com\/checkout".*path/],
      [{ allowedOrigins: ['http://*.example.com'] }, /"http:\/\/\*\.example\.com".*https/],
      [{ allowedOrigins: ['https://user@shop.example.com'] }, /user name/],
      [{ settings: { color: 'red; background: url(x)' } }, /color/],
      [{ settings: { color: '#12345' } }, /not a CSS hex colour/],
      [{ settings: { locale: 'not a locale!' } }, /BCP 47/],
      [{ businessHours: { timeZone: 'Mars/Olympus', days: {} } }, /not an IANA time zone/],
      [{ businessHours: { timeZone: 'UTC', days: { mon: [['18:00', '09:00']] } } }, /not before/],
      [{ settings: { position: 'top' } }, /position/],
      [{ settings: { title: '   ' } }, /title/],
    ];
    for (const [body, message] of cases) {
      const created = await call<ErrorAnswer>('POST', '/sites', { name: 'Bad', ...body });
      expect(created.status, JSON.stringify(body)).toBe(400);
      expect(created.body.code).toBe('VALIDATION_FAILED');
      expect(created.body.message, JSON.stringify(body)).toMatch(message);
    }
    // The tenant's site predates identity secrets: nobody could pass its requirement.
    const locked = await call<ErrorAnswer>('PATCH', `/sites/${tenant.site.id}`, { requireIdentity: true });
    expect(locked).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
    expect(locked.body.message).toMatch(/identity secret/);
    const patched = await call<ErrorAnswer>('PATCH', `/sites/${tenant.site.id}`, { allowedOrigins: ['ftp://shop.test'] });
    expect(patched).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
    expect(patched.body.message).toMatch(/"ftp:\/\/shop\.test": only http and https/);
  });

  it('lets only admins and owners change sites, and only owners delete them', async () => {
    const agent = await addAgent(server.database, tenant.accountId, 'agent-sites@example.com', 'agent');
    const agentToken = await loginAgent(server, agent.email);
    expect((await call('GET', `/sites/${tenant.site.id}`, undefined, agentToken)).status).toBe(200);
    expect((await call<ErrorAnswer>('PATCH', `/sites/${tenant.site.id}`, { name: 'x' }, agentToken)).body.code).toBe('FORBIDDEN');
    const admin = await addAgent(server.database, tenant.accountId, 'admin-sites@example.com', 'admin');
    const adminToken = await loginAgent(server, admin.email);
    expect((await call<ErrorAnswer>('DELETE', `/sites/${tenant.site.id}`, undefined, adminToken)).body.code).toBe('FORBIDDEN');
  });

  it('answers another account\'s site like a missing one', async () => {
    const { site } = await createSite({});
    for (const [method, path, body] of [
      ['GET', `/sites/${site.id}`, undefined], ['PATCH', `/sites/${site.id}`, { name: 'stolen' }],
      ['DELETE', `/sites/${site.id}`, undefined], ['POST', `/sites/${site.id}/identity-secret`, {}],
    ] as const) {
      const answer = await call<ErrorAnswer>(method, path, body, otherToken);
      const missing = await call<ErrorAnswer>(method, path.replace(site.id, randomUUID()), body, otherToken);
      expect(answer, `${method} ${path}`).toEqual({ status: 404, body: expect.objectContaining({ code: 'NOT_FOUND' }) });
      expect(answer.body.message).toBe(missing.body.message);
    }
    expect((await call<{ site: SiteView }>('GET', `/sites/${site.id}`)).body.site.name).toBe(site.name);
  });

  it('deletes a site with its visitors and conversations', async () => {
    const { site } = await createSite({ allowedOrigins: ['http://gone.test'] });
    const visitor = await session(site.publicKey, 'http://gone.test');
    expect(visitor.status).toBe(200);
    const socket = await TestClient.connect(server, { token: visitor.body.token, origin: 'http://gone.test' });
    await socket.ready('visitor');
    socket.send({ type: 'message.send', clientId: randomUUID(), body: 'hello before deletion' });
    const ack = await socket.next('ack');
    socket.close();

    const deleted = await call<{ deleted: boolean }>('DELETE', `/sites/${site.id}`);
    expect(deleted).toEqual({ status: 200, body: { deleted: true } });
    expect((await call('GET', `/sites/${site.id}`)).status).toBe(404);
    expect((await call('GET', `/conversations/${ack.conversationId}`)).status).toBe(404);
    const { db } = server.database;
    expect(await db.select().from(schema.visitors).where(eq(schema.visitors.siteId, site.id))).toEqual([]);
    expect(await db.select().from(schema.conversations).where(eq(schema.conversations.id, ack.conversationId))).toEqual([]);
    expect((await session(site.publicKey, 'http://gone.test')).body.code).toBe('SITE_NOT_FOUND');
  });

  it('gives the widget its settings, whether the team is within business hours, and when it is back', async () => {
    const { site } = await createSite({
      allowedOrigins: ['http://hours.test'],
      settings: { teamName: 'Support', launcherLabel: 'Ask us', expectedReplyTime: 'in a few minutes', position: 'left', color: '#123456' },
    });
    const open = await session(site.publicKey, 'http://hours.test');
    expect(open.status).toBe(200);
    expect(open.body.settings).toMatchObject({ teamName: 'Support', launcherLabel: 'Ask us', expectedReplyTime: 'in a few minutes', position: 'left', color: '#123456' });
    expect(open.body.team).toEqual({ online: false, open: true, opensAt: null });

    // Closed every day but one, in a range that has not begun yet: a week round at most.
    await call('PATCH', `/sites/${site.id}`, { businessHours: { timeZone: 'Pacific/Auckland', days: { sun: [['23:58', '23:59']] } } });
    const closed = await session(site.publicKey, 'http://hours.test');
    expect(closed.body.team.open).toBe(false);
    const opensAt = Date.parse(closed.body.team.opensAt!);
    expect(opensAt).toBeGreaterThan(Date.now());
    expect(opensAt - Date.now()).toBeLessThanOrEqual(7 * 24 * 3_600_000);

    // Open around the clock every day.
    const allDay = [['00:00', '23:59']] as const;
    await call('PATCH', `/sites/${site.id}`, { businessHours: { timeZone: 'UTC', days: { mon: allDay, tue: allDay, wed: allDay, thu: allDay, fri: allDay, sat: allDay, sun: allDay } } });
    const minute = new Date().getUTCHours() * 60 + new Date().getUTCMinutes();
    if (minute !== 23 * 60 + 59) expect((await session(site.publicKey, 'http://hours.test')).body.team.open).toBe(true);
  });

  it('accepts pages of any subdomain for a wildcard origin, and neither the apex nor look-alikes', async () => {
    const { site } = await createSite({ allowedOrigins: ['https://*.example.com'] });
    for (const origin of ['https://shop.example.com', 'https://eu.shop.example.com']) {
      const answer = await session(site.publicKey, origin);
      expect(answer.status, origin).toBe(200);
      expect(answer.cors, origin).toBe(origin);
      const socket = await TestClient.connect(server, { token: answer.body.token, origin });
      await socket.ready('visitor');
      socket.close();
    }
    for (const origin of ['https://example.com', 'https://evil-example.com', 'http://shop.example.com', 'https://shop.example.com.evil.net']) {
      const answer = await session(site.publicKey, origin);
      expect({ origin, status: answer.status, code: answer.body.code, cors: answer.cors })
        .toEqual({ origin, status: 403, code: 'ORIGIN_NOT_ALLOWED', cors: null });
    }
  });

  describe('identity verification', () => {
    const origin = 'http://identity.test';

    it('makes one visitor per user id, with the name and e-mail the site passes', async () => {
      const { site, identitySecret } = await createSite({ allowedOrigins: [origin] });
      const identity = { userId: 'user-42', userHash: userHash(identitySecret, 'user-42'), name: 'Ada', email: 'ada@example.com' };
      const first = await session(site.publicKey, origin, { identity });
      expect(first.status, JSON.stringify(first.body)).toBe(200);
      // Another device: no token, the same user.
      const second = await session(site.publicKey, origin, { identity: { ...identity, userHash: identity.userHash.toUpperCase(), name: 'Ada L.' } });
      expect(second.body.visitorId).toBe(first.body.visitorId);
      const [visitor] = await server.database.db.select().from(schema.visitors).where(eq(schema.visitors.id, first.body.visitorId));
      expect(visitor).toMatchObject({ siteId: site.id, externalId: 'user-42', name: 'Ada L.', email: 'ada@example.com' });
      const someoneElse = await session(site.publicKey, origin, { identity: { userId: 'user-43', userHash: userHash(identitySecret, 'user-43') } });
      expect(someoneElse.body.visitorId).not.toBe(first.body.visitorId);
    });

    it('refuses a wrong hash with 401 AUTH_INVALID, and another site\'s or a rotated secret\'s hash too', async () => {
      const { site, identitySecret } = await createSite({ allowedOrigins: [origin] });
      const other = await createSite({ allowedOrigins: [origin] });
      const forged = [
        { userId: 'user-1', userHash: userHash(identitySecret, 'user-2') },
        { userId: 'user-1', userHash: userHash(other.identitySecret, 'user-1') },
        { userId: 'user-1', userHash: 'not hex' },
        { userId: 'user-1', userHash: '' },
      ];
      for (const identity of forged) {
        const answer = await session(site.publicKey, origin, { identity });
        expect({ status: answer.status, code: answer.body.code }, JSON.stringify(identity)).toEqual({ status: 401, code: 'AUTH_INVALID' });
      }
      const rotated = await call<Created>('POST', `/sites/${site.id}/identity-secret`, {});
      expect(rotated.status).toBe(200);
      expect(rotated.body.identitySecret).not.toBe(identitySecret);
      expect(rotated.body.site.hasIdentitySecret).toBe(true);
      expect(JSON.stringify((await call('GET', `/sites/${site.id}`)).body)).not.toContain(rotated.body.identitySecret);
      const stale = await session(site.publicKey, origin, { identity: { userId: 'user-1', userHash: userHash(identitySecret, 'user-1') } });
      expect(stale.body.code).toBe('AUTH_INVALID');
      const fresh = await session(site.publicKey, origin, { identity: { userId: 'user-1', userHash: userHash(rotated.body.identitySecret, 'user-1') } });
      expect(fresh.status).toBe(200);
    });

    it('refuses anonymous visitors with 403 IDENTITY_REQUIRED when the site requires an identity', async () => {
      const { site, identitySecret } = await createSite({ allowedOrigins: [origin] });
      const anonymous = await session(site.publicKey, origin);
      expect(anonymous.status).toBe(200);
      await call('PATCH', `/sites/${site.id}`, { requireIdentity: true });
      const refused = await session(site.publicKey, origin, { token: anonymous.body.token });
      expect({ status: refused.status, code: refused.body.code }).toEqual({ status: 403, code: 'IDENTITY_REQUIRED' });
      // The anonymous visitor's earlier token no longer opens a socket either.
      const socket = await TestClient.connect(server, { token: anonymous.body.token, origin });
      expect((await socket.closed).code).toBe(4001);
      const identified = await session(site.publicKey, origin, { identity: { userId: 'u', userHash: userHash(identitySecret, 'u') } });
      expect(identified.status).toBe(200);
      const socket2 = await TestClient.connect(server, { token: identified.body.token, origin });
      await socket2.ready('visitor');
      socket2.close();
    });

    it('does not hand an identified visitor\'s conversation to whoever opens the page after they sign out', async () => {
      const { site, identitySecret } = await createSite({ allowedOrigins: [origin] });
      const signedIn = await session(site.publicKey, origin, { identity: { userId: 'u-7', userHash: userHash(identitySecret, 'u-7') } });
      const signedOut = await session(site.publicKey, origin, { token: signedIn.body.token });
      expect(signedOut.status).toBe(200);
      expect(signedOut.body.visitorId).not.toBe(signedIn.body.visitorId);
      // An anonymous visitor's token still keeps its visitor.
      const again = await session(site.publicKey, origin, { token: signedOut.body.token });
      expect(again.body.visitorId).toBe(signedOut.body.visitorId);
    });
  });
});
