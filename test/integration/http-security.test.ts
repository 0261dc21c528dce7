// HTTP hardening: headers by kind of response, CORS only on the widget's session call and only for
// its site's origins, JSON-only state-changing calls, and the REST rate limits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { Config } from '../../server/config.ts';
import {
  PASSWORD, addAgent, createTenant, createTestDatabase, driver, loginAgent, post, startServer, useRedis,
  type Tenant, type TestServer,
} from '../helpers.ts';
import type { Database } from '../../db/index.ts';

const SHOP = 'http://shop.test';
const STRANGER = 'http://evil.test';

describe(`HTTP security (${driver})`, () => {
  let server: TestServer;
  let tenant: Tenant;
  let token: string;
  const sessionUrl = () => `${server.url}/api/widget/session?site=${tenant.site.publicKey}`;

  beforeAll(async () => {
    server = await startServer();
    tenant = await createTenant(server.database, [SHOP]);
    token = await loginAgent(server, tenant.owner.email);
  });
  afterAll(async () => { await server.close(); });

  describe('response headers', () => {
    it('gives the console a CSP that allows only its own script, its inline style and this origin', async () => {
      const response = await fetch(`${server.url}/console/`);
      expect(response.status).toBe(200);
      const csp = response.headers.get('content-security-policy')!;
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toMatch(/style-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
      expect(csp).not.toContain('unsafe-inline');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(response.headers.get('x-powered-by')).toBeNull();
    });

    it('lets any page load /widget.js: nosniff, cross-origin CORP, no CSP or framing rule', async () => {
      const response = await fetch(`${server.url}/widget.js`, { headers: { origin: STRANGER } });
      expect(response.status).toBe(200);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
      expect(response.headers.get('content-security-policy')).toBeNull();
      expect(response.headers.get('x-frame-options')).toBeNull();
      expect(response.headers.get('cross-origin-embedder-policy')).toBeNull();
    });

    it('marks REST answers nosniff and same-origin, successes and errors alike', async () => {
      for (const response of [
        await fetch(`${server.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } }),
        await fetch(`${server.url}/api/v1/me`),
        await fetch(`${server.url}/api/nothing-here`),
      ]) {
        expect(response.headers.get('x-content-type-options')).toBe('nosniff');
        expect(response.headers.get('cross-origin-resource-policy')).toBe('same-origin');
        expect(response.headers.get('content-security-policy')).toBe("default-src 'none';frame-ancestors 'none'");
      }
    });
  });

  describe('CORS', () => {
    const preflight = (url: string, origin: string) => fetch(url, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });

    it('answers the session preflight for the named site\'s allowed origins only', async () => {
      const allowed = await preflight(sessionUrl(), SHOP);
      expect(allowed.status).toBe(204);
      expect(allowed.headers.get('access-control-allow-origin')).toBe(SHOP);
      expect(allowed.headers.get('access-control-allow-methods')).toBe('POST');
      expect(allowed.headers.get('access-control-allow-headers')).toBe('content-type');
      expect(allowed.headers.get('vary')).toMatch(/origin/i);

      for (const refused of [
        await preflight(sessionUrl(), STRANGER),
        await preflight(`${server.url}/api/widget/session`, SHOP),
        await preflight(`${server.url}/api/widget/session?site=no-such-site`, SHOP),
        await preflight(`${sessionUrl()}&site=${tenant.site.publicKey}`, SHOP),
      ]) {
        expect(refused.headers.get('access-control-allow-origin')).toBeNull();
        expect(refused.headers.get('access-control-allow-methods')).toBeNull();
      }
    });

    it('answers CORS nowhere else, preflights included', async () => {
      for (const path of ['/api/v1/auth/login', '/api/v1/me', '/api/v1/conversations', '/ws', '/widget.js']) {
        const response = await preflight(`${server.url}${path}`, SHOP);
        expect(response.headers.get('access-control-allow-origin'), path).toBeNull();
        expect(response.status, path).toBe(404);
      }
      const me = await fetch(`${server.url}/api/v1/me`, { headers: { origin: SHOP, authorization: `Bearer ${token}` } });
      expect(me.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('lets an allowed page read the session answer and its errors, and no other page', async () => {
      const ok = await fetch(sessionUrl(), { method: 'POST', headers: { origin: SHOP, 'content-type': 'application/json' }, body: '{}' });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('access-control-allow-origin')).toBe(SHOP);

      const invalid = await fetch(sessionUrl(), { method: 'POST', headers: { origin: SHOP, 'content-type': 'application/json' }, body: '{"token":5}' });
      expect(invalid.status).toBe(400);
      expect(invalid.headers.get('access-control-allow-origin')).toBe(SHOP);

      const stranger = await fetch(sessionUrl(), { method: 'POST', headers: { origin: STRANGER, 'content-type': 'application/json' }, body: '{}' });
      expect(stranger.status).toBe(403);
      expect(((await stranger.json()) as { code: string }).code).toBe('ORIGIN_NOT_ALLOWED');
      expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('still accepts the site key in the body, and refuses two different sites', async () => {
      const legacy = await post(`${server.url}/api/widget/session`, { siteKey: tenant.site.publicKey }, { origin: SHOP });
      expect(legacy.status).toBe(200);
      const mismatch = await post(sessionUrl(), { siteKey: 'another-site' }, { origin: SHOP });
      expect(mismatch).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
      const unnamed = await post(`${server.url}/api/widget/session`, {}, { origin: SHOP });
      expect(unnamed).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
    });
  });

  describe('request bodies', () => {
    const bodies: [string, string][] = [
      ['text/plain', JSON.stringify({ email: 'someone@example.com', password: PASSWORD })],
      ['text/plain;charset=UTF-8', '{}'],
      ['application/x-www-form-urlencoded', 'email=a%40b.c&password=x'],
      ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="email"\r\n\r\na@b.c\r\n--x--\r\n'],
    ];

    it('refuses anything but JSON on every state-changing route with 415 UNSUPPORTED_MEDIA_TYPE', async () => {
      const targets = ['/api/v1/auth/login', '/api/v1/auth/refresh', `/api/widget/session?site=${tenant.site.publicKey}`, '/api/v1/conversations/x/status'];
      for (const path of targets) {
        for (const [type, body] of bodies) {
          const response = await fetch(`${server.url}${path}`, {
            method: 'POST', headers: { 'content-type': type, origin: SHOP, authorization: `Bearer ${token}` }, body,
          });
          expect(response.status, `${path} ${type}`).toBe(415);
          expect(await response.json(), `${path} ${type}`).toMatchObject({ statusCode: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
        }
      }
    });

    it('refuses a form posted to any path, not only under /api/', async () => {
      const response = await fetch(`${server.url}/console/`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=b' });
      expect(response.status).toBe(415);
    });

    it('refuses a body without a content type, and takes JSON or no body at all', async () => {
      const untyped = await fetch(`${server.url}/api/v1/auth/login`, { method: 'POST', body: new Uint8Array(Buffer.from('{}')) });
      expect(untyped.status).toBe(415);
      const refresh = await fetch(`${server.url}/api/v1/auth/refresh`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
      expect(refresh.status).toBe(200);
      const login = await post(`${server.url}/api/v1/auth/login`, { email: tenant.owner.email, password: PASSWORD },
        { 'content-type': 'application/json; charset=utf-8' });
      expect(login.status).toBe(200);
    });
  });
});

describe(`REST rate limits (${driver})`, () => {
  const limits: Partial<Config> = {
    loginRateLimitPerAddress: 6, loginRateLimitPerEmail: 3, sessionRateLimitPerAddress: 2, apiRateLimitPerToken: 4,
  };
  let database: Database;
  let server: TestServer;
  let tenant: Tenant;

  beforeAll(async () => {
    database = await createTestDatabase();
    server = await startServer({ database, config: limits });
    tenant = await createTenant(database, [SHOP]);
  });
  afterAll(async () => {
    await server.close();
    await database.close();
  });

  const login = (email: string, password = 'wrong', headers: Record<string, string> = {}) =>
    post<{ code: string }>(`${server.url}/api/v1/auth/login`, { email, password }, headers);

  it('slows password guessing per e-mail address, answering RATE_LIMITED with retry-after', async () => {
    const email = `guess-${randomBytes(3).toString('hex')}@example.com`;
    for (let i = 0; i < 3; i++) expect((await login(email)).status).toBe(401);
    const response = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: email.toUpperCase(), password: 'x' }),
    });
    expect(response.status).toBe(429);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await response.json()).toMatchObject({ statusCode: 429, code: 'RATE_LIMITED' });
  });

  it('slows one address trying many e-mail addresses', async () => {
    // The first test spent 4 of this address's 6.
    expect((await login(`a-${randomBytes(3).toString('hex')}@example.com`)).status).toBe(401);
    expect((await login(`b-${randomBytes(3).toString('hex')}@example.com`)).status).toBe(401);
    expect((await login(`c-${randomBytes(3).toString('hex')}@example.com`)).body.code).toBe('RATE_LIMITED');
  });

  it('limits widget sessions per address and site', async () => {
    const other = await createTenant(database, [SHOP]);
    const session = (site: string) => post<{ code?: string }>(`${server.url}/api/widget/session?site=${site}`, {}, { origin: SHOP });
    expect((await session(tenant.site.publicKey)).status).toBe(200);
    expect((await session(tenant.site.publicKey)).status).toBe(200);
    const limited = await session(tenant.site.publicKey);
    expect(limited).toMatchObject({ status: 429, body: { code: 'RATE_LIMITED' } });
    expect((await session(other.site.publicKey)).status).toBe(200);
  });

  it('limits the agent API per agent, whichever route is called', async () => {
    // A second server: the first one's address has spent its logins.
    const fresh = await startServer({ database, config: limits });
    try {
      const colleague = await addAgent(database, tenant.accountId, `colleague-${randomBytes(3).toString('hex')}@example.com`);
      const token = await loginAgent(fresh, tenant.owner.email);
      const other = await loginAgent(fresh, colleague.email);
      const call = (path: string, bearer: string) => fetch(`${fresh.url}${path}`, { headers: { authorization: `Bearer ${bearer}` } });
      for (const path of ['/api/v1/me', '/api/v1/agents', '/api/v1/conversations', '/api/v1/me']) expect((await call(path, token)).status).toBe(200);
      const limited = await call('/api/v1/agents', token);
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).not.toBeNull();
      expect((await call('/api/v1/me', other)).status).toBe(200);
    } finally {
      await fresh.close();
    }
  });

  it('keys on X-Forwarded-For only when TRUST_PROXY says so', async () => {
    const email = () => `proxy-${randomBytes(3).toString('hex')}@example.com`;
    const untrusting = await startServer({ database, config: { ...limits, loginRateLimitPerAddress: 2 } });
    const trusting = await startServer({ database, config: { ...limits, loginRateLimitPerAddress: 2, trustProxy: true } });
    try {
      const attempt = (target: TestServer, client: string) =>
        post<{ code: string }>(`${target.url}/api/v1/auth/login`, { email: email(), password: 'x' }, { 'x-forwarded-for': client });
      // A client cannot escape the limit by inventing addresses...
      const invented = [await attempt(untrusting, '203.0.113.1'), await attempt(untrusting, '203.0.113.2'), await attempt(untrusting, '203.0.113.3')];
      expect(invented.map((r) => r.status)).toEqual([401, 401, 429]);
      // ...but behind a trusted proxy, each real client has its own count.
      const proxied = [await attempt(trusting, '203.0.113.1'), await attempt(trusting, '203.0.113.1'), await attempt(trusting, '203.0.113.1'),
        await attempt(trusting, '203.0.113.2')];
      expect(proxied.map((r) => r.status)).toEqual([401, 401, 429, 401]);
    } finally {
      await untrusting.close();
      await trusting.close();
    }
  });

  if (!useRedis) console.log('http-security: the shared-counts test runs only with REDIS_URL (the postgres+redis project)');
  it.runIf(useRedis)('shares the counts between nodes through Redis', async () => {
    const config = { ...limits, redisUrl: process.env.REDIS_URL! };
    const first = await startServer({ database, config });
    const second = await startServer({ database, config });
    try {
      const email = `shared-${randomBytes(4).toString('hex')}@example.com`;
      const attempt = (target: TestServer) => post<{ code: string }>(`${target.url}/api/v1/auth/login`, { email, password: 'x' });
      const statuses = [await attempt(first), await attempt(second), await attempt(first), await attempt(second)].map((r) => r.status);
      expect(statuses).toEqual([401, 401, 401, 429]);
    } finally {
      await first.close();
      await second.close();
    }
  });
});
