// The widget's WebSocket: connects with the visitor token as a subprotocol, reconnects with backoff,
// refreshes the token when the server says so, and stops for good when the server says trying again
// cannot help. What the frames mean is the chat's business (chat.ts); this file only moves them.
import { PROTOCOL, WS_PATH, afterClose, codeOfClose } from '../protocol/index.ts';
import { watchLiveness } from '../client/liveness.ts';
import type { ClientFrame, ServerFrame } from '../protocol/index.ts';

/** Exponential backoff with "equal jitter", so a server restart is not met by every widget at once. */
export function backoffDelay(attempt: number, firstMs = 500, capMs = 30_000): number {
  const ceiling = Math.min(capMs, firstMs * 2 ** attempt);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/** A mobile browser often kills a background tab's socket without telling the page. */
const LONG_HIDDEN_MS = 30_000;

export interface ConnectionOptions {
  base: string;
  token: () => string;
  /** A fresh token from the session endpoint, or null when there is none to be had. */
  refreshToken: () => Promise<string | null>;
  onFrame: (frame: ServerFrame) => void;
  /** The tab is visible again after a long time while the socket looked open: catch up. */
  onWake: () => void;
  /** The connection gave up; `reason` is the close code's name in CloseCodes, or its number. */
  onStop: (reason: string) => void;
}

/** `connected`: a socket exists, whether opening, authenticating or ready. */
type State = 'idle' | 'connected' | 'waiting' | 'refreshing' | 'stopped';

export class Connection {
  /** True between the server's `ready` and the socket closing: frames sent now are processed. */
  ready = false;
  private state: State = 'idle';
  private socket: WebSocket | null = null;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private refreshedSinceReady = false;
  private hiddenSince = 0;
  private liveness: ReturnType<typeof watchLiveness> | null = null;

  constructor(private readonly options: ConnectionOptions) {}

  start(): void {
    if (this.state !== 'idle') return;
    addEventListener('online', this.wake);
    document.addEventListener('visibilitychange', this.onVisibilityChange);
    this.open();
  }

  /** Sends when the server is ready to process the frame; otherwise says so and sends nothing. */
  send(frame: ClientFrame): boolean {
    if (!this.ready || this.socket?.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  stop(): void {
    this.state = 'stopped';
    this.ready = false;
    this.liveness?.stop();
    clearTimeout(this.retryTimer);
    removeEventListener('online', this.wake);
    document.removeEventListener('visibilitychange', this.onVisibilityChange);
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000);
  }

  private open(): void {
    const url = this.options.base.replace(/^http/, 'ws') + WS_PATH;
    const token = this.options.token();
    let socket: WebSocket;
    let sendAuthFrame = false;
    try {
      try {
        socket = new WebSocket(url, [PROTOCOL, token]);
      } catch {
        // A token with characters a subprotocol may not carry: the protocol's other way in.
        socket = new WebSocket(url, PROTOCOL);
        sendAuthFrame = true;
      }
    } catch {
      return this.retryLater();
    }
    this.state = 'connected';
    this.socket = socket;
    this.liveness?.stop();
    // A server that went silent (half-open TCP, sleeping laptop) is given up on and reconnected.
    const liveness = watchLiveness(
      () => this.ready && socket.send('{"type":"ping"}'),
      () => {
        if (this.socket !== socket) return;
        socket.onclose = null;
        socket.close();
        this.socket = null;
        this.ready = false;
        this.retryLater();
      },
    );
    this.liveness = liveness;
    socket.onopen = () => {
      if (sendAuthFrame) socket.send(JSON.stringify({ type: 'auth', token }));
    };
    socket.onmessage = (event) => {
      liveness.heard();
      const frame = parseFrame(event.data);
      if (!frame) return;
      if (frame.type === 'ready') {
        this.ready = true;
        this.attempt = 0;
        this.refreshedSinceReady = false;
      }
      this.options.onFrame(frame);
    };
    socket.onclose = (event) => {
      liveness.stop();
      if (this.socket !== socket) return;
      this.socket = null;
      this.ready = false;
      this.afterClose(event.code);
    };
  }

  private afterClose(code: number): void {
    const reason = codeOfClose(code) ?? String(code);
    const decision = afterClose(code);
    if (decision === 'renew-token') {
      // One refresh per successful connection: a server that rejects a token it has just issued is
      // broken, and asking in a loop would only hammer it.
      if (this.refreshedSinceReady) return this.giveUp(reason);
      this.refreshedSinceReady = true;
      this.state = 'refreshing';
      this.options.refreshToken().then(
        (token) => {
          if (this.state !== 'refreshing') return;
          if (token) this.open();
          else this.giveUp('AUTH_INVALID');
        },
        () => this.state === 'refreshing' && this.giveUp('AUTH_INVALID'),
      );
      return;
    }
    if (decision === 'reconnect') this.retryLater();
    else this.giveUp(reason);
  }

  private retryLater(): void {
    this.state = 'waiting';
    this.retryTimer = setTimeout(() => this.open(), backoffDelay(this.attempt++));
  }

  private giveUp(code: string): void {
    this.stop();
    this.options.onStop(code);
  }

  /** Skips the rest of a backoff wait: the network is back, or the visitor is looking again. */
  private readonly wake = (): void => {
    if (this.state !== 'waiting') return;
    clearTimeout(this.retryTimer);
    this.attempt = 0;
    this.open();
  };

  private readonly onVisibilityChange = (): void => {
    if (document.visibilityState === 'hidden') {
      this.hiddenSince = Date.now();
    } else if (this.hiddenSince && Date.now() - this.hiddenSince > LONG_HIDDEN_MS) {
      if (this.ready) this.options.onWake();
      else this.wake();
    }
  };
}

function parseFrame(data: unknown): ServerFrame | null {
  if (typeof data !== 'string') return null;
  try {
    const frame: unknown = JSON.parse(data);
    return typeof frame === 'object' && frame !== null && typeof (frame as { type?: unknown }).type === 'string'
      ? (frame as ServerFrame)
      : null;
  } catch {
    return null;
  }
}
