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
import { sql } from 'drizzle-orm';
import type { Db, schema } from '../../db/index.ts';
import type { ConversationStatus } from '../protocol.ts';

export interface NewMessage {
  conversationId: string;
  clientId: string;
  authorKind: 'visitor' | 'agent';
  authorId: string;
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
  author_kind: 'visitor' | 'agent' | 'system';
  author_id: string | null;
  body: string;
  created_at: Date | string;
  old_status?: ConversationStatus;
  old_assignee?: string | null;
}

const key = (conversationId: string, clientId: string) => `${conversationId} ${clientId}`;

function isUniqueViolation(error: unknown): boolean {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.code === '23505') return true;
    if (e.cause === e) break;
  }
  return false;
}

function toRow(raw: RawRow): schema.Message {
  return {
    id: raw.id,
    conversationId: raw.conversation_id,
    seq: Number(raw.seq),
    clientId: raw.client_id,
    authorKind: raw.author_kind,
    authorId: raw.author_id,
    body: raw.body,
    createdAt: raw.created_at instanceof Date ? raw.created_at : new Date(raw.created_at),
  };
}

export class MessageStore {
  private queue: Pending[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly db: Db,
    // One statement in flight: the next batch gathers while the previous one commits. Each statement
    // has a fixed cost in PostgreSQL (~1 ms of CPU here, statement-costs.ts) that more statements
    // in flight pay more often, for smaller batches (group-commit-window.ts).
    private readonly options: { maxBatch: number; maxInFlight: number } = { maxBatch: 256, maxInFlight: 1 },
  ) {}

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
    while (this.queue.length > 0 && this.inFlight < this.options.maxInFlight) {
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
      const results = await this.writeBatch(batch.map((p) => p.message));
      batch.forEach((pending, i) => pending.resolve(results[i] ?? null));
    } catch (error) {
      // Another connection stored one of these clientIds between our check and our insert (a
      // resend racing its original; the unique index waited for it to commit). Written again one
      // by one, each sees the stored row and is answered with it.
      if (isUniqueViolation(error) && attempt < 3) {
        for (const pending of batch) await this.write([pending], attempt + 1);
        return;
      }
      for (const pending of batch) pending.reject(error);
    }
  }

  private async writeBatch(messages: NewMessage[]): Promise<(Appended | null)[]> {
    // One array per column, not one JSON document: PostgreSQL estimates unnest() of an array at
    // its length and jsonb_to_recordset() at 100 rows, and planned for 100 rows a batch of a few
    // messages hashed whole tables instead of probing their indexes (statement-costs.ts).
    const column = (pick: (m: NewMessage) => string) => sql.param(messages.map(pick));
    const inserted = await this.rows(sql`
      with input as (
        select t.ord::int as ord, t.conversation_id::uuid as conversation_id, t.client_id,
          t.author_kind::author_kind as author_kind, t.author_id::uuid as author_id, t.body
        from unnest(${column((m) => m.conversationId)}::text[], ${column((m) => m.clientId)}::text[],
          ${column((m) => m.authorKind)}::text[], ${column((m) => m.authorId)}::text[], ${column((m) => m.body)}::text[])
          with ordinality as t(conversation_id, client_id, author_kind, author_id, body, ord)
      ),
      fresh as (
        select distinct on (i.conversation_id, i.client_id) i.* from input i
        where not exists (select 1 from messages m where m.conversation_id = i.conversation_id and m.client_id = i.client_id)
        order by i.conversation_id, i.client_id, i.ord
      ),
      numbered as (
        select f.*, row_number() over (partition by f.conversation_id order by f.ord) as rank from fresh f
      ),
      totals as (
        select conversation_id, count(*)::int as added,
          bool_or(author_kind = 'visitor') as from_visitor,
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
          -- A visitor writing reopens the conversation; an agent's first reply claims it.
          status = case when t.from_visitor then 'open'::conversation_status else c.status end,
          resolved_at = case when t.from_visitor then null else c.resolved_at end,
          assignee_id = coalesce(c.assignee_id, t.first_agent)
        from totals t where c.id = t.conversation_id
        returning c.id, c.last_seq - t.added as base
      ),
      inserted as (
        insert into messages (conversation_id, seq, client_id, author_kind, author_id, body, created_at)
        select n.conversation_id, b.base + n.rank, n.client_id, n.author_kind, n.author_id, n.body, now()
        from numbered n join bumped b on b.id = n.conversation_id
        returning *
      )
      select i.*, b.status as old_status, b.assignee_id as old_assignee
      from inserted i join before b on b.id = i.conversation_id`);

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
      const stored = await this.rows(sql`
        select m.* from messages m
        join unnest(${sql.param(missing.map((m) => m.conversationId))}::uuid[], ${sql.param(missing.map((m) => m.clientId))}::text[])
          as t(conversation_id, client_id)
          on m.conversation_id = t.conversation_id and m.client_id = t.client_id`);
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

  /** PGlite answers { rows }, postgres.js an array of rows: one shape for both. */
  private async rows(query: ReturnType<typeof sql>): Promise<RawRow[]> {
    const result = await this.db.execute(query) as unknown as RawRow[] | { rows: RawRow[] };
    return Array.isArray(result) ? result : result.rows;
  }
}
