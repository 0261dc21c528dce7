// Domain events → delivery rows, without slowing the message path. The listener only appends to an
// in-memory buffer (no query, no await on the ack path); every few milliseconds one INSERT writes
// all deliveries recorded since. Which webhooks want which events comes from a snapshot of every
// enabled webhook, refreshed when this node changes one and at most TTL old otherwise, so other
// nodes' changes arrive within the TTL. An account without webhooks costs one Map lookup.
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { schema, type Db } from '../../../db/index.ts';
import type { DomainEventMap, DomainEvents, DomainEventType } from '../events.ts';
import type { WebhookEventType } from './events.ts';

/** `since`: when the webhook was made (ms); events from before it are not its business. */
interface Subscription { webhookId: string; events: ReadonlySet<string>; since: number }

interface RecordedEvent { id: string; type: WebhookEventType; createdAt: Date; accountId: string; data: unknown }

export interface RecorderOptions {
  /** How old the subscription snapshot may get before a flush reloads it. */
  ttlMs: number;
  /** How long events gather before their INSERT. */
  flushDelayMs: number;
  /** Told after each INSERT: the workers look at once instead of at their next poll. */
  onRecorded: () => void;
  onError: (error: unknown) => void;
}

export class WebhookRecorder {
  /** accountId → its enabled webhooks; null until first loaded. */
  private subscriptions: Map<string, Subscription[]> | null = null;
  private loadedAt = 0;
  /** Bumped by invalidate(): a load that started before a change does not count as fresh. */
  private generation = 0;
  private loading: Promise<Map<string, Subscription[]>> | null = null;
  private buffer: RecordedEvent[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly db: Db, private readonly options: RecorderOptions) {}

  /** Subscribes to the domain events webhooks carry. */
  listen(events: DomainEvents): void {
    // The payload is built only for an account with webhooks: most accounts have none, and a
    // payload made per message and dropped at once still kept the collector busy.
    const on = <K extends DomainEventType>(type: K, as: WebhookEventType, data: (event: DomainEventMap[K]) => unknown) => {
      this.unsubscribe.push(events.on(type, (event) => {
        const { accountId } = event as { accountId: string };
        if (this.wants(accountId)) this.record(accountId, as, data(event));
      }));
    };
    on('conversation.created', 'conversation.created', (e) => ({ conversation: e.conversation }));
    on('conversation.assigned', 'conversation.assigned', (e) => ({ conversation: e.conversation, previousAssigneeId: e.previousAssigneeId }));
    on('conversation.status', 'conversation.status_changed', (e) => ({ conversation: e.conversation, previousStatus: e.previousStatus }));
    on('message.created', 'message.created', (e) => ({ siteId: e.siteId, visitorId: e.visitorId, message: { ...e.message, private: false } }));
    // Receivers see notes as messages only agents can read: one stream of what was written.
    on('note.created', 'message.created', (e) => ({
      siteId: e.siteId, visitorId: e.visitorId,
      message: { ...e.note, authorKind: 'agent', private: true },
    }));
    on('visitor.updated', 'visitor.updated', (e) => ({ visitor: e.visitor }));
    on('visitor.erased', 'visitor.erased',
      (e) => ({ siteId: e.siteId, visitorId: e.visitorId, conversationIds: e.conversationIds, messages: e.messages }));
    void this.load().catch(this.options.onError);
  }

  /** A webhook of this node changed: the next flush reloads the snapshot. */
  invalidate(): void {
    this.loadedAt = 0;
    this.generation++;
  }

  /** False only when a fresh snapshot says the account has no webhook; otherwise the flush decides. */
  private wants(accountId: string): boolean {
    const fresh = this.subscriptions !== null && Date.now() - this.loadedAt < this.options.ttlMs;
    return !fresh || this.subscriptions!.has(accountId);
  }

  private record(accountId: string, type: WebhookEventType, data: unknown): void {
    this.buffer.push({ id: randomUUID(), type, createdAt: new Date(), accountId, data });
    this.timer ??= setTimeout(() => this.scheduleFlush(), this.options.flushDelayMs);
  }

  private scheduleFlush(): Promise<void> {
    this.timer = null;
    this.flushing = this.flushing.then(() => this.flush()).catch(this.options.onError);
    return this.flushing;
  }

  private async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const subscriptions = Date.now() - this.loadedAt < this.options.ttlMs && this.subscriptions ? this.subscriptions : await this.load();
    const batch = this.buffer.splice(0);
    const rows: (typeof schema.webhookDeliveries.$inferInsert)[] = [];
    for (const event of batch) {
      let payload: string | undefined;
      for (const subscription of subscriptions.get(event.accountId) ?? []) {
        // The snapshot is read at flush time, a few milliseconds after the event: a webhook made in
        // between must not receive what happened before it existed.
        if (!subscription.events.has(event.type) || event.createdAt.getTime() < subscription.since) continue;
        // Serialised once per event, whatever the number of webhooks that receive it.
        payload ??= JSON.stringify({ id: event.id, type: event.type, createdAt: event.createdAt.toISOString(), accountId: event.accountId, data: event.data });
        rows.push({ webhookId: subscription.webhookId, eventId: event.id, eventType: event.type, payload });
      }
    }
    if (rows.length === 0) return;
    await this.db.insert(schema.webhookDeliveries).values(rows);
    this.options.onRecorded();
  }

  private load(): Promise<Map<string, Subscription[]>> {
    this.loading ??= (async () => {
      const startedAt = Date.now();
      const generation = this.generation;
      try {
        const rows = await this.db.select({
          id: schema.webhooks.id, accountId: schema.webhooks.accountId, events: schema.webhooks.events, createdAt: schema.webhooks.createdAt,
        })
          .from(schema.webhooks).where(eq(schema.webhooks.enabled, true));
        const byAccount = new Map<string, Subscription[]>();
        for (const row of rows) {
          const list = byAccount.get(row.accountId) ?? [];
          list.push({ webhookId: row.id, events: new Set(row.events), since: row.createdAt.getTime() });
          byAccount.set(row.accountId, list);
        }
        this.subscriptions = byAccount;
        if (generation === this.generation) this.loadedAt = startedAt;
        return byAccount;
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }

  /** Writes what is buffered and stops listening; the app calls it on close, before the database goes. */
  async close(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    if (this.timer) clearTimeout(this.timer);
    await this.scheduleFlush();
  }
}
