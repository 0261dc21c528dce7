// Messages written and not yet stored by the server. They go out one at a time, in the order they
// were written, so a retry can never overtake what came before it; each is sent again with the same
// clientId until the server answers (the server stores a clientId once and acknowledges every copy).
// The outbox survives a reload through the injected storage, which every tab of the app shares.
import { isTemporary } from '../protocol/index.ts';
import type { AckFrame, ClientFrame, ErrorFrame, MessageView, SendFrame, ServerFrame } from '../protocol/index.ts';
import { newClientId } from './client-id.ts';
import { systemClock, type ClientStorage, type Clock } from './environment.ts';

export interface OutboxItem {
  clientId: string;
  body: string;
  /** Agents name the conversation; a visitor's message goes to the visitor's conversation. */
  conversationId?: string;
  /** Failed: the server refused it for good; it waits for retry() or discard(). */
  state: 'pending' | 'failed';
  /** Why the server refused it: the error's message, or its code. */
  error?: string;
}

export interface OutboxOptions {
  storage: ClientStorage;
  key: string;
  /** Normally the Connection: sends a frame when it is ready to, and says whether it did. */
  transport: { send(frame: ClientFrame): boolean };
  /** Whether refused messages are kept across a reload (the console) or forgotten with the page (the widget). */
  persistFailed?: boolean;
  onChange?(items: readonly OutboxItem[]): void;
  /** An item was stored; the ack carries its seq. */
  onAcknowledged?(item: OutboxItem, ack: AckFrame): void;
  clock?: Clock;
  newClientId?(): string;
}

/** Without an answer by then, the message is sent again (on the same connection, which may be stuck). */
export const ACK_TIMEOUT_MS = 15_000;
/** For a temporary error that does not say when to try again. */
export const DEFAULT_RETRY_AFTER_MS = 2_000;

export class Outbox {
  private list: OutboxItem[];
  /** The clientId sent and not yet answered. */
  private inFlightId: string | null = null;
  /** A temporary error asked for a pause: the head of the line waits, and so does everything behind it. */
  private holding = false;
  /** The ack timeout while a message is in flight, the pause while holding. */
  private timer: unknown;
  private readonly clock: Clock;

  constructor(private readonly options: OutboxOptions) {
    this.clock = options.clock ?? systemClock;
    this.list = this.stored();
  }

  get items(): readonly OutboxItem[] {
    return this.list;
  }

  get inFlight(): string | null {
    return this.inFlightId;
  }

  add(body: string, conversationId?: string): OutboxItem {
    const item: OutboxItem = {
      clientId: (this.options.newClientId ?? newClientId)(),
      body,
      ...(conversationId ? { conversationId } : {}),
      state: 'pending',
    };
    this.list = [...this.list, item];
    this.store((stored) => [...stored, item]);
    this.changed();
    return item;
  }

  /** Sends a failed item again, keeping its clientId and its place in the line. */
  retry(clientId: string): void {
    const item = this.find(clientId);
    if (item?.state !== 'failed') return;
    const pending: OutboxItem = { ...item, state: 'pending', error: undefined };
    this.replace(pending);
    // In its place; stored again if it was dropped (the widget forgets refused messages).
    this.store((stored) => (stored.some((other) => other.clientId === clientId)
      ? stored.map((other) => (other.clientId === clientId ? pending : other))
      : [...stored, pending]));
    this.changed();
  }

  discard(clientId: string): void {
    this.remove([clientId]);
    this.changed();
  }

  /** Feed every frame from the server here: it carries the outbox's answers. */
  receive(frame: ServerFrame): void {
    switch (frame.type) {
      case 'ready':
        if (frame.role === 'visitor') this.delivered(frame.messages);
        this.resend();
        return;
      case 'ack':
        return this.acknowledged(frame);
      case 'error':
        return this.refused(frame);
      case 'message':
        return this.delivered([frame.message]);
      case 'messages':
        return this.delivered(frame.messages);
    }
  }

  stop(): void {
    this.clock.clearTimeout(this.timer);
  }

  /** Sends the oldest pending item, unless one is waiting for its answer or the line is held. */
  private pump(): void {
    if (this.inFlightId || this.holding) return;
    const next = this.list.find((item) => item.state === 'pending');
    if (!next || !this.options.transport.send(sendFrame(next))) return;
    this.inFlightId = next.clientId;
    this.timer = this.clock.setTimeout(() => this.resend(), ACK_TIMEOUT_MS);
  }

