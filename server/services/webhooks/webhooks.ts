// Webhooks: an account's subscriptions to its events (CRUD, deliveries, test, retry), and the two
// halves that make them work on every node: the recorder (events → delivery rows, batched) and the
// delivery worker (claims, signs, sends, retries). services/index.ts creates one; the app starts
// it and closes it.
import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { schema, type Db } from '../../../db/index.ts';
import type { Config } from '../../config.ts';
import { AppError, notFound } from '../../errors.ts';
import type { Caller } from '../access.ts';
import type { WebhookDeliveryView, WebhookView } from '../../../protocol/index.ts';
import type { DomainEvents } from '../events.ts';
import { isUuid } from '../ids.ts';
import { DEFAULT_PAGE_SIZE, decodeCursor, pageOf, type Page } from '../pagination.ts';
import { checkWebhookUrl } from './address-guard.ts';
import { WEBHOOK_EVENTS, type WebhookEventType } from './events.ts';
import { WebhookRecorder } from './recorder.ts';
import { newWebhookSecret } from './signature.ts';
import { DeliveryWorker, type AttemptObserver } from './worker.ts';

const { webhooks, webhookDeliveries: deliveries, webhookAttempts: attempts } = schema;

/** Another node's webhook change reaches this node's recorder within this. */
const SUBSCRIPTIONS_TTL_MS = 5_000;
/** Events recorded within this share one INSERT. */
const RECORD_FLUSH_MS = 5;

function toWebhookView(row: schema.Webhook): WebhookView {
  return {
    id: row.id, url: row.url, events: row.events as WebhookEventType[], enabled: row.enabled,
    disabledReason: row.disabledReason, failingSince: row.failingSince?.toISOString() ?? null, createdAt: row.createdAt.toISOString(),
  };
}

function toWebhookDeliveryView(row: schema.WebhookDelivery, rowAttempts: schema.WebhookAttempt[]): WebhookDeliveryView {
  return {
    id: row.id, webhookId: row.webhookId, eventId: row.eventId, eventType: row.eventType, status: row.status,
    nextAttemptAt: row.status === 'pending' ? row.nextAttemptAt.toISOString() : null,
    createdAt: row.createdAt.toISOString(), completedAt: row.completedAt?.toISOString() ?? null,
    attempts: rowAttempts.map((a) => ({ attemptedAt: a.attemptedAt.toISOString(), statusCode: a.statusCode, latencyMs: a.latencyMs, excerpt: a.excerpt })),
  };
}

function checkEvents(events: readonly string[]): WebhookEventType[] {
  const unknown = events.filter((event) => !(WEBHOOK_EVENTS as readonly string[]).includes(event));
  if (unknown.length > 0) throw new AppError('VALIDATION_FAILED', `Unknown event ${unknown.join(', ')}; webhooks can receive ${WEBHOOK_EVENTS.join(', ')}`);
  if (events.length === 0) throw new AppError('VALIDATION_FAILED', 'A webhook needs at least one event');
  return [...new Set(events)] as WebhookEventType[];
}

/**
 * Keyset pagination over (created_at, id), newest first. The cursor holds created_at as
 * PostgreSQL's own text, not a JS Date: microseconds survive, so no row is skipped or repeated.
 */
function createdBefore(table: typeof webhooks | typeof deliveries, cursor: string | undefined): SQL | undefined {
  const key = decodeCursor(cursor, 2);
  if (!key) return undefined;
  const [createdAt, id] = key;
  if (typeof createdAt !== 'string' || !isUuid(id) || Number.isNaN(Date.parse(createdAt))) throw new AppError('VALIDATION_FAILED', 'Invalid cursor');
  return sql`(${table.createdAt}, ${table.id}) < (${createdAt}::timestamptz, ${id}::uuid)`;
}

export class Webhooks {
  private readonly recorder: WebhookRecorder;
  private readonly worker: DeliveryWorker;

  constructor(private readonly db: Db, private readonly config: Config, options: {
    onError: (error: unknown) => void;
    onAttempt?: AttemptObserver;
  }) {
    this.worker = new DeliveryWorker(db, {
      pollMs: config.webhookPollMs, timeoutMs: config.webhookTimeoutMs, retryForMs: config.webhookRetryForMs,
      allowPrivate: config.webhooksAllowPrivate, onError: options.onError,
      onDisabled: () => this.recorder.invalidate(),
      ...(options.onAttempt ? { onAttempt: options.onAttempt } : {}),
    });
    this.recorder = new WebhookRecorder(db, {
      ttlMs: SUBSCRIPTIONS_TTL_MS, flushDelayMs: RECORD_FLUSH_MS, onError: options.onError,
      onRecorded: () => this.worker.wake(),
    });
  }

  /** Listens to the domain events and starts this node's delivery worker. */
  start(events: DomainEvents): void {
    this.recorder.listen(events);
    this.worker.start();
  }

  /**
   * Stops claiming, lets the attempts in flight finish, then writes the deliveries still buffered:
   * they stay pending in the database for the next start or another node, and no attempt begins
   * once closing has.
   */
  async close(): Promise<void> {
    await this.worker.close();
    await this.recorder.close();
  }

  queueDepth(): Promise<number> {
    return this.worker.queueDepth();
  }

  async list(caller: Caller, page: { cursor?: string | undefined; limit?: number | undefined }): Promise<Page<WebhookView>> {
    const limit = page.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.db.select({ row: webhooks, key: sql<string>`${webhooks.createdAt}::text` }).from(webhooks)
      .where(and(eq(webhooks.accountId, caller.accountId), createdBefore(webhooks, page.cursor)))
      .orderBy(desc(webhooks.createdAt), desc(webhooks.id)).limit(limit + 1);
    return pageOf(rows, limit, ({ key, row }) => [key, row.id], ({ row }) => toWebhookView(row));
  }

