// The console's WebSocket: connects with the token as a subprotocol, reconnects with exponential
// backoff and jitter as long as the close code says trying again can help, and owns the outbox —
// replies waiting for their `ack`. The outbox is sent one reply at a time, in order, and resent
// with the same clientId after a reconnect; the server acknowledges a duplicate without storing it.
import { PROTOCOL, WS_PATH, afterClose, isTemporary } from '../../protocol/index.ts';
import { watchLiveness } from '../../client/liveness.ts';
import type { AckFrame, PresenceSetFrame, SendFrame, ServerFrame, SyncFrame, TypingFrame } from '../../protocol/index.ts';
import { readJson, writeJson } from './storage.ts';

/** `open` means authenticated: the server's `ready` has arrived. */
export type ConnectionStatus = 'connecting' | 'open' | 'reconnecting' | 'stopped';

export interface OutboxItem {
  clientId: string;
  conversationId: string;
  body: string;
  /** Local time the reply was written, for display only. */
  createdAt: string;
  state: 'pending' | 'failed';
  /** Why the server refused it, when failed. */
  error?: string;
}

export interface SocketOptions {
  /** Read at each (re)connect, so a renewed token is used from the next connection on. */
  token: () => string;
  /** localStorage key under which unacknowledged replies survive a reload. */
  outboxKey: string;
  onFrame(frame: ServerFrame): void;
  onStatus(status: ConnectionStatus): void;
  onOutbox(items: readonly OutboxItem[]): void;
  /** A reply was stored: the ack carries its seq. */
  onDelivered(item: OutboxItem, ack: AckFrame): void;
  /** The server rejected the token (4001) or it expired (4002): a new login is needed. */
  onAuthFailed(): void;
  /**
   * Called after several failed attempts in a row. A refused upgrade looks like a network error
   * to the browser, so the app checks the token over REST, where a 401 is visible.
   */
  onRepeatedFailure?(): void;
}

type OtherFrame = TypingFrame | PresenceSetFrame | SyncFrame;

const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 30_000;
/** Without an ack by then, the reply is written again (the server deduplicates by clientId). */
const ACK_TIMEOUT_MS = 15_000;
const DEFAULT_RETRY_AFTER_MS = 2_000;
const FAILURES_BEFORE_AUTH_CHECK = 3;

