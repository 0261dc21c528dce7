// Delivery workers: every node runs one. A worker claims due deliveries with one UPDATE whose
// subquery locks them FOR UPDATE SKIP LOCKED, so two nodes never claim the same row, and the claim
// is a lease: it pushes next_attempt_at past the attempt's timeout, so a delivery whose worker died
// becomes due again by itself and another node takes it. Every state lives in the database: a
// restart loses nothing pending.
import { and, asc, eq, inArray, isNotNull, lte, sql } from 'drizzle-orm';
import { schema, type Db } from '../../../db/index.ts';
import { backoffFor, retryDelayMs, type Backoff } from './backoff.ts';
import { KeepAliveAgents, sendWebhook, type AttemptResult } from './sender.ts';

const { webhooks, webhookDeliveries: deliveries, webhookAttempts: attempts } = schema;

export type AttemptOutcome = 'succeeded' | 'retried' | 'failed';
export type AttemptObserver = (outcome: AttemptOutcome, seconds: number) => void;

export interface WorkerOptions {
  pollMs: number;
  timeoutMs: number;
  retryForMs: number;
  allowPrivate: boolean;
  /** Deliveries claimed at once, sent concurrently. */
  batchSize?: number;
  onAttempt?: AttemptObserver;
  /** A webhook was disabled for failing: the recorder stops recording for it. */
  onDisabled?: () => void;
  onError: (error: unknown) => void;
}

interface Claimed {
  id: string;
  webhookId: string;
  eventId: string;
  eventType: string;
  payload: string;
  attempts: number;
  createdAt: Date;
}

export class DeliveryWorker {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = true;
  private readonly backoff: Backoff;
  /** Long enough for an attempt and the writes after it; a claim older than this is up for grabs. */
  private readonly leaseMs: number;
  /** Connections to endpoints are kept open between attempts (each was address-checked when made). */
  private readonly agents = new KeepAliveAgents();

  constructor(private readonly db: Db, private readonly options: WorkerOptions) {
    this.backoff = backoffFor(options.retryForMs);
    this.leaseMs = options.timeoutMs * 2 + 5_000;
  }

  start(): void {
    this.stopped = false;
    this.wake();
  }

  /** Look for due deliveries now (a batch was just recorded), not at the next poll. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.running = this.drain().catch(this.options.onError).finally(() => {
      this.running = null;
      if (this.stopped) return;
      if (this.again) {
        this.again = false;
        this.wake();
      } else {
        this.timer = setTimeout(() => this.wake(), this.options.pollMs);
      }
    });
  }

  /** Stops polling and waits for the attempts in flight to be recorded. */
  async close(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    this.agents.destroy();
  }

  /**
   * Claims a batch, sends it concurrently, then records it with a fixed number of statements
   * whatever its size: the targets in one query, every attempt in one INSERT, the successes in one
   * UPDATE (and their webhooks' failure runs ended in one more). Failures, rarer, are settled one
   * by one, since each decides its own backoff and maybe its webhook's disabling.
   */
  private async drain(): Promise<void> {
    while (!this.stopped) {
      const claimed = await this.claim();
      if (claimed.length === 0) return;
      const targets = await this.targetsOf(claimed);
      const sent = await Promise.all(claimed.flatMap((delivery) => {
        const target = targets.get(delivery.webhookId);
        // Deleted meanwhile: its deliveries went with it.
        if (!target) return [];
        const attemptedAt = new Date();
        return [sendWebhook({ ...target, eventId: delivery.eventId, eventType: delivery.eventType, payload: delivery.payload },
          { timeoutMs: this.options.timeoutMs, allowPrivate: this.options.allowPrivate, agents: this.agents })
          .then((result) => ({ delivery, result, attemptedAt }))];
      }));
      await this.record(sent).catch(this.options.onError);
    }
  }

  private async targetsOf(claimed: Claimed[]): Promise<Map<string, { url: string; secret: string }>> {
    const ids = [...new Set(claimed.map((delivery) => delivery.webhookId))];
    const rows = await this.db.select({ id: webhooks.id, url: webhooks.url, secret: webhooks.secret }).from(webhooks)
      .where(inArray(webhooks.id, ids));
    return new Map(rows.map(({ id, ...target }) => [id, target]));
  }

  private async record(sent: { delivery: Claimed; result: AttemptResult; attemptedAt: Date }[]): Promise<void> {
    if (sent.length === 0) return;
    await this.db.insert(attempts).values(sent.map(({ delivery, result, attemptedAt }) => ({ deliveryId: delivery.id, attemptedAt, ...result })));
    const succeeded = sent.filter(({ result }) => isSuccess(result));
    if (succeeded.length > 0) {
      // A success is final whoever held the lease: the receiver has the event.
      await this.db.update(deliveries).set({ status: 'succeeded', completedAt: new Date() })
        .where(and(inArray(deliveries.id, succeeded.map(({ delivery }) => delivery.id)), eq(deliveries.status, 'pending')));
      const webhookIds = [...new Set(succeeded.map(({ delivery }) => delivery.webhookId))];
      await this.db.update(webhooks).set({ failingSince: null })
        .where(and(inArray(webhooks.id, webhookIds), isNotNull(webhooks.failingSince)));
      for (const { result } of succeeded) this.options.onAttempt?.('succeeded', result.latencyMs / 1000);
    }
    for (const { delivery, result, attemptedAt } of sent) {
      if (isSuccess(result)) continue;
      const outcome = await this.settleFailure(delivery, attemptedAt);
      this.options.onAttempt?.(outcome, result.latencyMs / 1000);
    }
  }

