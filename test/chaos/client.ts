// A Node client that behaves the way the widget and the console must for "nothing lost, nothing
// doubled": an outbox of unacknowledged messages resent in order with the same clientId after every
// reconnect, backoff with jitter, `sync` from the highest contiguous seq after every `ready`, and a
// merge by seq that shows each message to the app exactly once and in order. It also records what
// it saw, so the chaos test can compare every client's view with the database.
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import {
  PROTOCOL, afterClose,
  type ClientFrame, type ConversationListResponse, type MessageView, type ServerFrame,
} from '../../protocol/index.ts';

export interface ChaosClientOptions {
  name: string;
  role: 'visitor' | 'agent';
  wsUrl: string;
  /** For the agents' conversation list, as the console fetches it after connecting. */
  httpUrl: string;
  token: string;
  /** Visitors' WebSocket Origin header: the page that embeds the widget. */
  origin?: string;
  reconnectDelayMs?: { min: number; max: number };
  /** A live gap (seq n+2 arrived, n+1 not) still open after this long is filled with `sync`. */
  gapRepairMs?: number;
  /** Called once per message, when the app shows it (first delivery, in seq order). */
  onDeliver?: (message: MessageView, client: ChaosClient) => void;
}

export interface SentMessage {
  clientId: string;
  body: string;
  conversationId?: string;
}

export interface Ack { conversationId: string; seq: number }

/** One conversation as this client holds it. */
export class ConversationLog {
  /** Shown to the app, in order: delivered[i] has seq i + 1. */
  readonly delivered: MessageView[] = [];
  /** Arrived ahead of a missing seq; shown once the gap closes. */
  readonly early = new Map<number, MessageView>();
  /** A sync was asked on the current connection and its last page has not come back yet. */
  syncing = false;
  gapTimer: NodeJS.Timeout | undefined;

  constructor(readonly id: string) {}

  /** The highest seq held with nothing missing below it: where a sync resumes from. */
  get contiguousSeq(): number {
    return this.delivered.length;
  }
}

export interface ChaosClientStats {
  sent: number;
  sendFrames: number;
  /** Acks for a clientId already acknowledged, e.g. a retried copy answered as well as the first. */
  repeatAcks: number;
  /** A clientId acknowledged twice with different positions: the server stored it twice. */
  conflictingAcks: number;
  /**
   * Resends answered with a copy stored before the resend left (the ack's createdAt is older): the
   * server's duplicate path at work. A lower bound: a copy still in flight on a cut connection may
   * be stored a moment after its resend left.
   */
  deduplicatedResends: number;
  /** Live or synced copies of a seq already held: expected with at-least-once delivery, dropped. */
  duplicateDeliveriesDropped: number;
  /** The same seq arrived with a different message than the one held: the server contradicted itself. */
  conflictingDeliveries: number;
  connects: number;
  readies: number;
  cuts: number;
  abandons: number;
  syncs: number;
  gapRepairs: number;
  errors: Record<string, number>;
  /** Closes with a code that says "do not reconnect". */
  fatalCloses: { code: number; reason: string }[];
}

// INTERNAL is a server bug, which the test reports; retrying it keeps the rest of the run meaningful.
const RETRYABLE = new Set(['UNAVAILABLE', 'RATE_LIMITED', 'INTERNAL']);

export class ChaosClient {
  readonly name: string;
  readonly role: 'visitor' | 'agent';
  readonly conversations = new Map<string, ConversationLog>();
  /** Every message this client created, by clientId. */
  readonly sent = new Map<string, SentMessage>();
  readonly acks = new Map<string, Ack>();
  readonly stats: ChaosClientStats = {
    sent: 0, sendFrames: 0, repeatAcks: 0, conflictingAcks: 0, deduplicatedResends: 0, duplicateDeliveriesDropped: 0,
    conflictingDeliveries: 0, connects: 0, readies: 0, cuts: 0, abandons: 0, syncs: 0, gapRepairs: 0, errors: {}, fatalCloses: [],
  };

  private readonly outbox: SentMessage[] = [];
  private readonly transmissions = new Map<string, { count: number; lastAt: number }>();
  private socket: WebSocket | null = null;
  /** Bumped for every new socket, so callbacks of a dead connection do nothing. */
  private generation = 0;
  private isReady = false;
  private stopped = false;
  private failedAttempts = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private cutTimer: NodeJS.Timeout | undefined;
  private cutEveryMs: { min: number; max: number; abandonShare: number } | null = null;
  /** Given up on but not yet closed; the server may still be handling their frames. */
  private readonly abandoned = new Set<WebSocket>();
  private readonly reconnectDelayMs: { min: number; max: number };
  private readonly gapRepairMs: number;

  constructor(private readonly options: ChaosClientOptions) {
    this.name = options.name;
    this.role = options.role;
    this.reconnectDelayMs = options.reconnectDelayMs ?? { min: 50, max: 500 };
    this.gapRepairMs = options.gapRepairMs ?? 500;
  }

  get ready(): boolean {
    return this.isReady;
  }

