// Group commit for messages. Appends that arrive while earlier ones are being written are gathered
// into one SQL statement: one round trip and one commit for the whole batch instead of five round
// trips per message (bench/: the per-message path spent most of its CPU writing to PostgreSQL).
// Durability is unchanged: each caller's promise settles only after its batch has committed.
//
// The statement keeps the two guarantees of the per-message path:
// - seq: the UPDATE of each conversation row takes its lock and returns the new last_seq, so each
//   message gets last_seq_before + its rank within the batch: no gaps, no reuse, even with other
//   nodes writing the same conversation at the same time;
// - idempotency: a clientId already stored is skipped and the stored message returned instead.
import { pgErrorKind } from '../../db/errors.ts';
import { genericPlanQuery, preparedQuery, type Db, type PreparedQuery, type schema } from '../../db/index.ts';
import type { ConversationStatus } from '../../protocol/index.ts';

export interface NewMessage {
  conversationId: string;
  clientId: string;
  authorKind: 'visitor' | 'agent' | 'bot';
  /** null for a bot, which has no row of its own */
  authorId: string | null;
  /** A bot's name; agents' and visitors' names come from their rows. */
  authorName?: string | null;
  body: string;
}

export interface Appended {
  row: schema.Message;
  /** The clientId was stored before: `row` is the original and nothing new was written. */
  duplicate: boolean;
  /** The conversation as it was before this batch, for new rows; tells callers what changed. */
  before: { status: ConversationStatus; assigneeId: string | null } | null;
}

interface Pending {
  message: NewMessage;
  resolve: (appended: Appended | null) => void;
  reject: (error: unknown) => void;
}

interface RawRow {
  id: string;
  conversation_id: string;
  seq: number;
  client_id: string;
  author_kind: 'visitor' | 'agent' | 'system' | 'bot';
  author_id: string | null;
  author_name: string | null;
  body: string;
  created_at: Date | string;
  old_status?: ConversationStatus;
  old_assignee?: string | null;
}

// One statement per batch. Its input is one array per column ($1 conversation ids, $2 client ids,
// $3 author kinds, $4 author ids, $5 bodies, $6 bot names), not one JSON document: PostgreSQL estimates unnest()
// of an array at 10 rows, jsonb_to_recordset() at 100, and a plan made for 100 hashes whole tables
// where a batch of a few messages should probe their indexes (bench/experiments/statement-costs.ts).
// The statement runs on its generic plan (db/index.ts, genericPlanQuery), made without knowing how
// many messages come: the check for stored clientIds is a LATERAL subquery with LIMIT 1, which the
// planner cannot turn into a join, so it stays one index probe per message. As NOT EXISTS it became
// an anti-join that the generic plan made a hash over a sequential scan of all messages (1.6 ms for
// one message at 7,000 rows, growing with the table).
export const APPEND_BATCH = `
  with input as (
    select t.ord::int as ord, t.conversation_id::uuid as conversation_id, t.client_id,
      t.author_kind::author_kind as author_kind, t.author_id::uuid as author_id, t.author_name, t.body
    from unnest($1::text[], $2::text[], $3::text[], $4::text[], $6::text[], $5::text[])
      with ordinality as t(conversation_id, client_id, author_kind, author_id, author_name, body, ord)
  ),
  fresh as (
    select distinct on (i.conversation_id, i.client_id) i.* from input i
    left join lateral (
      select true as stored from messages m
      where m.conversation_id = i.conversation_id and m.client_id = i.client_id limit 1
    ) s on true
    where s.stored is null
    order by i.conversation_id, i.client_id, i.ord
  ),
  numbered as (
    select f.*, row_number() over (partition by f.conversation_id order by f.ord) as rank from fresh f
  ),
  totals as (
    select conversation_id, count(*)::int as added,
      bool_or(author_kind = 'visitor') as from_visitor,
      bool_or(author_kind <> 'visitor') as replied,
      (array_agg(author_id order by ord) filter (where author_kind = 'agent'))[1] as first_agent
    from numbered group by conversation_id
  ),
  before as (
    select c.id, c.status, c.assignee_id from conversations c where c.id in (select conversation_id from totals)
  ),
  bumped as (
    update conversations c set
      last_seq = c.last_seq + t.added,
      updated_at = now(),
      -- A visitor writing reopens the conversation (ending a snooze); an agent's first reply claims it.
      status = case when t.from_visitor then 'open'::conversation_status else c.status end,
      resolved_at = case when t.from_visitor then null else c.resolved_at end,
      -- Indexed, but unchanged (null) outside a snooze: the update stays HOT.
      snoozed_until = case when t.from_visitor then null else c.snoozed_until end,
      assignee_id = coalesce(c.assignee_id, t.first_agent),
      -- A person answering takes the conversation over from the site's bot.
      with_bot = case when t.first_agent is not null then false else c.with_bot end,
      -- For first-response-time reports; no index holds it, so the update stays HOT.
      first_reply_at = case when t.replied then coalesce(c.first_reply_at, now()) else c.first_reply_at end
    from totals t where c.id = t.conversation_id
    returning c.id, c.last_seq - t.added as base
  ),
  inserted as (
    insert into messages (conversation_id, seq, client_id, author_kind, author_id, author_name, body, created_at)
    select n.conversation_id, b.base + n.rank, n.client_id, n.author_kind, n.author_id, n.author_name, n.body, now()
    from numbered n join bumped b on b.id = n.conversation_id
    returning *
  )
  select i.*, b.status as old_status, b.assignee_id as old_assignee
  from inserted i join before b on b.id = i.conversation_id`;

