// Webhooks end to end: real deliveries to a real HTTP receiver started here, signed and verified with
// examples/webhook-receiver's verify(); the address guard; failures, retries, giving up and
// disabling; several nodes on one database; and a restart.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { schema, type Database } from '../../db/index.ts';
import type { Config } from '../../server/config.ts';
import { verify } from '../../examples/webhook-receiver/server.mjs';
import {
  TestClient, createTenant, createTestDatabase, driver, get, loginAgent, startServer, visitorSession, type Tenant, type TestServer,
} from '../helpers.ts';

const ORIGIN = 'http://shop.test';
const FAST: Partial<Config> = { webhooksAllowPrivate: true, webhookPollMs: 20 };
/** expect.poll's patience: deliveries are asynchronous and the suite shares its machine. */
const PATIENCE = { timeout: 10_000 };

interface Received { headers: IncomingHttpHeaders; raw: string; event: { id: string; type: string; createdAt: string; accountId: string; data: any } }

/** A real webhook endpoint on 127.0.0.1 that records what it is sent and answers `respond`'s status. */
class Receiver {
  readonly received: Received[] = [];
  /** TCP connections accepted: pooled deliveries reuse them. */
  connections = 0;
  respond: (event: Received['event']) => { status: number; body?: string; delayMs?: number } = () => ({ status: 204 });
  private server!: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const entry = { headers: request.headers, raw, event: JSON.parse(raw) as Received['event'] };
        this.received.push(entry);
        const { status, body = '', delayMs = 0 } = this.respond(entry.event);
        setTimeout(() => response.writeHead(status, { 'content-type': 'text/plain' }).end(body), delayMs);
      });
    });
    this.server.on('connection', () => { this.connections += 1; });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
    return this;
  }

  /** The requests for one event type (and matching `where`), waiting until there are `count`. */
  async waitFor(type: string, count = 1, where: (r: Received) => boolean = () => true): Promise<Received[]> {
    const matching = () => this.received.filter((r) => r.event.type === type && where(r));
    await expect.poll(() => matching().length, PATIENCE).toBeGreaterThanOrEqual(count);
    return matching();
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

interface WebhookBody { id: string; url: string; events: string[]; enabled: boolean; disabledReason: string | null; failingSince: string | null }
interface DeliveryBody {
  id: string; eventId: string; eventType: string; status: string; nextAttemptAt: string | null; createdAt: string;
  attempts: { attemptedAt: string; statusCode: number | null; latencyMs: number; excerpt: string }[];
}

async function call<T>(server: TestServer, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, body: await response.json() as T };
}

async function createWebhook(server: TestServer, token: string, url: string, events: string[]) {
  const created = await call<{ secret: string; webhook: WebhookBody }>(server, token, 'POST', '/webhooks', { url, events });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body;
}

async function deliveriesOf(server: TestServer, token: string, webhookId: string): Promise<DeliveryBody[]> {
  const page = await call<{ deliveries: DeliveryBody[] }>(server, token, 'GET', `/webhooks/${webhookId}/deliveries?limit=200`);
  expect(page.status).toBe(200);
  return page.body.deliveries;
}

/** A visitor of the tenant's site sends `bodies` over a real WebSocket; resolves with the acks. */
async function visitorSends(server: TestServer, tenant: Tenant, bodies: string[]) {
  const session = await visitorSession(server, tenant.site);
  const visitor = await TestClient.connect(server, { token: session.token, origin: ORIGIN });
  await visitor.ready('visitor');
  for (const body of bodies) visitor.send({ type: 'message.send', clientId: randomUUID(), body });
  const acks = [];
  for (let i = 0; i < bodies.length; i++) acks.push(await visitor.next('ack'));
  visitor.close();
  return { acks, visitorId: session.visitorId };
}

function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? Number.NaN : Number(line.slice(series.length + 1));
}

