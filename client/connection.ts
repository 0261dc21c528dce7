// One client's WebSocket to the server: connects with the token as a subprotocol (or in an `auth`
// frame when the token cannot travel there), watches the server's liveness, reconnects with backoff,
// and decides after every close what the error catalog says: reconnect, renew the token, or stop.
// What frames mean is the app's business; this only moves them.
import { PROTOCOL, WS_PATH, afterClose, codeOfClose, errorEntry } from '../protocol/index.ts';
import type { ClientFrame, ServerFrame } from '../protocol/index.ts';
import { DEFAULT_BACKOFF, backoffDelay, spreadDelay, type Backoff } from './backoff.ts';
import { SOCKET_OPEN, systemClock, type ClientSocket, type Clock, type OpenSocket } from './environment.ts';
import { watchLiveness, type Liveness } from './liveness.ts';

/** `open` means the server's `ready` has arrived: frames sent now are processed. */
export type ConnectionStatus = 'connecting' | 'open' | 'reconnecting' | 'stopped';

export interface ConnectionOptions {
  /** ws: or wss: URL of the gateway; socketUrl() makes it from the server's http(s) origin. */
  url: string;
  /** Read at every connect, so a renewed token is used from the next connection on. */
  token(): string;
  openSocket: OpenSocket;
  onFrame(frame: ServerFrame): void;
  onStatus?(status: ConnectionStatus): void;
  /** The connection gave up for good; `reason` is the close code's name in the catalog, or its number. */
  onStop?(reason: string): void;
  /**
   * Gets a fresh token after the server refused this one; resolves false when there is none to be
   * had. Asked at most once per successful connection. Without it, such a close stops the connection.
   */
  renewToken?(): Promise<boolean>;
  /**
   * After every attempt that failed, with how many failed in a row. A refused upgrade looks like a
   * network error to a browser, so an app may check its token over REST, where a 401 is visible.
   */
  onFailure?(failures: number): void;
  backoff?: Backoff;
  clock?: Clock;
}

type Phase = 'idle' | 'connecting' | 'ready' | 'waiting' | 'renewing' | 'stopped';

export function socketUrl(httpOrigin: string): string {
  return httpOrigin.replace(/^http/, 'ws') + WS_PATH;
}

export class Connection {
  private phase: Phase = 'idle';
  private statusValue: ConnectionStatus = 'connecting';
  private socket: ClientSocket | null = null;
  private liveness: Liveness | null = null;
  private failures = 0;
  private retryTimer: unknown;
  private renewedSinceReady = false;
  private readonly clock: Clock;

  constructor(private readonly options: ConnectionOptions) {
    this.clock = options.clock ?? systemClock;
  }

  get status(): ConnectionStatus {
    return this.statusValue;
  }

  /** Between the server's `ready` and the socket closing. */
  get ready(): boolean {
    return this.phase === 'ready';
  }

  start(): void {
    if (this.phase !== 'idle') return;
    this.options.onStatus?.(this.statusValue);
    this.open();
  }

  /** Sends when the server is ready to process the frame; otherwise says so and sends nothing. */
  send(frame: ClientFrame): boolean {
    if (this.phase !== 'ready' || this.socket?.readyState !== SOCKET_OPEN) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  /** Skips the rest of a backoff wait: the network is back, or the user is looking again. */
  wake(): void {
    if (this.phase !== 'waiting') return;
    this.clock.clearTimeout(this.retryTimer);
    this.open();
  }

  /**
   * Gives up on the current socket without waiting for it to close, and opens a new one now: for a
   * connection that looks alive but is not (a silent server, a laptop back from sleep).
   */
  restart(): void {
    if (this.phase === 'idle' || this.phase === 'renewing' || this.phase === 'stopped') return;
    this.clock.clearTimeout(this.retryTimer);
    this.dropSocket()?.close();
    this.setStatus('reconnecting');
    this.open();
  }

  /** Closes for good, without reporting a stop: the app asked for it. */
  stop(): void {
    this.phase = 'stopped';
    this.clock.clearTimeout(this.retryTimer);
    this.dropSocket()?.close(1000);
  }

  private open(): void {
    const { url, openSocket } = this.options;
    const token = this.options.token();
    let socket: ClientSocket;
    let authFrame = false;
    try {
      try {
        socket = openSocket(url, [PROTOCOL, token]);
      } catch {
        // A token with characters a subprotocol may not carry: the protocol's other way in.
        socket = openSocket(url, [PROTOCOL]);
        authFrame = true;
      }
    } catch {
      return this.retryLater();
    }
    this.phase = 'connecting';
    this.socket = socket;
    this.liveness = watchLiveness(() => this.send({ type: 'ping' }), () => this.restart(), this.clock);
    socket.onopen = () => {
      if (authFrame) socket.send(JSON.stringify({ type: 'auth', token } satisfies ClientFrame));
    };
    socket.onmessage = (event) => this.receive(event.data);
    // An error is always followed by a close, which is where the decision is made. `ws` needs a
    // listener all the same, or an error would be thrown.
    socket.onerror = () => {};
    socket.onclose = (event) => {
      this.dropSocket();
      this.closed(event.code);
    };
  }

  private receive(data: unknown): void {
    this.liveness?.heard();
    const frame = parseFrame(data);
    if (!frame) return;
    if (frame.type === 'ready') {
      this.phase = 'ready';
      this.failures = 0;
      this.renewedSinceReady = false;
      this.setStatus('open');
    }
    this.options.onFrame(frame);
  }

  /** Detaches the current socket, so that nothing it does later reaches the app. */
  private dropSocket(): ClientSocket | null {
    const socket = this.socket;
    this.socket = null;
    this.liveness?.stop();
    this.liveness = null;
    if (socket) socket.onopen = socket.onmessage = socket.onclose = null;
    return socket;
  }

  private closed(closeCode: number): void {
    const reason = codeOfClose(closeCode) ?? String(closeCode);
    const decision = afterClose(closeCode);
    if (decision === 'reconnect') return this.retryLater(errorEntry(reason)?.reconnectSpreadMs);
    const { renewToken } = this.options;
    // One renewal per successful connection: a server that rejects a token it has just issued is
    // broken, and asking in a loop would only hammer it.
    if (decision === 'renew-token' && renewToken && !this.renewedSinceReady) {
      this.renewedSinceReady = true;
      this.phase = 'renewing';
      this.setStatus('reconnecting');
      const renewed = (ok: boolean) => {
        if (this.phase !== 'renewing') return;
        if (ok) this.open();
        else this.giveUp(reason);
      };
      renewToken().then(renewed, () => renewed(false));
      return;
    }
    this.giveUp(reason);
  }

  /** `spreadMs`: the close said how widely to spread the first attempt; later ones back off as usual. */
  private retryLater(spreadMs?: number): void {
    this.phase = 'waiting';
    this.setStatus('reconnecting');
    const delay = spreadMs === undefined
      ? backoffDelay(this.failures, this.options.backoff ?? DEFAULT_BACKOFF)
      : spreadDelay(spreadMs);
    this.retryTimer = this.clock.setTimeout(() => this.open(), delay);
    this.failures += 1;
    this.options.onFailure?.(this.failures);
  }

  private giveUp(reason: string): void {
    this.stop();
    this.setStatus('stopped');
    this.options.onStop?.(reason);
  }

  private setStatus(status: ConnectionStatus): void {
    if (status === this.statusValue) return;
    this.statusValue = status;
    this.options.onStatus?.(status);
  }
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
