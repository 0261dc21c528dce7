import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { SignJWT, UnsecuredJWT } from 'jose';
import { eq } from 'drizzle-orm';
import { schema } from '../../db/index.ts';
import { errorCatalog } from '../../protocol/index.ts';
import {
  TestClient, createTenant, driver, get, loginAgent, post, startServer, visitorSession,
  type Tenant, type TestServer,
} from '../helpers.ts';

const ORIGIN = 'http://shop.test';

describe(`hostile input is refused with a code, and the server carries on (${driver})`, () => {
  let server: TestServer;
  let tenant: Tenant;
  let secret: Uint8Array;

  beforeAll(async () => {
    server = await startServer({ config: { authTimeoutMs: 300, maxFrameBytes: 4096 } });
    tenant = await createTenant(server.database, [ORIGIN]);
    const [row] = await server.database.db.select().from(schema.settings).where(eq(schema.settings.key, 'token_secret'));
    secret = new TextEncoder().encode(row!.value);
  });
  afterAll(() => server.close());

  /** A healthy visitor can still chat: proof that nothing above broke the server. */
  async function stillServes(): Promise<void> {
    const session = await visitorSession(server, tenant.site);
    const visitor = await TestClient.connect(server, { token: session.token, origin: ORIGIN });
    await visitor.next('ready');
    visitor.send({ type: 'message.send', clientId: randomUUID(), body: 'still here' });
    expect((await visitor.next('ack')).seq).toBe(1);
    visitor.close();
  }

  it('refuses an unknown site key with SITE_NOT_FOUND', async () => {
    const response = await post(`${server.url}/api/widget/session`, { siteKey: 'site_nope' }, { origin: ORIGIN });
    expect(response).toMatchObject({ status: 404, body: { code: 'SITE_NOT_FOUND' } });
  });

  it('refuses a page whose origin the site does not allow, over REST and WebSocket', async () => {
    const wrong = await post(`${server.url}/api/widget/session`, { siteKey: tenant.site.publicKey }, { origin: 'http://evil.test' });
    expect(wrong).toMatchObject({ status: 403, body: { code: 'ORIGIN_NOT_ALLOWED' } });
    const none = await post(`${server.url}/api/widget/session`, { siteKey: tenant.site.publicKey });
    expect(none).toMatchObject({ status: 403, body: { code: 'ORIGIN_NOT_ALLOWED' } });

    const session = await visitorSession(server, tenant.site);
    const client = await TestClient.connect(server, { token: session.token, origin: 'http://evil.test' });
    expect((await client.next('error')).code).toBe('ORIGIN_NOT_ALLOWED');
    expect((await client.closed).code).toBe(errorCatalog.ORIGIN_NOT_ALLOWED.close);
    await stillServes();
  });

  it('says the same thing for a wrong password and an unknown email', async () => {
    const wrongPassword = await post(`${server.url}/api/v1/auth/login`, { email: tenant.owner.email, password: 'guess' });
    const unknownEmail = await post(`${server.url}/api/v1/auth/login`, { email: 'nobody@example.com', password: 'guess' });
    expect(wrongPassword).toMatchObject({ status: 401, body: { code: 'INVALID_CREDENTIALS' } });
    expect(unknownEmail).toEqual(wrongPassword);
  });

  it('closes a connection that never authenticates', async () => {
    const client = await TestClient.connect(server);
    client.send({ type: 'typing', conversationId: randomUUID(), typing: true });
    expect((await client.next('error')).code).toBe('AUTH_REQUIRED');
    expect((await client.closed).code).toBe(errorCatalog.AUTH_TIMEOUT.close);
  });

  it.each([
    ['forged with another secret', async () => new SignJWT({ site: randomUUID() }).setProtectedHeader({ alg: 'HS256' })
      .setIssuer('parley').setAudience('visitor').setSubject(randomUUID()).setExpirationTime('1h')
      .sign(new TextEncoder().encode('not-the-server-secret-not-the-server-secret'))],
    ['unsigned (alg: none)', async () => new UnsecuredJWT({ site: tenant.site.id }).setIssuer('parley')
      .setAudience('visitor').setSubject(randomUUID()).setExpirationTime('1h').encode()],
    ['garbage', async () => 'not.a.token'],
    ['for a visitor that does not exist', async () => new SignJWT({ site: tenant.site.id }).setProtectedHeader({ alg: 'HS256' })
      .setIssuer('parley').setAudience('visitor').setSubject(randomUUID()).setExpirationTime('1h').sign(secret)],
  ])('refuses a token %s with AUTH_INVALID and close code 4001', async (_name, makeToken) => {
    const token = await makeToken();
    for (const tokenIn of ['header', 'frame'] as const) {
      const client = await TestClient.connect(server, { token, origin: ORIGIN, tokenIn });
      expect((await client.next('error')).code).toBe('AUTH_INVALID');
      expect((await client.closed).code).toBe(errorCatalog.AUTH_INVALID.close);
    }
  });

  it('refuses an expired token with TOKEN_EXPIRED and close code 4002', async () => {
    const session = await visitorSession(server, tenant.site);
    const expired = await new SignJWT({ site: tenant.site.id }).setProtectedHeader({ alg: 'HS256' })
      .setIssuer('parley').setAudience('visitor').setSubject(session.visitorId)
      .setIssuedAt(Math.floor(Date.now() / 1000) - 7200).setExpirationTime(Math.floor(Date.now() / 1000) - 3600).sign(secret);
    const client = await TestClient.connect(server, { token: expired, origin: ORIGIN });
    expect((await client.next('error')).code).toBe('TOKEN_EXPIRED');
    expect((await client.closed).code).toBe(errorCatalog.TOKEN_EXPIRED.close);

    // The widget trades the expired token for a fresh one and keeps the same visitor (and history).
    const renewed = await visitorSession(server, tenant.site, ORIGIN, expired);
    expect(renewed.visitorId).toBe(session.visitorId);
    const again = await TestClient.connect(server, { token: renewed.token, origin: ORIGIN });
    expect((await again.ready('visitor')).visitorId).toBe(session.visitorId);
    again.close();
  });

  it('renews an agent token only while it is valid', async () => {
    const token = await loginAgent(server, tenant.owner.email);
    const renewed = await post<{ token: string }>(`${server.url}/api/v1/auth/refresh`, {}, { authorization: `Bearer ${token}` });
    expect(renewed.status).toBe(200);
    expect((await get(`${server.url}/api/v1/me`, renewed.body.token)).status).toBe(200);
    const expired = await new SignJWT({ acc: tenant.accountId }).setProtectedHeader({ alg: 'HS256' })
      .setIssuer('parley').setAudience('agent').setSubject(tenant.owner.id)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60).sign(secret);
    expect(await post(`${server.url}/api/v1/auth/refresh`, {}, { authorization: `Bearer ${expired}` }))
      .toMatchObject({ status: 401, body: { code: 'TOKEN_EXPIRED' } });
  });

  it('refuses a visitor token on the agents\' API (wrong audience)', async () => {
    const session = await visitorSession(server, tenant.site);
    const response = await get(`${server.url}/api/v1/conversations`, session.token);
    expect(response).toMatchObject({ status: 401, body: { code: 'AUTH_INVALID' } });
    expect(await get(`${server.url}/api/v1/conversations`)).toMatchObject({ status: 401, body: { code: 'AUTH_REQUIRED' } });
  });

  it('answers each malformed frame with an error code and keeps the connection', async () => {
    const session = await visitorSession(server, tenant.site);
    const client = await TestClient.connect(server, { token: session.token, origin: ORIGIN });
    await client.next('ready');
    const cases: [string | Buffer, string][] = [
      ['{not json', 'BAD_FRAME'],
      ['[1,2,3]', 'BAD_FRAME'],
      ['"just a string"', 'BAD_FRAME'],
      ['{"type":"launch.missiles"}', 'UNKNOWN_TYPE'],
      ['{"type":"message.send","body":"no client id"}', 'BAD_FRAME'],
      ['{"type":"message.send","clientId":"a","body":"x","__proto__":{"admin":true}}', 'BAD_FRAME'],
      ['{"type":"sync","conversationId":"../../etc/passwd","afterSeq":0}', 'BAD_FRAME'],
      ['{"type":"presence.set","availability":"online"}', 'FORBIDDEN'],
      [Buffer.from([1, 2, 3]), 'BAD_FRAME'],
    ];
    for (const [raw, code] of cases) {
      client.sendRaw(raw);
      expect((await client.next('error')).code, String(raw)).toBe(code);
    }
    client.send({ type: 'message.send', clientId: 'empty', body: '   ' });
    expect(await client.next('error')).toMatchObject({ code: 'MESSAGE_INVALID', clientId: 'empty' });
    client.send({ type: 'message.send', clientId: 'long', body: 'x'.repeat(4001) });
    expect(await client.next('error')).toMatchObject({ code: 'MESSAGE_INVALID', clientId: 'long' });

    // Hostile HTML is just text: stored and relayed byte for byte, never interpreted by the server.
    const html = '<img src=x onerror="alert(1)"><script>alert(2)</script>';
    client.send({ type: 'message.send', clientId: randomUUID(), body: html });
    const ack = await client.next('ack');
    expect((await client.next('message', (f) => f.message.seq === ack.seq)).message.body).toBe(html);
    client.close();
  });

  it('closes a connection that keeps sending invalid frames (4009), and one over the frame size (1009)', async () => {
    const session = await visitorSession(server, tenant.site);
    const noisy = await TestClient.connect(server, { token: session.token, origin: ORIGIN });
    await noisy.next('ready');
    for (let i = 0; i < 12; i++) noisy.sendRaw('nope');
    expect((await noisy.closed).code).toBe(errorCatalog.PROTOCOL_VIOLATION.close);

    const big = await TestClient.connect(server, { token: session.token, origin: ORIGIN });
    await big.next('ready');
    big.send({ type: 'message.send', clientId: randomUUID(), body: 'x'.repeat(5000) });
    expect((await big.closed).code).toBe(1009);
    await stillServes();
  });

  it('rejects malformed REST bodies and ids with codes', async () => {
    const token = await loginAgent(server, tenant.owner.email);
    const auth = { authorization: `Bearer ${token}` };
    expect(await post(`${server.url}/api/v1/auth/login`, { email: 42 })).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
    expect(await get(`${server.url}/api/v1/conversations/not-a-uuid`, token)).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
    expect(await post(`${server.url}/api/v1/conversations/${randomUUID()}/status`, { status: 'deleted' }, auth))
      .toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
    const raw = await fetch(`${server.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{oops' });
    expect(raw.status).toBe(400);
    expect((await raw.json() as { code: string }).code).toBe('VALIDATION_FAILED');
    await stillServes();
  });
});
