// A conversation as a client holds it. Messages reach a client live, in sync pages and in `ready`,
// possibly twice and possibly out of order (a relay lost with a connection, concurrent writers); every
// copy is merged by seq, so each message is held once, in order, and what is missing gets asked for.
import type { MessageView } from '../protocol/index.ts';
import { systemClock, type Clock } from './environment.ts';

interface Sequenced { seq: number }

/** Adds `incoming` to `held` (both in seq order), ignoring seqs already held. Returns `held` itself when nothing is new. */
export function mergeBySeq<T extends Sequenced>(held: readonly T[], incoming: readonly T[]): readonly T[] {
  let merged: T[] | null = null;
  for (const message of incoming) {
    const list = merged ?? held;
    const index = indexAfter(list, message.seq - 1);
    if (list[index]?.seq === message.seq) continue;
    merged ??= held.slice();
    merged.splice(index, 0, message);
  }
  return merged ?? held;
}

/** The highest seq reachable from `from` without a gap: where a sync resumes. */
export function contiguousSeq(messages: readonly Sequenced[], from = 0): number {
  let seq = from;
  for (let index = indexAfter(messages, from); messages[index]?.seq === seq + 1; index++) seq += 1;
  return seq;
}

/**
 * Where the next page of a sync starts, or null when this was the last one. From this page's end,
 * not from the highest seq held: live messages may already sit beyond a gap that the next pages fill.
 * An empty page that claims more would loop forever: the data wins over the flag.
 */
export function nextPageAfter(page: { messages: readonly Sequenced[]; hasMore: boolean }): number | null {
  return page.hasMore ? page.messages[page.messages.length - 1]?.seq ?? null : null;
}

/** Index of the first message with a seq above `seq` (binary search). */
function indexAfter(messages: readonly Sequenced[], seq: number): number {
  let low = 0;
  let high = messages.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (messages[middle]!.seq <= seq) low = middle + 1;
    else high = middle;
  }
  return low;
}

export type SyncReason = 'resume' | 'page' | 'repair';

export const GAP_REPAIR_MS = 1_000;
export const SYNC_TIMEOUT_MS = 10_000;

export interface ConversationLogOptions {
  /** Sends `sync { conversationId, afterSeq }`; false when it could not be sent (not connected). */
  requestSync(afterSeq: number, reason: SyncReason): boolean;
  /**
   * A gap may close by itself (live frames of concurrent writers can arrive out of order); one still
   * open after this long is filled with a sync.
   */
  gapRepairMs?: number;
  /** A sync not answered by then is asked again (the server may have refused it, or lost it in a restart). */
  syncTimeoutMs?: number;
  clock?: Clock;
}

export interface MergeResult {
  /** Messages that joined the contiguous run, in seq order: each is reported once, when it can be shown in order. */
  delivered: MessageView[];
  /** Copies of seqs already held, which were dropped. */
  repeated: MessageView[];
}

export class ConversationLog {
  private held: readonly MessageView[] = [];
  private contiguous = 0;
  private awaitingPage = false;
  private repairTimer: unknown;
  private readonly clock: Clock;

  constructor(readonly conversationId: string, private readonly options: ConversationLogOptions) {
    this.clock = options.clock ?? systemClock;
  }

  /** Every message held, in seq order; a new array after each change. */
  get messages(): readonly MessageView[] {
    return this.held;
  }

  /** The highest seq held with nothing missing below it (from where the log starts). */
  get contiguousSeq(): number {
    return this.contiguous;
  }

  find(seq: number): MessageView | undefined {
    const message = this.held[indexAfter(this.held, seq - 1)];
    return message?.seq === seq ? message : undefined;
  }

  /**
   * History up to `seq` is not wanted: contiguity counts from there. The widget's `ready` carries
   * only a conversation's latest messages; a fresh page shows those, not everything before them.
   */
  skipTo(seq: number): void {
    if (seq > this.contiguous) this.contiguous = contiguousSeq(this.held, seq);
  }

  merge(incoming: readonly MessageView[]): MergeResult {
    const before = this.contiguous;
    this.held = mergeBySeq(this.held, incoming);
    this.contiguous = contiguousSeq(this.held, before);
    const start = indexAfter(this.held, before);
    const delivered = this.held.slice(start, start + this.contiguous - before);
    const repeated = incoming.filter((message) => this.find(message.seq) !== message);
    this.watchGap();
    return { delivered, repeated };
  }

  /** Asks for everything after what is held without a gap, as after every `ready`. */
  resume(): void {
    this.request(this.contiguous, 'resume');
  }

  /** A `messages` frame for this conversation: merged, and the next page asked for while there are more. */
  receivePage(page: { messages: readonly MessageView[]; hasMore: boolean }): MergeResult {
    const result = this.merge(page.messages);
    const next = nextPageAfter(page);
    if (next !== null) {
      this.request(next, 'page');
    } else {
      this.awaitingPage = false;
      this.clock.clearTimeout(this.repairTimer);
      this.repairTimer = undefined;
      this.watchGap();
    }
    return result;
  }

  stop(): void {
    this.clock.clearTimeout(this.repairTimer);
    this.repairTimer = undefined;
  }

  private request(afterSeq: number, reason: SyncReason): void {
    this.stop();
    this.awaitingPage = this.options.requestSync(afterSeq, reason);
    // Not connected: the next `ready` resumes, nothing to watch until then.
    if (this.awaitingPage) this.repairAfter(this.options.syncTimeoutMs ?? SYNC_TIMEOUT_MS);
  }

  private watchGap(): void {
    const gapOpen = (this.held[this.held.length - 1]?.seq ?? 0) > this.contiguous;
    if (gapOpen && this.repairTimer === undefined) this.repairAfter(this.options.gapRepairMs ?? GAP_REPAIR_MS);
    else if (!gapOpen && !this.awaitingPage) this.stop();
  }

  private repairAfter(ms: number): void {
    this.repairTimer = this.clock.setTimeout(() => {
      this.repairTimer = undefined;
      this.request(this.contiguous, 'repair');
    }, ms);
  }
}
