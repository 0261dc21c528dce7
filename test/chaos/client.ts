// A Node client that runs the client core the widget and the console ship — Connection, Outbox (one
// message in flight, resent after every `ready`) and ConversationLog (merge by seq, resume and gap
// repair) — over `ws`. Around the core it adds only what the chaos test needs: sockets it can cut or
// abandon, and a record of what it saw, so the test can compare every client's view with the database.
import WebSocket from 'ws';
import type { AckFrame, ConversationListResponse, MessageView, ServerFrame } from '../../protocol/index.ts';
import type { Backoff } from '../../client/backoff.ts';
import { Connection } from '../../client/connection.ts';
import { ConversationLog, type MergeResult, type SyncReason } from '../../client/conversation-log.ts';
import { memoryStorage, type ClientSocket } from '../../client/environment.ts';
import { Outbox, messageFromAck } from '../../client/outbox.ts';

export interface ChaosClientOptions {
  name: string;
  role: 'visitor' | 'agent';
  wsUrl: string;
  /** For the agents' conversation list, as the console fetches it after connecting. */
  httpUrl: string;
  token: string;
  /** Visitors' WebSocket Origin header: the page that embeds the widget. */
  origin?: string;
  backoff?: Backoff;
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
export class ChaosConversation {
  /** What the core reported as shown to the app, in the order it reported it. */
  readonly delivered: MessageView[] = [];

  constructor(readonly log: ConversationLog) {}

  get contiguousSeq(): number {
    return this.log.contiguousSeq;
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
  /** The connection stopped for good: the reason is the close code's name, or its number. */
  fatalCloses: string[];
}

/**
 * The socket the core is given: `ws` underneath, which the test can cut (the TCP connection drops)
 * or abandon (the core moves on while the socket stays open, unread, for a while).
 */
class CuttableSocket implements ClientSocket {
  onopen: ClientSocket['onopen'] = null;
  onmessage: ClientSocket['onmessage'] = null;
  onclose: ClientSocket['onclose'] = null;
  onerror: ClientSocket['onerror'] = null;
  private abandoned = false;

  constructor(private readonly ws: WebSocket) {
    ws.on('open', () => this.onopen?.({}));
    ws.on('message', (data) => this.onmessage?.({ data: String(data) }));
    ws.on('close', (code) => this.onclose?.({ code }));
    // Refused connections (server down) land here too; 'close' follows.
    ws.on('error', () => {});
  }

  get readyState(): number {
    return this.ws.readyState;
  }

  send(data: string): void {
    this.ws.send(data);
  }

  close(code?: number): void {
    if (!this.abandoned) this.ws.close(code);
  }

  cut(): void {
    this.ws.terminate();
  }

  /** The core's close() is ignored from now on; the socket dies after `forMs`. */
  abandon(forMs: number, died: () => void): void {
    this.abandoned = true;
    setTimeout(() => {
      this.ws.terminate();
      died();
    }, forMs);
  }
}

export class ChaosClient {
  readonly name: string;
  readonly role: 'visitor' | 'agent';
  readonly conversations = new Map<string, ChaosConversation>();
  /** Every message this client created, by clientId. */
  readonly sent = new Map<string, SentMessage>();
  /** Where each message landed: from its ack, or from its own copy when the ack was lost with a connection. */
  readonly acks = new Map<string, Ack>();
  readonly stats: ChaosClientStats = {
    sent: 0, sendFrames: 0, repeatAcks: 0, conflictingAcks: 0, deduplicatedResends: 0, duplicateDeliveriesDropped: 0,
    conflictingDeliveries: 0, connects: 0, readies: 0, cuts: 0, abandons: 0, syncs: 0, gapRepairs: 0, errors: {}, fatalCloses: [],
  };

  /**
   * After each close of the current socket (a cut's is 1006), its code and how long the client
   * waited before its next attempt: how a node's shutdown spread its clients' reconnects.
   */
  readonly reconnectWaits: { code: number; waitMs: number }[] = [];
  /** At each close of the current socket: its code, when, and the messages sent but not acknowledged by then. */
  readonly closes: { code: number; at: number; unacknowledged: string[] }[] = [];