  get unacknowledged(): number {
    return this.outbox.length;
  }

  /** Messages written to the current connection and not acknowledged yet: the server is on them. */
  get inFlight(): number {
    return this.isReady ? this.outbox.length : 0;
  }

  start(): void {
    this.connect();
  }

  /** Queues a message; it is sent now if connected, else after the next `ready`, until acknowledged. */
  send(body: string, conversationId?: string): string {
    const message: SentMessage = { clientId: randomUUID(), body, ...(conversationId ? { conversationId } : {}) };
    this.sent.set(message.clientId, message);
    this.stats.sent += 1;
    this.outbox.push(message);
    if (this.isReady) this.transmit(message);
    return message.clientId;
  }

  /**
   * Cut the connection at random moments, as flaky networks and sleeping laptops do. A share of the
   * cuts abandon the socket instead: it stays open, unread, for a while, and a new one starts at once.
   */
  startCutting(everyMs: { min: number; max: number; abandonShare: number }): void {
    this.cutEveryMs = everyMs;
    this.scheduleCut();
  }

  stopCutting(): void {
    this.cutEveryMs = null;
    clearTimeout(this.cutTimer);
  }

  /** Ask again for everything after what is held, as after a reconnect. */
  resync(): void {
    if (!this.isReady) return;
    for (const log of this.conversations.values()) this.sync(log, log.contiguousSeq);
  }

  /** The log of a conversation; one heard of for the first time is synced from its start. */
  know(conversationId: string): ConversationLog {
    let log = this.conversations.get(conversationId);
    if (!log) {
      log = new ConversationLog(conversationId);
      this.conversations.set(conversationId, log);
      if (this.isReady) this.sync(log, 0);
    }
    return log;
  }

  stop(): void {
    this.stopped = true;
    this.stopCutting();
    clearTimeout(this.reconnectTimer);
    for (const log of this.conversations.values()) clearTimeout(log.gapTimer);
    this.socket?.terminate();
    this.socket = null;
    this.isReady = false;
    for (const socket of this.abandoned) socket.terminate();
    this.abandoned.clear();
  }

  private connect(): void {
    if (this.stopped) return;
    const generation = ++this.generation;
    this.stats.connects += 1;
    const socket = new WebSocket(this.options.wsUrl, [PROTOCOL, this.options.token],
      this.options.origin ? { origin: this.options.origin } : {});
    this.socket = socket;
    const current = () => generation === this.generation && !this.stopped;
    socket.on('message', (data) => {
      if (current()) this.receive(JSON.parse(String(data)) as ServerFrame, generation);
    });
    // Refused connections (server down) land here too; 'close' follows and schedules the retry.
    socket.on('error', () => {});
    socket.on('close', (code, reason) => {
      if (!current()) return;
      this.disconnected();
      if (afterClose(code) === 'stop') {
        this.stats.fatalCloses.push({ code, reason: String(reason) });
        return;
      }
      this.scheduleReconnect();
    });
    this.scheduleCut();
  }

  private disconnected(): void {
    this.socket = null;
    this.isReady = false;
    clearTimeout(this.cutTimer);
    for (const log of this.conversations.values()) {
      log.syncing = false;
      clearTimeout(log.gapTimer);
      log.gapTimer = undefined;
    }
  }