export class ConsoleSocket {
  private ws: WebSocket | null = null;
  private statusValue: ConnectionStatus = 'connecting';
  private attempt = 0;
  private stopped = false;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private liveness: ReturnType<typeof watchLiveness> | null = null;
  private outbox: OutboxItem[];
  /** clientId of the reply written and not yet answered. */
  private inFlight: string | null = null;
  private ackTimer: ReturnType<typeof setTimeout> | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly options: SocketOptions) {
    this.outbox = readJson(options.outboxKey, isOutbox) ?? [];
  }

  get status(): ConnectionStatus {
    return this.statusValue;
  }

  get items(): readonly OutboxItem[] {
    return this.outbox;
  }

  start(): void {
    window.addEventListener('online', this.reconnectNow);
    document.addEventListener('visibilitychange', this.reconnectNow);
    this.options.onOutbox(this.outbox);
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    window.removeEventListener('online', this.reconnectNow);
    document.removeEventListener('visibilitychange', this.reconnectNow);
    clearTimeout(this.reconnectTimer);
    this.clearSendTimers();
    this.liveness?.stop();
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onclose = ws.onmessage = ws.onerror = null;
      ws.close(1000);
    }
  }

  /** Typing, presence and sync are only worth sending live; returns false when not connected. */
  send(frame: OtherFrame): boolean {
    if (this.statusValue !== 'open' || !this.ws) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  sendMessage(conversationId: string, body: string): OutboxItem {
    const item: OutboxItem = {
      clientId: newClientId(),
      conversationId,
      body,
      createdAt: new Date().toISOString(),
      state: 'pending',
    };
    this.outbox = [...this.outbox, item];
    this.outboxChanged();
    this.pump();
    return item;
  }

  /** Sends a failed reply again, keeping its clientId and its place in the queue. */
  retry(clientId: string): void {
    this.update(clientId, (item) => ({ ...item, state: 'pending', error: undefined }));
    this.pump();
  }

  discard(clientId: string): void {
    this.outbox = this.outbox.filter((item) => item.clientId !== clientId);
    this.outboxChanged();
  }

  // ---- connection --------------------------------------------------------------------------------

  private connect(): void {
    if (this.stopped) return;
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    let ws: WebSocket;
    try {
      ws = new WebSocket(`${scheme}//${location.host}${WS_PATH}`, [PROTOCOL, this.options.token()]);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    this.liveness?.stop();
    // A silent server (half-open TCP, a laptop back from sleep) is given up on, then reconnected.
    const liveness = watchLiveness(
      () => this.statusValue === 'open' && ws.send('{"type":"ping"}'),
      () => {
        if (this.ws !== ws) return;
        ws.onclose = ws.onmessage = null;
        ws.close();
        this.closed(1006);
      },
    );
    this.liveness = liveness;
    ws.onmessage = (event) => {
      liveness.heard();
      this.receive(event.data);
    };
    // No onerror: an error is always followed by a close, which is where we decide what to do.
    ws.onclose = (event) => this.closed(event.code);
  }

  private closed(code: number): void {
    this.liveness?.stop();
    this.ws = null;
    this.inFlight = null;
    this.clearSendTimers();
    if (this.stopped) return;
    const decision = afterClose(code);
    if (decision === 'renew-token') {
      this.setStatus('stopped');
      this.options.onAuthFailed();
      return;
    }
    if (decision === 'stop') {
      this.setStatus('stopped');
      return;
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    this.setStatus('reconnecting');
    // "Equal jitter": at least half the exponential delay, so a restarted server is not hit by
    // every console at the same instant, and never less than MIN_DELAY_MS.
    const ceiling = Math.min(MAX_DELAY_MS, MIN_DELAY_MS * 2 ** this.attempt);
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.attempt += 1;
    if (this.attempt % FAILURES_BEFORE_AUTH_CHECK === 0) this.options.onRepeatedFailure?.();
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => this.connect(), Math.max(MIN_DELAY_MS, delay));
  }

  /** Back online, or the laptop woke up: no reason to sit out the rest of a long backoff. */
  private readonly reconnectNow = (): void => {
    if (this.statusValue !== 'reconnecting' || this.ws || document.visibilityState === 'hidden') return;
    clearTimeout(this.reconnectTimer);
    this.connect();
  };

  private setStatus(status: ConnectionStatus): void {
    if (this.statusValue === status) return;
    this.statusValue = status;
    this.options.onStatus(status);
  }

  private receive(data: unknown): void {
    let frame: ServerFrame;
    try {
      frame = JSON.parse(String(data)) as ServerFrame;
    } catch {
      return;
    }
    if (typeof frame !== 'object' || frame === null || typeof frame.type !== 'string') return;

    switch (frame.type) {
      case 'ready':
        this.attempt = 0;
        this.setStatus('open');
        this.options.onFrame(frame);
        this.pump();
        return;
      case 'ack':
        this.acknowledged(frame);
        break;
      case 'error':
        if (frame.clientId) this.refused(frame.clientId, frame.code, frame.message, frame.retryAfterMs);
        else console.warn('[parley] server error', frame.code, frame.message);
        break;
    }
    this.options.onFrame(frame);
  }

  // ---- outbox ------------------------------------------------------------------------------------

  /** Writes the oldest pending reply unless one is already waiting for its answer. */
  private pump(): void {
    if (this.statusValue !== 'open' || !this.ws || this.inFlight || this.retryTimer) return;
    const next = this.outbox.find((item) => item.state === 'pending');
    if (!next) return;
    const frame: SendFrame = {
      type: 'message.send',
      conversationId: next.conversationId,
      clientId: next.clientId,
      body: next.body,
    };
    this.inFlight = next.clientId;
    this.ws.send(JSON.stringify(frame));
    this.ackTimer = setTimeout(() => {
      this.inFlight = null;
      this.pump();
    }, ACK_TIMEOUT_MS);
  }

  private acknowledged(ack: AckFrame): void {
    const item = this.outbox.find((i) => i.clientId === ack.clientId);
    if (this.inFlight === ack.clientId) {
      this.inFlight = null;
      clearTimeout(this.ackTimer);
    }
    if (item) {
      this.outbox = this.outbox.filter((i) => i !== item);
      this.outboxChanged();
      this.options.onDelivered(item, ack);
    }
    this.pump();
  }

  private refused(clientId: string, code: string, message: string, retryAfterMs?: number): void {
    if (this.inFlight === clientId) {
      this.inFlight = null;
      clearTimeout(this.ackTimer);
    }
    if (isTemporary(code)) {
      // Temporary: the reply keeps its place at the head of the queue, so order is preserved.
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.pump();
      }, retryAfterMs ?? DEFAULT_RETRY_AFTER_MS);
      return;
    }
    this.update(clientId, (item) => ({ ...item, state: 'failed', error: message || code }));
    this.pump();
  }

  private update(clientId: string, change: (item: OutboxItem) => OutboxItem): void {
    this.outbox = this.outbox.map((item) => (item.clientId === clientId ? change(item) : item));
    this.outboxChanged();
  }

  private outboxChanged(): void {
    writeJson(this.options.outboxKey, this.outbox);
    this.options.onOutbox(this.outbox);
  }

  private clearSendTimers(): void {
    clearTimeout(this.ackTimer);
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }
}

/** crypto.randomUUID exists only in secure contexts; a console on plain http on a LAN still works. */
function newClientId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function isOutbox(value: unknown): value is OutboxItem[] {
  return (
    Array.isArray(value) &&
    value.every(
      (item) =>
        typeof item === 'object' &&
        item !== null &&
        typeof item.clientId === 'string' &&
        typeof item.conversationId === 'string' &&
        typeof item.body === 'string' &&
        typeof item.createdAt === 'string' &&
        (item.state === 'pending' || item.state === 'failed'),
    )
  );
}