  private readonly connection: Connection;
  private lastClose: { code: number; at: number } | null = null;
  private readonly outbox: Outbox;
  private readonly transmissions = new Map<string, { count: number; lastAt: number }>();
  private readonly ackFramesSeen = new Set<string>();
  private author: Pick<MessageView, 'authorKind' | 'authorId' | 'authorName'>;
  private socket: CuttableSocket | null = null;
  /** Given up on but not yet closed; the server may still be handling their frames. */
  private readonly abandoned = new Set<CuttableSocket>();
  private cutTimer: NodeJS.Timeout | undefined;
  private cutEveryMs: { min: number; max: number; abandonShare: number } | null = null;
  private stopped = false;

  constructor(private readonly options: ChaosClientOptions) {
    this.name = options.name;
    this.role = options.role;
    this.author = { authorKind: options.role, authorId: null, authorName: null };
    this.connection = new Connection({
      url: options.wsUrl,
      token: () => options.token,
      openSocket: (url, protocols) => this.openSocket(url, protocols),
      onFrame: (frame) => this.receive(frame),
      onStop: (reason) => this.stats.fatalCloses.push(reason),
      backoff: options.backoff ?? { firstMs: 100, capMs: 500 },
    });
    this.outbox = new Outbox({
      storage: memoryStorage(),
      key: 'outbox',
      transport: {
        send: (frame) => {
          const sent = this.connection.send(frame);
          if (sent && frame.type === 'message.send') this.transmitted(frame.clientId);
          return sent;
        },
      },
      onAcknowledged: (item, ack) => this.merge(ack.conversationId, [messageFromAck(item, ack, this.author)]),
    });
  }

  get ready(): boolean {
    return this.connection.ready;
  }

  /** Messages still to be stored; those the server refused for good are not waiting any more. */
  get unacknowledged(): number {
    return this.outbox.items.filter((item) => item.state === 'pending').length;
  }

  /** Messages written to the current connection and not answered yet: the server is on them. */
  get inFlight(): number {
    return this.connection.ready && this.outbox.inFlight ? 1 : 0;
  }

  start(): void {
    this.connection.start();
  }

  /** Queues a message; the outbox sends it in turn, until it is acknowledged. */
  send(body: string, conversationId?: string): string {
    const { clientId } = this.outbox.add(body, conversationId);
    this.sent.set(clientId, { clientId, body, ...(conversationId ? { conversationId } : {}) });
    this.stats.sent += 1;
    return clientId;
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
    for (const conversation of this.conversations.values()) conversation.log.resume();
  }

  /** The conversation; one heard of for the first time is synced from its start. */
  know(conversationId: string): ChaosConversation {
    const known = this.conversations.get(conversationId);
    if (known) return known;
    const conversation = this.add(conversationId);
    conversation.log.resume();
    return conversation;
  }

  stop(): void {
    this.stopped = true;
    this.stopCutting();
    this.connection.stop();
    this.outbox.stop();
    for (const conversation of this.conversations.values()) conversation.log.stop();
    this.socket?.cut();
    this.socket = null;
    for (const socket of this.abandoned) socket.cut();
    this.abandoned.clear();
  }

  private openSocket(url: string, protocols: string[]): ClientSocket {
    this.stats.connects += 1;
    if (this.lastClose) this.reconnectWaits.push({ code: this.lastClose.code, waitMs: Date.now() - this.lastClose.at });
    this.lastClose = null;
    const ws = new WebSocket(url, protocols, this.options.origin ? { origin: this.options.origin } : {});
    const socket = new CuttableSocket(ws);
    ws.on('close', (code) => {
      if (socket !== this.socket) return;
      this.lastClose = { code, at: Date.now() };
      const unacknowledged = [...this.transmissions.keys()].filter((clientId) => !this.acks.has(clientId));
      this.closes.push({ ...this.lastClose, unacknowledged });
    });
    this.socket = socket;
    this.scheduleCut();
    return socket;
  }

  private scheduleCut(): void {
    clearTimeout(this.cutTimer);
    const socket = this.socket;
    if (!this.cutEveryMs || !socket || this.stopped) return;
    const { min, max, abandonShare } = this.cutEveryMs;
    this.cutTimer = setTimeout(() => {
      if (socket !== this.socket) return;
      if (Math.random() >= abandonShare) {
        this.stats.cuts += 1;
        socket.cut();
        return;
      }
      // A client that gives up on a connection it believes dead opens the next one at once, while
      // the server may still be working through the old one's frames: resends race their originals.
      this.stats.abandons += 1;
      this.abandoned.add(socket);
      socket.abandon(500 + Math.random() * 1000, () => this.abandoned.delete(socket));
      this.connection.restart();
    }, min + Math.random() * (max - min));
  }