  private scheduleReconnect(): void {
    const { min, max } = this.reconnectDelayMs;
    const ceiling = Math.min(max, min * 2 ** this.failedAttempts);
    this.failedAttempts += 1;
    // Full jitter, so clients cut at the same moment do not come back in one wave.
    const delay = min + Math.random() * (ceiling - min);
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  private scheduleCut(): void {
    clearTimeout(this.cutTimer);
    if (!this.cutEveryMs || !this.socket) return;
    const { min, max, abandonShare } = this.cutEveryMs;
    const socket = this.socket;
    this.cutTimer = setTimeout(() => {
      if (socket !== this.socket) return;
      if (Math.random() >= abandonShare) {
        this.stats.cuts += 1;
        socket.terminate();
        return;
      }
      // A client that gives up on a connection it believes dead opens the next one at once, while
      // the server may still be working through the old one's frames: resends race their originals.
      this.stats.abandons += 1;
      this.disconnected();
      this.abandoned.add(socket);
      setTimeout(() => {
        this.abandoned.delete(socket);
        socket.terminate();
      }, 500 + Math.random() * 1000);
      this.connect();
    }, min + Math.random() * (max - min));
  }

  private frame(frame: ClientFrame): void {
    this.socket?.send(JSON.stringify(frame));
  }

  private transmit(message: SentMessage): void {
    this.stats.sendFrames += 1;
    const earlier = this.transmissions.get(message.clientId);
    this.transmissions.set(message.clientId, { count: (earlier?.count ?? 0) + 1, lastAt: Date.now() });
    this.frame({ type: 'message.send', clientId: message.clientId, body: message.body,
      ...(message.conversationId ? { conversationId: message.conversationId } : {}) });
  }

  private sync(log: ConversationLog, afterSeq: number): void {
    log.syncing = true;
    this.stats.syncs += 1;
    this.frame({ type: 'sync', conversationId: log.id, afterSeq });
  }

  private receive(frame: ServerFrame, generation: number): void {
    switch (frame.type) {
      case 'ready':
        this.failedAttempts = 0;
        this.stats.readies += 1;
        if (frame.role === 'visitor' && frame.conversation) {
          this.know(frame.conversation.id);
          for (const message of frame.messages) this.merge(message);
        }
        // Resume every conversation from what is held, then resend what was never acknowledged.
        this.isReady = true;
        this.resync();
        for (const message of this.outbox) this.transmit(message);
        if (this.role === 'agent') void this.discoverConversations(generation);
        return;
      case 'ack':
        return this.acknowledge(frame.clientId, { conversationId: frame.conversationId, seq: frame.seq }, frame.createdAt);
      case 'message':
        return this.merge(frame.message);
      case 'messages': {
        const log = this.know(frame.conversationId);
        for (const message of frame.messages) this.merge(message);
        const last = frame.messages.at(-1);
        if (frame.hasMore && last) this.sync(log, last.seq);
        else log.syncing = false;
        return;
      }
      case 'conversation':
        this.know(frame.conversation.id);
        return;
      case 'error':
        return this.failed(frame.code, frame.clientId, frame.retryAfterMs, generation);
      default:
        return;
    }
  }

  private acknowledge(clientId: string, ack: Ack, createdAt: string): void {
    const sent = this.transmissions.get(clientId);
    if (sent && sent.count > 1 && Date.parse(createdAt) < sent.lastAt) this.stats.deduplicatedResends += 1;
    const earlier = this.acks.get(clientId);
    if (earlier) {
      this.stats.repeatAcks += 1;
      if (earlier.seq !== ack.seq || earlier.conversationId !== ack.conversationId) this.stats.conflictingAcks += 1;
    } else {
      this.acks.set(clientId, ack);
    }
    const index = this.outbox.findIndex((message) => message.clientId === clientId);
    if (index >= 0) this.outbox.splice(index, 1);
    this.know(ack.conversationId);
  }

  private failed(code: string, clientId: string | undefined, retryAfterMs: number | undefined, generation: number): void {
    this.stats.errors[code] = (this.stats.errors[code] ?? 0) + 1;
    const message = clientId === undefined ? undefined : this.outbox.find((entry) => entry.clientId === clientId);
    if (message && RETRYABLE.has(code)) {
      setTimeout(() => {
        if (generation === this.generation && this.isReady && this.outbox.includes(message)) this.transmit(message);
      }, Math.min(retryAfterMs ?? 200, 1000));
      return;
    }
    if (message) {
      // Refused for good: the app would show it as failed; the test counts it as never acknowledged.
      this.outbox.splice(this.outbox.indexOf(message), 1);
      return;
    }
    // A failed sync does not say which conversation: start over on a fresh connection.
    this.socket?.terminate();
  }

  /** Shows messages to the app in seq order, each once; holds back those that arrive ahead of a gap. */
  private merge(message: MessageView): void {
    const log = this.know(message.conversationId);
    const held = message.seq <= log.contiguousSeq ? log.delivered[message.seq - 1] : log.early.get(message.seq);
    if (held) {
      this.stats.duplicateDeliveriesDropped += 1;
      if (held.clientId !== message.clientId || held.id !== message.id) this.stats.conflictingDeliveries += 1;
      return;
    }
    log.early.set(message.seq, message);
    let next: MessageView | undefined;
    while ((next = log.early.get(log.contiguousSeq + 1))) {
      log.early.delete(next.seq);
      log.delivered.push(next);
      this.options.onDeliver?.(next, this);
    }
    this.watchGap(log);
  }

  /**
   * Live frames of concurrent writers may arrive out of order, so a gap is given a moment to close
   * by itself before it is filled from the database.
   */
  private watchGap(log: ConversationLog): void {
    if (log.early.size === 0) {
      clearTimeout(log.gapTimer);
      log.gapTimer = undefined;
      return;
    }
    if (log.gapTimer) return;
    log.gapTimer = setTimeout(() => {
      log.gapTimer = undefined;
      if (log.early.size === 0 || !this.isReady) return;
      if (log.syncing) return this.watchGap(log);
      this.stats.gapRepairs += 1;
      this.sync(log, log.contiguousSeq);
    }, this.gapRepairMs);
  }

  /** The console lists the account's conversations after connecting; a failed fetch is retried. */
  private async discoverConversations(generation: number): Promise<void> {
    while (generation === this.generation && this.isReady) {
      try {
        const response = await fetch(`${this.options.httpUrl}/api/conversations?view=all`,
          { headers: { authorization: `Bearer ${this.options.token}` } });
        if (response.ok) {
          const { conversations } = await response.json() as ConversationListResponse;
          for (const conversation of conversations) this.know(conversation.id);
          return;
        }
      } catch {
        // The server went away; the next connection tries again.
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
