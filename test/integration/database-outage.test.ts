import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { openDb, schema, type Database } from '../../db/index.ts';
import { TcpProxy } from '../tcp-proxy.ts';
import { TestClient, createTestDatabase, createTenant, driver, startServer, visitorSession, type TestServer } from '../helpers.ts';

const ORIGIN = 'http://shop.test';

// PGlite runs inside the server process: it cannot become unreachable while the process lives.
const outageTestable = driver === 'postgres';
if (!outageTestable) console.log('database-outage: skipped on PGlite (in-process, cannot be cut off); runs in the postgres project');

describe.skipIf(!outageTestable)(`database outage (${driver})`, () => {
  let direct: Database & { url?: string };
  let proxy: TcpProxy; // the database "goes away" when it is cut
  let proxied: Database;
  let server: TestServer;

  beforeAll(async () => {
    direct = await createTestDatabase();
    const url = new URL(direct.url!);
    proxy = await TcpProxy.start({ host: url.hostname, port: Number(url.port || 5432) });
    url.host = `127.0.0.1:${proxy.port}`;
    proxied = await openDb({ url: url.toString(), maxConnections: 2 });
    server = await startServer({ database: proxied });
  });
  afterAll(async () => {
    await server?.close();
    await proxied?.close().catch(() => {});
    await proxy?.close();
    await direct?.close();
  });

  it('answers UNAVAILABLE (retryable) while the database is down, stores nothing, and accepts the resend after', async () => {
    const tenant = await createTenant(direct, [ORIGIN]);
    const session = await visitorSession(server, tenant.site);
    const visitor = await TestClient.connect(server, { token: session.token, origin: ORIGIN });
    await visitor.ready('visitor');
    visitor.send({ type: 'message.send', clientId: randomUUID(), body: 'before' });
    const { conversationId } = await visitor.next('ack');

    proxy.cut();
    const clientId = randomUUID();
    visitor.send({ type: 'message.send', clientId, body: 'during the outage' });
    const error = await visitor.next('error');
    expect(error).toMatchObject({ code: 'UNAVAILABLE', clientId });
    expect(error.retryAfterMs).toBeGreaterThan(0);
    const stored = await direct.db.select().from(schema.messages).where(eq(schema.messages.conversationId, conversationId));
    expect(stored.map((m) => m.body)).toEqual(['before']);

    proxy.restore();
    visitor.send({ type: 'message.send', clientId, body: 'during the outage' });
    const ack = await visitor.next('ack', undefined, 20_000);
    expect(ack).toMatchObject({ clientId, seq: 2, conversationId });
    visitor.close();
  });
});