  private add(conversationId: string): ChaosConversation {
    const log = new ConversationLog(conversationId, {
      requestSync: (afterSeq, reason) => this.requestSync(conversationId, afterSeq, reason),
      ...(this.options.gapRepairMs ? { gapRepairMs: this.options.gapRepairMs } : {}),
    });
    const conversation = new ChaosConversation(log);
    this.conversations.set(conversationId, conversation);
    return conversation;
  }

  private requestSync(conversationId: string, afterSeq: number, reason: SyncReason): boolean {
    if (!this.connection.send({ type: 'sync', conversationId, afterSeq })) return false;
    this.stats.syncs += 1;
    if (reason === 'repair') this.stats.gapRepairs += 1;
    return true;
  }

  private transmitted(clientId: string): void {
    this.stats.sendFrames += 1;
    const earlier = this.transmissions.get(clientId);
    this.transmissions.set(clientId, { count: (earlier?.count ?? 0) + 1, lastAt: Date.now() });
  }

  private receive(frame: ServerFrame): void {
    if (frame.type === 'ack') this.noteAck(frame);
    this.outbox.receive(frame);
    switch (frame.type) {
      case 'ready':
        this.stats.readies += 1;
        if (frame.role === 'visitor') {
          this.author = { authorKind: 'visitor', authorId: frame.visitorId, authorName: null };
          if (frame.conversation) {
            if (!this.conversations.has(frame.conversation.id)) this.add(frame.conversation.id);
            this.merge(frame.conversation.id, frame.messages);
          }
        } else {
          this.author = { authorKind: 'agent', authorId: frame.agent.id, authorName: frame.agent.name };
          void this.discoverConversations(this.stats.readies);
        }
        // Resume every conversation from what is held; the outbox has already resent what was in flight.
        this.resync();
        return;
      case 'message':
        return this.merge(frame.message.conversationId, [frame.message]);
      case 'messages':
        this.noteOwnCopies(frame.messages);
        return this.noteMerge(this.know(frame.conversationId), (log) => log.receivePage(frame));
      case 'conversation':
        this.know(frame.conversation.id);
        return;
      case 'error':
        this.stats.errors[frame.code] = (this.stats.errors[frame.code] ?? 0) + 1;
        return;
    }
  }

  private noteAck(ack: AckFrame): void {
    const sent = this.transmissions.get(ack.clientId);
    if (sent && sent.count > 1 && Date.parse(ack.createdAt) < sent.lastAt) this.stats.deduplicatedResends += 1;
    if (this.ackFramesSeen.has(ack.clientId)) this.stats.repeatAcks += 1;
    this.ackFramesSeen.add(ack.clientId);
    // Its own copy may have come back first and told where it landed: the ack must agree.
    const earlier = this.acks.get(ack.clientId);
    if (!earlier) return void this.acks.set(ack.clientId, { conversationId: ack.conversationId, seq: ack.seq });
    if (earlier.seq !== ack.seq || earlier.conversationId !== ack.conversationId) this.stats.conflictingAcks += 1;
  }

  /** A message of ours that came back without its ack (lost with a connection) landed where its copy says. */
  private noteOwnCopies(messages: readonly MessageView[]): void {
    for (const message of messages) {
      if (this.sent.has(message.clientId) && !this.acks.has(message.clientId)) {
        this.acks.set(message.clientId, { conversationId: message.conversationId, seq: message.seq });
      }
    }
  }

  private merge(conversationId: string, messages: readonly MessageView[]): void {
    this.noteOwnCopies(messages);
    this.noteMerge(this.know(conversationId), (log) => log.merge(messages));
  }

  private noteMerge(conversation: ChaosConversation, merge: (log: ConversationLog) => MergeResult): void {
    const { delivered, repeated } = merge(conversation.log);
    for (const copy of repeated) {
      this.stats.duplicateDeliveriesDropped += 1;
      const held = conversation.log.find(copy.seq);
      if (held && (held.clientId !== copy.clientId || held.id !== copy.id)) this.stats.conflictingDeliveries += 1;
    }
    for (const message of delivered) {
      conversation.delivered.push(message);
      this.options.onDeliver?.(message, this);
    }
  }

  /** The console lists the account's conversations after connecting; a failed fetch is retried. */
  private async discoverConversations(readies: number): Promise<void> {
    while (readies === this.stats.readies && this.connection.ready && !this.stopped) {
      try {
        const response = await fetch(`${this.options.httpUrl}/api/v1/conversations?view=all`,
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