describe(`webhooks (${driver})`, () => {
  let server: TestServer;
  let tenant: Tenant;
  let token: string;
  let receiver: Receiver;

  beforeAll(async () => {
    server = await startServer({ config: FAST });
    tenant = await createTenant(server.database, [ORIGIN], 'hooks');
    token = await loginAgent(server, tenant.owner.email);
    receiver = await new Receiver().start();
  });
  afterAll(async () => {
    await server.close();
    await receiver.close();
  });

  it('creates, lists, changes and deletes webhooks; the secret is shown once', async () => {
    const { secret, webhook } = await createWebhook(server, token, 'https://crm.example.com/hooks/parley', ['conversation.created', 'message.created']);
    expect(secret).toMatch(/^whsec_/);
    expect(webhook).toMatchObject({ url: 'https://crm.example.com/hooks/parley', events: ['conversation.created', 'message.created'], enabled: true, disabledReason: null });
    const list = await call<{ webhooks: WebhookBody[] }>(server, token, 'GET', '/webhooks');
    expect(list.body.webhooks.map((w) => w.id)).toContain(webhook.id);
    expect(JSON.stringify(list.body)).not.toContain(secret);

    const patched = await call<{ webhook: WebhookBody }>(server, token, 'PATCH', `/webhooks/${webhook.id}`, { events: ['visitor.updated'], enabled: false });
    expect(patched.status).toBe(200);
    expect(patched.body.webhook).toMatchObject({ events: ['visitor.updated'], enabled: false });
    expect(JSON.stringify(patched.body)).not.toContain(secret);

    const unknown = await call<{ code: string }>(server, token, 'POST', '/webhooks', { url: 'https://crm.example.com/x', events: ['message.deleted'] });
    expect(unknown.status).toBe(400);
    expect(unknown.body.code).toBe('VALIDATION_FAILED');
    const unknownPatch = await call<{ code: string }>(server, token, 'PATCH', `/webhooks/${webhook.id}`, { events: ['note.created'] });
    expect(unknownPatch.status).toBe(400);
    const ftp = await call<{ code: string }>(server, token, 'POST', '/webhooks', { url: 'ftp://crm.example.com/x', events: ['message.created'] });
    expect({ status: ftp.status, code: ftp.body.code }).toEqual({ status: 400, code: 'URL_NOT_ALLOWED' });

    expect((await call(server, token, 'DELETE', `/webhooks/${webhook.id}`)).status).toBe(200);
    expect((await call(server, token, 'DELETE', `/webhooks/${webhook.id}`)).status).toBe(404);
    expect((await call(server, token, 'GET', `/webhooks/${webhook.id}/deliveries`)).status).toBe(404);
  });

  it('pages the list of webhooks with a cursor, newest first, none skipped or repeated', async () => {
    const other = await createTenant(server.database, [ORIGIN], 'paging');
    const otherToken = await loginAgent(server, other.owner.email);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await createWebhook(server, otherToken, `https://crm.example.com/${i}`, ['visitor.updated'])).webhook.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { webhooks: WebhookBody[]; nextCursor: string | null } } =
        await call(server, otherToken, 'GET', `/webhooks?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.body.webhooks.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.webhooks.map((w) => w.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
  });

  it('delivers a visitor\'s message as a signed message.created that the example receiver verifies', async () => {
    const { secret, webhook } = await createWebhook(server, token, receiver.url, ['message.created', 'conversation.created']);
    const body = `Where is order ${randomUUID()}?`;
    const { acks, visitorId } = await visitorSends(server, tenant, [body]);
    const [request] = await receiver.waitFor('message.created', 1, (r) => r.event.data.message.body === body);
    expect(verify(secret, request!.raw, request!.headers['parley-signature'] as string)).toEqual({ ok: true });
    expect(verify(`${secret}x`, request!.raw, request!.headers['parley-signature'] as string)).toMatchObject({ ok: false });
    expect(request!.headers).toMatchObject({
      'content-type': 'application/json', 'parley-event-id': request!.event.id, 'parley-event-type': 'message.created',
    });
    expect(request!.event).toMatchObject({
      type: 'message.created', accountId: tenant.accountId,
      data: { siteId: tenant.site.id, visitorId, message: { id: acks[0]!.messageId, conversationId: acks[0]!.conversationId, authorKind: 'visitor', body, private: false } },
    });
    const [opened] = await receiver.waitFor('conversation.created', 1, (r) => r.event.data.conversation.id === acks[0]!.conversationId);
    expect(opened!.event.data.conversation).toMatchObject({ siteId: tenant.site.id, visitorId });

    await expect.poll(async () => (await deliveriesOf(server, token, webhook.id)).map((d) => d.status), PATIENCE).toEqual(['succeeded', 'succeeded']);
    const [delivery] = (await deliveriesOf(server, token, webhook.id)).filter((d) => d.eventType === 'message.created');
    expect(delivery).toMatchObject({ eventId: request!.event.id, nextAttemptAt: null });
    expect(delivery!.attempts).toEqual([expect.objectContaining({ statusCode: 204, excerpt: '' })]);
    expect(delivery!.attempts[0]!.latencyMs).toBeGreaterThanOrEqual(0);
    await call(server, token, 'DELETE', `/webhooks/${webhook.id}`);
  });

  it('keeps its connection to an endpoint open between deliveries instead of one per delivery', async () => {
    const own = await new Receiver().start();
    const { webhook } = await createWebhook(server, token, own.url, ['message.created']);
    for (let i = 1; i <= 5; i++) {
      const body = `Pooled ${i} ${randomUUID()}`;
      await visitorSends(server, tenant, [body]);
      await own.waitFor('message.created', 1, (r) => r.event.data.message.body === body);
    }
    expect(own.received).toHaveLength(5);
    // One connection, or two should the pool have dropped an idle one: never one per delivery.
    expect(own.connections).toBeLessThanOrEqual(2);
    await call(server, token, 'DELETE', `/webhooks/${webhook.id}`);
    await own.close();
  });

  it('delivers a private note as message.created with private: true', async () => {
    const { webhook } = await createWebhook(server, token, receiver.url, ['message.created']);
    const { acks, visitorId } = await visitorSends(server, tenant, ['About my refund']);
    const note = { id: randomUUID(), conversationId: acks[0]!.conversationId, authorId: tenant.owner.id, authorName: tenant.owner.name, body: `VIP, refund at once ${randomUUID()}`, createdAt: new Date().toISOString() };
    // What the notes service announces when an agent writes one.
    server.app.services.events.emit('note.created', { accountId: tenant.accountId, siteId: tenant.site.id, visitorId, note });
    const [request] = await receiver.waitFor('message.created', 1, (r) => r.event.data.message.id === note.id);
    expect(request!.event.data).toEqual({ siteId: tenant.site.id, visitorId, message: { ...note, authorKind: 'agent', private: true } });
    await call(server, token, 'DELETE', `/webhooks/${webhook.id}`);
  });

  it('sends nothing for events a webhook did not subscribe to, nor for a disabled webhook', async () => {
    const listening = await createWebhook(server, token, `${receiver.url}?only-visitors`, ['visitor.updated']);
    const disabled = await createWebhook(server, token, `${receiver.url}?disabled`, ['message.created']);
    await call(server, token, 'PATCH', `/webhooks/${disabled.webhook.id}`, { enabled: false });
    await visitorSends(server, tenant, ['Nobody hears this']);
    // The ping goes through the same worker: once it arrived, anything recorded earlier had its chance.
    expect((await call(server, token, 'POST', `/webhooks/${listening.webhook.id}/test`)).status).toBe(201);
    await receiver.waitFor('ping', 1, (r) => r.event.data.webhookId === listening.webhook.id);
    expect(await deliveriesOf(server, token, listening.webhook.id)).toEqual([expect.objectContaining({ eventType: 'ping' })]);
    expect(await deliveriesOf(server, token, disabled.webhook.id)).toEqual([]);
    await call(server, token, 'DELETE', `/webhooks/${listening.webhook.id}`);
    await call(server, token, 'DELETE', `/webhooks/${disabled.webhook.id}`);
  });

  it('records a failing endpoint\'s attempts, backs off, and retries at once when asked', async () => {
    const failing = await new Receiver().start();
    failing.respond = () => ({ status: 500, body: `boom ${'x'.repeat(5000)}` });
    const { secret, webhook } = await createWebhook(server, token, failing.url, ['message.created']);
    const ping = await call<{ delivery: DeliveryBody }>(server, token, 'POST', `/webhooks/${webhook.id}/test`);
    expect(ping.status).toBe(201);
    expect(ping.body.delivery).toMatchObject({ eventType: 'ping', status: 'pending', attempts: [] });
    const [first] = await failing.waitFor('ping');
    expect(verify(secret, first!.raw, first!.headers['parley-signature'] as string)).toEqual({ ok: true });

    const attempted = async (count: number) => {
      await expect.poll(async () => (await deliveriesOf(server, token, webhook.id))[0]?.attempts.length, PATIENCE).toBe(count);
      return (await deliveriesOf(server, token, webhook.id))[0]!;
    };
    const once = await attempted(1);
    expect(once.status).toBe('pending');
    expect(once.attempts[0]).toMatchObject({ statusCode: 500 });
    expect(once.attempts[0]!.excerpt.startsWith('boom xxx')).toBe(true);
    expect(Buffer.byteLength(once.attempts[0]!.excerpt)).toBeLessThanOrEqual(1024);
    // Full jitter within 30 s after the first failure (24 h window)…
    const firstWait = Date.parse(once.nextAttemptAt!) - Date.parse(once.attempts[0]!.attemptedAt);
    expect(firstWait).toBeGreaterThanOrEqual(-50);
    expect(firstWait).toBeLessThanOrEqual(30_000 + 1_000);
    const failingSince = (await call<{ webhooks: WebhookBody[] }>(server, token, 'GET', '/webhooks')).body.webhooks.find((w) => w.id === webhook.id)!.failingSince;
    expect(failingSince).not.toBeNull();

    const retried = await call<{ delivery: DeliveryBody }>(server, token, 'POST', `/webhooks/${webhook.id}/deliveries/${once.id}/retry`);
    expect(retried.status).toBe(200);
    expect(retried.body.delivery).toMatchObject({ id: once.id, status: 'pending', attempts: [expect.objectContaining({ statusCode: 500 })] });
    expect(Date.parse(retried.body.delivery.nextAttemptAt!)).toBeLessThanOrEqual(Date.now() + 1_000);
    const twice = await attempted(2);
    // …and within 60 s after the second: the ceiling doubles.
    const secondWait = Date.parse(twice.nextAttemptAt!) - Date.parse(twice.attempts[1]!.attemptedAt);
    expect(secondWait).toBeLessThanOrEqual(60_000 + 1_000);
    expect(failing.received.map((r) => r.event.id)).toEqual([ping.body.delivery.eventId, ping.body.delivery.eventId]);

    // Fixed: a retry succeeds and ends the run of failures.
    failing.respond = () => ({ status: 200, body: 'thanks' });
    await call(server, token, 'POST', `/webhooks/${webhook.id}/deliveries/${once.id}/retry`);
    await expect.poll(async () => (await deliveriesOf(server, token, webhook.id))[0]?.status, PATIENCE).toBe('succeeded');
    const done = (await deliveriesOf(server, token, webhook.id))[0]!;
    expect(done.attempts.map((a) => a.statusCode)).toEqual([500, 500, 200]);
    expect(done.attempts[2]!.excerpt).toBe('thanks');
    expect((await call<{ webhooks: WebhookBody[] }>(server, token, 'GET', '/webhooks')).body.webhooks.find((w) => w.id === webhook.id)!.failingSince).toBeNull();

    const missing = await call<{ code: string }>(server, token, 'POST', `/webhooks/${webhook.id}/deliveries/${randomUUID()}/retry`);
    expect({ status: missing.status, code: missing.body.code }).toEqual({ status: 404, code: 'NOT_FOUND' });
    await call(server, token, 'DELETE', `/webhooks/${webhook.id}`);
    await failing.close();
  });

  it('shows the queue depth, the attempts by outcome and their latency on /metrics', async () => {
    const scrape = async () => (await fetch(`${server.url}/metrics`)).text();
    const before = await scrape();
    expect(before).toContain('# TYPE parley_webhook_queue_depth gauge');
    expect(before).toContain('# TYPE parley_webhook_attempt_seconds histogram');

    const down = await new Receiver().start();
    down.respond = () => ({ status: 503 });
    const { webhook } = await createWebhook(server, token, down.url, ['message.created']);
    await visitorSends(server, tenant, ['one', 'two']);
    await down.waitFor('message.created', 2);
    // Failed once, waiting for their retry: pending.
    await expect.poll(async () => sample(await scrape(), 'parley_webhook_queue_depth'), PATIENCE).toBe(2);
    await expect.poll(async () => sample(await scrape(), 'parley_webhook_attempts_total{outcome="retried"}') - sample(before, 'parley_webhook_attempts_total{outcome="retried"}'), PATIENCE).toBeGreaterThanOrEqual(2);

    down.respond = () => ({ status: 204 });
    for (const delivery of await deliveriesOf(server, token, webhook.id)) {
      await call(server, token, 'POST', `/webhooks/${webhook.id}/deliveries/${delivery.id}/retry`);
    }
    await expect.poll(async () => sample(await scrape(), 'parley_webhook_queue_depth'), PATIENCE).toBe(0);
    // Counted once the attempt is recorded, a moment after the delivery left the queue.
    await expect.poll(async () => sample(await scrape(), 'parley_webhook_attempts_total{outcome="succeeded"}') - sample(before, 'parley_webhook_attempts_total{outcome="succeeded"}'), PATIENCE).toBe(2);
    const after = await scrape();
    const grew = (series: string) => sample(after, series) - sample(before, series);
    expect(grew('parley_webhook_attempts_total{outcome="failed"}')).toBe(0);
    expect(grew('parley_webhook_attempt_seconds_count')).toBe(grew('parley_webhook_attempts_total{outcome="succeeded"}') + grew('parley_webhook_attempts_total{outcome="retried"}'));
    await call(server, token, 'DELETE', `/webhooks/${webhook.id}`);
    await down.close();
  });
});

describe(`webhook address guard (${driver})`, () => {
  let server: TestServer;
  let tenant: Tenant;
  let token: string;
  let receiver: Receiver;

  beforeAll(async () => {
    server = await startServer({ config: { webhooksAllowPrivate: false, webhookPollMs: 20 } });
    tenant = await createTenant(server.database, [ORIGIN], 'guard');
    token = await loginAgent(server, tenant.owner.email);
    receiver = await new Receiver().start();
  });
  afterAll(async () => {
    await server.close();
    await receiver.close();
  });

  it('refuses loopback, private, link-local and metadata URLs at creation with URL_NOT_ALLOWED', async () => {
    for (const url of ['http://127.0.0.1/hook', 'http://10.0.0.8/hook', 'http://169.254.169.254/latest/meta-data/', 'http://[::1]/hook',
      'http://localhost:8080/hook', 'https://192.168.1.20/hook', 'http://100.64.0.1/', 'http://[fd00::1]/']) {
      const refused = await call<{ code: string }>(server, token, 'POST', '/webhooks', { url, events: ['message.created'] });
      expect({ url, status: refused.status, code: refused.body.code }).toEqual({ url, status: 400, code: 'URL_NOT_ALLOWED' });
    }
    const { webhook } = await createWebhook(server, token, 'https://crm.example.com/hooks', ['message.created']);
    const moved = await call<{ code: string }>(server, token, 'PATCH', `/webhooks/${webhook.id}`, { url: 'http://127.0.0.1:6379/' });
    expect({ status: moved.status, code: moved.body.code }).toEqual({ status: 400, code: 'URL_NOT_ALLOWED' });
  });

  it('never connects to an inward address at delivery, whether literal or resolved from a name', async () => {
    // As if the rows predated the guard, or a name's DNS answer changed after creation.
    const port = new URL(receiver.url).port;
    for (const url of [`http://127.0.0.1:${port}/literal`, `http://localhost:${port}/resolved`]) {
      const [row] = await server.database.db.insert(schema.webhooks).values({ accountId: tenant.accountId, url, events: ['message.created'], secret: 'whsec_guard' }).returning();
      await call(server, token, 'POST', `/webhooks/${row!.id}/test`);
      await expect.poll(async () => (await deliveriesOf(server, token, row!.id))[0]?.attempts.length ?? 0, PATIENCE).toBe(1);
      const [delivery] = await deliveriesOf(server, token, row!.id);
      expect(delivery!.attempts[0]).toMatchObject({ statusCode: null, excerpt: expect.stringMatching(/loopback/) });
    }
    expect(receiver.received).toEqual([]);
  });
});