  /** A new connection (or a stuck one): what was in flight goes again, the server dedupes. */
  private resend(): void {
    this.clock.clearTimeout(this.timer);
    this.inFlightId = null;
    this.holding = false;
    this.pump();
  }

  private answered(clientId: string): void {
    if (this.inFlightId !== clientId) return;
    this.clock.clearTimeout(this.timer);
    this.inFlightId = null;
  }

  private acknowledged(ack: AckFrame): void {
    const item = this.find(ack.clientId);
    this.answered(ack.clientId);
    if (!item) return this.pump();
    this.remove([item.clientId]);
    // Before the change is announced, so the app never shows the message neither sent nor stored.
    this.options.onAcknowledged?.(item, ack);
    this.changed();
  }

  /** A message came back from the server without its ack (lost with a connection, or sent by another tab). */
  private delivered(messages: readonly MessageView[]): void {
    const clientIds = new Set(messages.map((message) => message.clientId));
    const gone = this.list.filter((item) => clientIds.has(item.clientId)).map((item) => item.clientId);
    if (!gone.length) return;
    this.remove(gone);
    this.changed();
  }

  private refused(error: ErrorFrame): void {
    const item = error.clientId === undefined ? undefined : this.find(error.clientId);
    if (!item) return;
    this.answered(item.clientId);
    if (isTemporary(error.code)) {
      // It stays first in line: after the pause it is sent again, before anything written since.
      this.holding = true;
      this.clock.clearTimeout(this.timer);
      this.timer = this.clock.setTimeout(() => this.resend(), error.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS);
      return;
    }
    // Sending it again unasked would only be refused again.
    const failed: OutboxItem = { ...item, state: 'failed', error: error.message || error.code };
    this.replace(failed);
    this.store((stored) => ((this.options.persistFailed ?? true)
      ? stored.map((other) => (other.clientId === item.clientId ? failed : other))
      : stored.filter((other) => other.clientId !== item.clientId)));
    this.changed();
  }

  private remove(clientIds: readonly string[]): void {
    const removed = (item: OutboxItem) => clientIds.includes(item.clientId);
    if (this.inFlightId && clientIds.includes(this.inFlightId)) this.answered(this.inFlightId);
    this.list = this.list.filter((item) => !removed(item));
    this.store((stored) => stored.filter((item) => !removed(item)));
  }

  private find(clientId: string): OutboxItem | undefined {
    return this.list.find((item) => item.clientId === clientId);
  }

  private replace(item: OutboxItem): void {
    this.list = this.list.map((other) => (other.clientId === item.clientId ? item : other));
  }

  /** Every change tells the app, then sends whatever may go now. */
  private changed(): void {
    this.options.onChange?.(this.list);
    this.pump();
  }

  /**
   * Read-modify-write of the stored list, so that tabs sharing the key add and remove their own items
   * without erasing each other's.
   */
  private store(change: (stored: OutboxItem[]) => OutboxItem[]): void {
    const { storage, key } = this.options;
    const next = change(this.stored());
    if (next.length) storage.set(key, next);
    else storage.remove(key);
  }

  private stored(): OutboxItem[] {
    const value = this.options.storage.get(this.options.key);
    // Items stored before the outbox had states (the widget's `{ clientId, body }`) are pending.
    return Array.isArray(value)
      ? value.filter(isItem).map((item) => ({ ...item, state: item.state === 'failed' ? 'failed' : 'pending' }))
      : [];
  }
}

function sendFrame(item: OutboxItem): SendFrame {
  return {
    type: 'message.send',
    clientId: item.clientId,
    body: item.body,
    ...(item.conversationId ? { conversationId: item.conversationId } : {}),
  };
}

function isItem(value: unknown): value is Partial<OutboxItem> & Pick<OutboxItem, 'clientId' | 'body'> {
  const item = value as Partial<OutboxItem> | null;
  return typeof item?.clientId === 'string' && typeof item.body === 'string' &&
    (item.conversationId === undefined || typeof item.conversationId === 'string');
}

/** The stored message an ack stands for, as the app shows it until the server's own copy arrives. */
export function messageFromAck(
  item: OutboxItem,
  ack: AckFrame,
  author: Pick<MessageView, 'authorKind' | 'authorId' | 'authorName'>,
): MessageView {
  return {
    id: ack.messageId,
    conversationId: ack.conversationId,
    seq: ack.seq,
    clientId: item.clientId,
    ...author,
    body: item.body,
    createdAt: ack.createdAt,
  };
}
