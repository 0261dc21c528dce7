// Snoozed conversations reopen by themselves at their snoozed_until. Every node runs this worker;
// each poll is one atomic UPDATE … RETURNING, so when several nodes poll at once each row is
// reopened, and announced, by exactly one of them: the others' UPDATE waits for the winner's row
// lock, then sees status 'open' and skips the row. A partial index on snoozed_until keeps the poll
// to the few snoozed rows.
import { and, eq, inArray, lte, sql } from 'drizzle-orm';
import { schema, type Db } from '../../db/index.ts';
import type { Conversations } from './conversations.ts';

const { conversations, sites } = schema;

/** How often a node looks for snoozes that are due: a reopening is at most this late. */
export const SNOOZE_POLL_MS = 5_000;

export class Snoozes {
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<unknown> | null = null;

  constructor(
    private readonly db: Db,
    private readonly conversations: Conversations,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Polls every `pollMs` until stop(); starting again restarts with the new interval. */
  start(pollMs = SNOOZE_POLL_MS): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = setInterval(() => {
      // A slow database must not pile polls up behind one another.
      this.polling ??= this.reopenDue().catch(this.onError).finally(() => { this.polling = null; });
    }, pollMs);
    // Never what keeps a process alive.
    this.timer.unref();
  }

  /** Stops polling and waits for a poll in progress, so the database can be closed after. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.polling;
  }

  /** Reopens every conversation whose snooze is over and announces each; returns how many. */
  async reopenDue(): Promise<number> {
    const reopened = await this.db.update(conversations)
      .set({ status: 'open', snoozedUntil: null, updatedAt: sql`now()` })
      .where(and(eq(conversations.status, 'snoozed'), lte(conversations.snoozedUntil, sql`now()`)))
      .returning({ id: conversations.id, siteId: conversations.siteId });
    if (reopened.length === 0) return 0;
    const accounts = await this.db.select({ id: sites.id, accountId: sites.accountId }).from(sites)
      .where(inArray(sites.id, [...new Set(reopened.map((row) => row.siteId))]));
    const accountOf = new Map(accounts.map((site) => [site.id, site.accountId]));
    for (const { id, siteId } of reopened) {
      const accountId = accountOf.get(siteId);
      if (accountId) await this.conversations.announce('conversation.status', accountId, id, { previousStatus: 'snoozed' });
    }
    return reopened.length;
  }
}