  private async claim(): Promise<Claimed[]> {
    const due = this.db.select({ id: deliveries.id }).from(deliveries)
      .innerJoin(webhooks, and(eq(webhooks.id, deliveries.webhookId), eq(webhooks.enabled, true)))
      .where(and(eq(deliveries.status, 'pending'), lte(deliveries.nextAttemptAt, sql`now()`)))
      .orderBy(asc(deliveries.nextAttemptAt))
      .limit(this.options.batchSize ?? 16)
      .for('update', { of: deliveries, skipLocked: true });
    return this.db.update(deliveries)
      .set({ nextAttemptAt: sql`now() + ${this.leaseMs} * interval '1 millisecond'`, attempts: sql`${deliveries.attempts} + 1` })
      .where(inArray(deliveries.id, due))
      .returning({
        id: deliveries.id, webhookId: deliveries.webhookId, eventId: deliveries.eventId, eventType: deliveries.eventType,
        payload: deliveries.payload, attempts: deliveries.attempts, createdAt: deliveries.createdAt,
      });
  }

  /** A failed attempt: retry later, or give up (and maybe disable its webhook). Only while our lease holds. */
  private async settleFailure(delivery: Claimed, attemptedAt: Date): Promise<AttemptOutcome> {
    const ours = and(eq(deliveries.id, delivery.id), eq(deliveries.attempts, delivery.attempts), eq(deliveries.status, 'pending'));
    // One instant for both decisions, so a webhook is never disabled with this delivery still pending.
    const now = Date.now();
    const giveUp = now - delivery.createdAt.getTime() >= this.options.retryForMs;
    if (giveUp) {
      await this.db.update(deliveries).set({ status: 'failed', completedAt: new Date() }).where(ours);
    } else {
      const delayMs = retryDelayMs(delivery.attempts, this.backoff);
      await this.db.update(deliveries).set({ nextAttemptAt: sql`now() + ${delayMs} * interval '1 millisecond'` }).where(ours);
    }
    await this.markFailing(delivery, giveUp, attemptedAt, now);
    return giveUp ? 'failed' : 'retried';
  }

  /**
   * Starts (or continues) the webhook's run of failures. The webhook is disabled once that run is
   * longer than the retry window, or when a delivery is given up with nothing succeeding since its
   * first attempt: it failed for its whole window.
   */
  private async markFailing(delivery: Claimed, gaveUp: boolean, attemptedAt: Date, now: number): Promise<void> {
    // The run starts when its first failed attempt was sent, the same instant that attempt records.
    const [row] = await this.db.update(webhooks).set({ failingSince: sql`coalesce(${webhooks.failingSince}, ${attemptedAt.toISOString()}::timestamptz)` })
      .where(eq(webhooks.id, delivery.webhookId)).returning({ failingSince: webhooks.failingSince, enabled: webhooks.enabled });
    const since = row?.failingSince;
    if (!row?.enabled || !since) return;
    if (now - since.getTime() < this.options.retryForMs && !(gaveUp && since <= await this.firstAttemptOf(delivery.id))) return;
    const webhookId = delivery.webhookId;
    const disabled = await this.db.update(webhooks).set({
      enabled: false,
      disabledReason: `Disabled by Parley: every delivery has failed since ${since.toISOString()}, longer than the ${describeDuration(this.options.retryForMs)} retry window. Fix the endpoint, then re-enable the webhook.`,
    }).where(and(eq(webhooks.id, webhookId), eq(webhooks.enabled, true))).returning({ id: webhooks.id });
    if (disabled.length > 0) this.options.onDisabled?.();
  }

  private async firstAttemptOf(deliveryId: string): Promise<Date> {
    const [row] = await this.db.select({ at: sql<string>`min(${attempts.attemptedAt})` }).from(attempts).where(eq(attempts.deliveryId, deliveryId));
    return row?.at ? new Date(row.at) : new Date();
  }

  /** Pending deliveries of enabled webhooks: the queue depth /metrics shows. */
  async queueDepth(): Promise<number> {
    const [row] = await this.db.select({ count: sql<number>`count(*)::int` }).from(deliveries)
      .innerJoin(webhooks, and(eq(webhooks.id, deliveries.webhookId), eq(webhooks.enabled, true)))
      .where(eq(deliveries.status, 'pending'));
    return Number(row?.count ?? 0);
  }
}

function isSuccess(result: AttemptResult): boolean {
  return result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
}

function describeDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${ms / 1000} s`;
}