  /** A new webhook; the only answer that carries its signing secret. */
  async create(caller: Caller, input: { url: string; events: string[] }): Promise<{ webhook: WebhookView; secret: string }> {
    const url = checkWebhookUrl(input.url, this.config.webhooksAllowPrivate);
    const secret = newWebhookSecret();
    const [row] = await this.db.insert(webhooks).values({ accountId: caller.accountId, url, events: checkEvents(input.events), secret }).returning();
    this.recorder.invalidate();
    return { webhook: toWebhookView(row!), secret };
  }

  /** Re-enabling forgets why it was disabled and the run of failures: it starts afresh. */
  async update(caller: Caller, id: string, input: { url?: string | undefined; events?: string[] | undefined; enabled?: boolean | undefined }): Promise<WebhookView> {
    await this.owned(caller, id);
    const changes: Partial<typeof webhooks.$inferInsert> = {};
    if (input.url !== undefined) changes.url = checkWebhookUrl(input.url, this.config.webhooksAllowPrivate);
    if (input.events !== undefined) changes.events = checkEvents(input.events);
    if (input.enabled !== undefined) Object.assign(changes, { enabled: input.enabled, disabledReason: null, failingSince: null });
    const [row] = Object.keys(changes).length === 0
      ? await this.db.select().from(webhooks).where(eq(webhooks.id, id))
      : await this.db.update(webhooks).set(changes).where(and(eq(webhooks.id, id), eq(webhooks.accountId, caller.accountId))).returning();
    if (!row) throw notFound('Webhook not found');
    this.recorder.invalidate();
    if (input.enabled) this.worker.wake();
    return toWebhookView(row);
  }

  /** Its deliveries and their attempts go with it. */
  async remove(caller: Caller, id: string): Promise<void> {
    if (!isUuid(id)) throw notFound('Webhook not found');
    const removed = await this.db.delete(webhooks).where(and(eq(webhooks.id, id), eq(webhooks.accountId, caller.accountId))).returning({ id: webhooks.id });
    if (removed.length === 0) throw notFound('Webhook not found');
    this.recorder.invalidate();
  }

  async deliveries(caller: Caller, id: string, page: { cursor?: string | undefined; limit?: number | undefined }): Promise<Page<WebhookDeliveryView>> {
    await this.owned(caller, id);
    const limit = page.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.db.select({ row: deliveries, key: sql<string>`${deliveries.createdAt}::text` }).from(deliveries)
      .where(and(eq(deliveries.webhookId, id), createdBefore(deliveries, page.cursor)))
      .orderBy(desc(deliveries.createdAt), desc(deliveries.id)).limit(limit + 1);
    const attemptsOf = await this.attemptsOf(rows.slice(0, limit).map(({ row }) => row.id));
    return pageOf(rows, limit, ({ key, row }) => [key, row.id], ({ row }) => toWebhookDeliveryView(row, attemptsOf.get(row.id) ?? []));
  }

  /** A `ping` delivery, due now: shows whether the endpoint answers and verifies signatures. */
  async test(caller: Caller, id: string): Promise<WebhookDeliveryView> {
    await this.owned(caller, id);
    const eventId = randomUUID();
    const createdAt = new Date();
    const payload = JSON.stringify({ id: eventId, type: 'ping', createdAt: createdAt.toISOString(), accountId: caller.accountId, data: { webhookId: id } });
    const [row] = await this.db.insert(deliveries).values({ webhookId: id, eventId, eventType: 'ping', payload, createdAt }).returning();
    this.worker.wake();
    return toWebhookDeliveryView(row!, []);
  }

  /** Pending again and due now, whatever it was; its attempts so far stay in its history. */
  async retry(caller: Caller, id: string, deliveryId: string): Promise<WebhookDeliveryView> {
    await this.owned(caller, id);
    if (!isUuid(deliveryId)) throw notFound('Delivery not found');
    const [row] = await this.db.update(deliveries).set({ status: 'pending', nextAttemptAt: sql`now()`, completedAt: null })
      .where(and(eq(deliveries.id, deliveryId), eq(deliveries.webhookId, id))).returning();
    if (!row) throw notFound('Delivery not found');
    this.worker.wake();
    return toWebhookDeliveryView(row, (await this.attemptsOf([row.id])).get(row.id) ?? []);
  }

  /** The webhook, if it is the caller's account's; NOT_FOUND alike for another's and for none. */
  private async owned(caller: Caller, id: string): Promise<schema.Webhook> {
    if (!isUuid(id)) throw notFound('Webhook not found');
    const [row] = await this.db.select().from(webhooks).where(and(eq(webhooks.id, id), eq(webhooks.accountId, caller.accountId)));
    if (!row) throw notFound('Webhook not found');
    return row;
  }

  private async attemptsOf(deliveryIds: string[]): Promise<Map<string, schema.WebhookAttempt[]>> {
    const byDelivery = new Map<string, schema.WebhookAttempt[]>();
    if (deliveryIds.length === 0) return byDelivery;
    const rows = await this.db.select().from(attempts).where(inArray(attempts.deliveryId, deliveryIds)).orderBy(asc(attempts.attemptedAt));
    for (const row of rows) byDelivery.set(row.deliveryId, [...(byDelivery.get(row.deliveryId) ?? []), row]);
    return byDelivery;
  }
}