describe(`webhooks that keep failing (${driver})`, () => {
  it('gives deliveries up after the retry window and disables the webhook, saying why; re-enabling clears it', async () => {
    const server = await startServer({ config: { ...FAST, webhookRetryForMs: 1_500 } });
    const failing = await new Receiver().start();
    failing.respond = () => ({ status: 502, body: 'bad gateway' });
    try {
      const tenant = await createTenant(server.database, [ORIGIN], 'giveup');
      const token = await loginAgent(server, tenant.owner.email);
      const { webhook } = await createWebhook(server, token, failing.url, ['message.created']);
      await visitorSends(server, tenant, ['Hello?']);
      await expect.poll(async () => (await deliveriesOf(server, token, webhook.id))[0]?.status, PATIENCE).toBe('failed');
      const [delivery] = await deliveriesOf(server, token, webhook.id);
      expect(delivery!.attempts.length).toBeGreaterThanOrEqual(3);
      expect(delivery!.attempts.every((a) => a.statusCode === 502 && a.excerpt === 'bad gateway')).toBe(true);
      expect(delivery!.nextAttemptAt).toBeNull();
      // Retried until the window was over, not beyond.
      const times = delivery!.attempts.map((a) => Date.parse(a.attemptedAt));
      expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(1_500 - 100);

      const listed = await call<{ webhooks: WebhookBody[] }>(server, token, 'GET', '/webhooks');
      const disabled = listed.body.webhooks.find((w) => w.id === webhook.id)!;
      expect(disabled.enabled).toBe(false);
      expect(disabled.disabledReason).toContain(`failed since ${disabled.failingSince}`);
      expect(disabled.disabledReason).toContain('1.5 s');

      // Disabled: new events are not recorded for it.
      await visitorSends(server, tenant, ['Anyone?']);
      const ping = await createWebhook(server, token, `${failing.url}?other`, ['message.created']);
      await visitorSends(server, tenant, ['Last try']);
      await expect.poll(async () => (await deliveriesOf(server, token, ping.webhook.id)).length, PATIENCE).toBe(1);
      expect(await deliveriesOf(server, token, webhook.id)).toHaveLength(1);

      const enabled = await call<{ webhook: WebhookBody }>(server, token, 'PATCH', `/webhooks/${webhook.id}`, { enabled: true });
      expect(enabled.body.webhook).toMatchObject({ enabled: true, disabledReason: null, failingSince: null });
    } finally {
      await server.close();
      await failing.close();
    }
  });
});