// Resends: the stored messages for arrays of conversation ids ($1) and client ids ($2).
const FIND_STORED = `
  select m.* from messages m
  join unnest($1::uuid[], $2::text[]) as t(conversation_id, client_id)
    on m.conversation_id = t.conversation_id and m.client_id = t.client_id`;

const key = (conversationId: string, clientId: string) => `${conversationId} ${clientId}`;

function toRow(raw: RawRow): schema.Message {
  return {
    id: raw.id,
    conversationId: raw.conversation_id,
    seq: Number(raw.seq),
    clientId: raw.client_id,
    authorKind: raw.author_kind,
    authorId: raw.author_id,
    authorName: raw.author_name,
    body: raw.body,
    createdAt: raw.created_at instanceof Date ? raw.created_at : new Date(raw.created_at),
  };
}

export interface StoreOptions {
  /** Most messages in one statement. */
  maxBatch: number;
  /** Most statements in flight at once. */
  maxInFlight: number;
  /** Messages waiting that justify another statement while one is in flight. */
  backlog: number;
}

// Each statement costs PostgreSQL a fixed ~0.6 ms of CPU however few messages it holds
// (bench/experiments/statement-costs.ts). A light stream therefore gets one statement at a time, the
// next batch gathering while it commits; only a backlog opens more, so a burst is not queued behind
// one commit (group-commit-window.ts compares these settings).
const DEFAULTS: StoreOptions = { maxBatch: 256, maxInFlight: 4, backlog: 16 };

/**
 * Told once per committed statement: how many messages it carried and how long it took, in
 * seconds (for the group-commit histograms of /metrics). Once per batch, never per message.
 */
export type CommitObserver = (batchSize: number, seconds: number) => void;

export class MessageStore {
  private readonly options: StoreOptions;
  private queue: Pending[] = [];
  /** The group-commit statement, on its generic plan (db/index.ts). */
  private readonly appendQuery: PreparedQuery<RawRow>;
  private readonly query: PreparedQuery<RawRow>;
  private written = 0;
  private inFlight = 0;
  private scheduled = false;

  constructor(
    db: Db,
    options: Partial<StoreOptions> = {},
    private readonly onCommit?: CommitObserver,
  ) {
    this.options = { ...DEFAULTS, ...options };
    this.appendQuery = genericPlanQuery(db);
    this.query = preparedQuery(db);
  }