describe(`webhooks across nodes and restarts (${driver})`, () => {
  let database: Database;
  beforeAll(async () => { database = await createTestDatabase(); });
  afterAll(async () => { await database.close(); });

  it('delivers each delivery exactly once with two nodes on one database', async (context) => {
    if (driver !== 'postgres') {
      console.log('skipped on pglite: two app instances need a database server they can both connect to (postgres driver)');
      context.skip();
    }
    // Room for a burst of messages sent without waiting for acks.
    const a = await startServer({ database, config: { ...FAST, rateLimitBurst: 1_000, visitorMessageRateLimitBurst: 1_000 } });
    const b = await startServer({ database, config: { ...FAST, rateLimitBurst: 1_000, visitorMessageRateLimitBurst: 1_000 } });
    const receiver = await new Receiver().start();
    // Slow enough that both nodes' workers find due deliveries while the other is busy.
    receiver.respond = () => ({ status: 204, delayMs: 30 });
    try {
      const tenant = await createTenant(database, [ORIGIN], 'nodes');
      const token = await loginAgent(a, tenant.owner.email);
      const { webhook } = await createWebhook(a, token, receiver.url, ['message.created']);
      const N = 40;
      await visitorSends(a, tenant, Array.from({ length: N }, (_, i) => `message ${i}`));
      await receiver.waitFor('message.created', N);
      await expect.poll(async () => (await deliveriesOf(a, token, webhook.id)).filter((d) => d.status === 'succeeded').length, PATIENCE).toBe(N);
      // Long enough for a second, duplicate attempt to have arrived, if anything could send one.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const ids = receiver.received.map((r) => r.event.id);
      expect(ids).toHaveLength(N);
      expect(new Set(ids).size).toBe(N);
      const deliveries = await deliveriesOf(b, token, webhook.id);
      expect(deliveries.every((d) => d.attempts.length === 1)).toBe(true);
      const succeeded = async (server: TestServer) => sample(await (await fetch(`${server.url}/metrics`)).text(), 'parley_webhook_attempts_total{outcome="succeeded"}');
      const [byA, byB] = [await succeeded(a), await succeeded(b)];
      expect(byA + byB).toBe(N);
      console.log(`two nodes delivered ${N} deliveries: ${byA} by the first, ${byB} by the second`);
    } finally {
      await a.close();
      await b.close();
      await receiver.close();
    }
  });

  it('delivers after a restart what was still pending when the app closed', async () => {
    const receiver = await new Receiver().start();
    receiver.respond = () => ({ status: 503, body: 'down for maintenance' });
    const config = { ...FAST, webhookRetryForMs: 60_000 };
    const first = await startServer({ database, config });
    const tenant = await createTenant(database, [ORIGIN], 'restart');
    const token = await loginAgent(first, tenant.owner.email);
    const { webhook } = await createWebhook(first, token, receiver.url, ['message.created']);
    await visitorSends(first, tenant, ['before the restart', 'also before']);
    await receiver.waitFor('message.created', 2);
    await first.close();
    const pending = await database.db.select().from(schema.webhookDeliveries).where(eq(schema.webhookDeliveries.webhookId, webhook.id));
    expect(pending.map((d) => d.status)).toEqual(['pending', 'pending']);

    receiver.respond = () => ({ status: 200 });
    const second = await startServer({ database, config });
    try {
      await expect.poll(async () => (await get<{ deliveries: DeliveryBody[] }>(`${second.url}/api/v1/webhooks/${webhook.id}/deliveries`, token)).body.deliveries.map((d) => d.status), PATIENCE)
        .toEqual(['succeeded', 'succeeded']);
      const bodies = receiver.received.filter((r) => r.headers['parley-event-id']).map((r) => r.event.data.message.body);
      expect(new Set(bodies)).toEqual(new Set(['before the restart', 'also before']));
    } finally {
      await second.close();
      await receiver.close();
    }
  });
});