  /** Resolves after commit; null when the conversation does not exist. */
  append(message: NewMessage): Promise<Appended | null> {
    return new Promise((resolve, reject) => {
      this.queue.push({ message, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // Let every frame already read in this turn of the event loop join the batch.
        setImmediate(() => {
          this.scheduled = false;
          this.flush();
        });
      }
    });
  }

  private flush(): void {
    const { maxInFlight, backlog } = this.options;
    while (this.queue.length > 0 && this.inFlight < maxInFlight && (this.inFlight === 0 || this.queue.length >= backlog)) {
      const batch = this.queue.splice(0, this.options.maxBatch);
      this.inFlight += 1;
      this.write(batch).finally(() => {
        this.inFlight -= 1;
        this.flush();
      });
    }
  }

  private async write(batch: Pending[], attempt = 1): Promise<void> {
    try {
      const started = performance.now();
      const results = await this.writeBatch(batch.map((p) => p.message));
      const seconds = (performance.now() - started) / 1000;
      batch.forEach((pending, i) => pending.resolve(results[i] ?? null));
      // After the callers are answered: observing never delays an ack.
      this.onCommit?.(batch.length, seconds);
    } catch (error) {
      // Another connection stored one of these clientIds between our check and our insert (a
      // resend racing its original; the unique index waited for it to commit). Written again one
      // by one, each sees the stored row and is answered with it.
      if (pgErrorKind(error) === 'unique_violation' && attempt < 3) {
        for (const pending of batch) await this.write([pending], attempt + 1);
        return;
      }
      for (const pending of batch) pending.reject(error);
    }
  }

  /**
   * The statement is prepared and runs one generic plan per connection, costed for the tables'
   * sizes when it was made: made on near-empty tables, that plan may scan them whole, and keeps
   * doing so as they grow until something (an ANALYZE) invalidates it. A new text,
   * hence a fresh plan, each time the rows this store has written grow tenfold (10³, 10⁴ … 10⁷)
   * bounds how long such a plan lasts, at the cost of a handful of prepared statements per process.
   */
  private appendStatement(batchSize: number): string {
    this.written += batchSize;
    const generation = Math.min(7, Math.max(2, Math.floor(Math.log10(this.written))));
    return `${APPEND_BATCH} -- plan ${generation}`;
  }

  private async writeBatch(messages: NewMessage[]): Promise<(Appended | null)[]> {
    const inserted = await this.appendQuery(this.appendStatement(messages.length), [
      messages.map((m) => m.conversationId), messages.map((m) => m.clientId), messages.map((m) => m.authorKind),
      messages.map((m) => m.authorId), messages.map((m) => m.body), messages.map((m) => m.authorName ?? null),
    ]);

    const found = new Map<string, Appended>();
    for (const raw of inserted) {
      found.set(key(raw.conversation_id, raw.client_id), {
        row: toRow(raw),
        duplicate: false,
        before: { status: raw.old_status!, assigneeId: raw.old_assignee ?? null },
      });
    }
    const missing = messages.filter((m) => !found.has(key(m.conversationId, m.clientId)));
    if (missing.length > 0) {
      // Resends of stored messages (or messages to a conversation that does not exist).
      const stored = await this.query(FIND_STORED, [missing.map((m) => m.conversationId), missing.map((m) => m.clientId)]);
      for (const raw of stored) {
        found.set(key(raw.conversation_id, raw.client_id), { row: toRow(raw), duplicate: true, before: null });
      }
    }
    // The same clientId twice in one batch: the first is new, the second a duplicate of it.
    const seen = new Set<string>();
    return messages.map((m) => {
      const k = key(m.conversationId, m.clientId);
      const result = found.get(k) ?? null;
      if (result && seen.has(k)) return { ...result, duplicate: true, before: null };
      seen.add(k);
      return result;
    });
  }
}
