import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEAD_AFTER_IDLE_MS, PROTOCOL, errorCatalog, type ServerFrame } from '../../protocol/index.ts';
import { backoffDelay } from '../../client/backoff.ts';
import { Connection, socketUrl, type ConnectionOptions, type ConnectionStatus } from '../../client/connection.ts';
import type { ClientSocket } from '../../client/environment.ts';

/** A socket the test plays the server for. */
class FakeSocket implements ClientSocket {
  readyState = 0;
  onopen: ClientSocket['onopen'] = null;
  onmessage: ClientSocket['onmessage'] = null;
  onclose: ClientSocket['onclose'] = null;
  onerror: ClientSocket['onerror'] = null;
  readonly sent: unknown[] = [];
  closedWith: number | undefined | null = null;

  constructor(readonly protocols: string[]) {}

  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }
  close(code?: number): void {
    this.closedWith = code;
  }
  opens(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  receives(frame: ServerFrame | { type: 'ready' }): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
  closes(code: number): void {
    this.readyState = 3;
    this.onclose?.({ code });
  }
}

const READY = { type: 'ready' } as const;

describe('backoffDelay', () => {
  it('waits between half the ceiling and the ceiling, doubling up to the cap', () => {
    const backoff = { firstMs: 500, capMs: 30_000 };
    expect(backoffDelay(0, backoff, () => 0)).toBe(250);
    expect(backoffDelay(0, backoff, () => 0.999999)).toBeCloseTo(500, 2);
    expect(backoffDelay(3, backoff, () => 0)).toBe(2_000);
    expect(backoffDelay(20, backoff, () => 0)).toBe(15_000);
    expect(backoffDelay(20, backoff, () => 0.999999)).toBeCloseTo(30_000, 1);
  });
});

describe('Connection', () => {
  let sockets: FakeSocket[];
  let frames: ServerFrame[];
  let statuses: ConnectionStatus[];
  let stops: string[];

  const connect = (options: Partial<ConnectionOptions> = {}) => {
    const connection = new Connection({
      url: socketUrl('https://chat.example.com'),
      token: () => 'token-1',
      openSocket: (_url, protocols) => {
        const socket = new FakeSocket(protocols);
        sockets.push(socket);
        return socket;
      },
      onFrame: (frame) => frames.push(frame),
      onStatus: (status) => statuses.push(status),
      onStop: (reason) => stops.push(reason),
      backoff: { firstMs: 1_000, capMs: 8_000 },
      ...options,
    });
    connection.start();
    return connection;
  };
  const current = () => sockets[sockets.length - 1]!;
  const readyNow = () => {
    current().opens();
    current().receives(READY);
  };

  beforeEach(() => {
    vi.useFakeTimers();
    sockets = [];
    frames = [];
    statuses = [];
    stops = [];
  });
  afterEach(() => { vi.useRealTimers(); });

  it('carries the token as a subprotocol and sends only once the server is ready', () => {
    const connection = connect();
    expect(socketUrl('https://chat.example.com')).toBe('wss://chat.example.com/ws');
    expect(current().protocols).toEqual([PROTOCOL, 'token-1']);
    current().opens();
    expect(connection.send({ type: 'ping' })).toBe(false);
    current().receives(READY);
    expect(connection.send({ type: 'ping' })).toBe(true);
    expect(frames).toEqual([READY]);
    expect(statuses).toEqual(['connecting', 'open']);
  });

  it('falls back to an auth frame when the token cannot be a subprotocol', () => {
    connect({
      token: () => 'has spaces',
      openSocket: (_url, protocols) => {
        if (protocols.length > 1) throw new SyntaxError('invalid subprotocol');
        const socket = new FakeSocket(protocols);
        sockets.push(socket);
        return socket;
      },
    });
    expect(current().protocols).toEqual([PROTOCOL]);
    current().opens();
    expect(current().sent).toEqual([{ type: 'auth', token: 'has spaces' }]);
  });

  it('reconnects after a dropped connection with growing backoff, and reports every failure', () => {
    const failures: number[] = [];
    vi.spyOn(Math, 'random').mockReturnValue(0);
    connect({ onFailure: (count) => failures.push(count) });
    current().closes(1006);
    expect(statuses).toEqual(['connecting', 'reconnecting']);
    vi.advanceTimersByTime(499);
    expect(sockets).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(2);
    current().closes(1006);
    vi.advanceTimersByTime(999);
    expect(sockets).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(3);
    expect(failures).toEqual([1, 2]);
    readyNow();
    current().closes(1006);
    vi.advanceTimersByTime(500);
    expect(sockets).toHaveLength(4);
    expect(failures).toEqual([1, 2, 1]);
  });

  it('spreads the reconnects of a server\'s clients over the GOING_AWAY window, then backs off as usual', () => {
    const spreadMs = errorCatalog.GOING_AWAY.reconnectSpreadMs;
    // Twenty clients of one server, each drawing its own random wait: 0, 1/20 … 19/20 of the window.
    const clients = 20;
    const reconnectedAt: (number | null)[] = [];
    const socketsOf: FakeSocket[][] = [];
    for (let i = 0; i < clients; i++) {
      const own: FakeSocket[] = [];
      socketsOf.push(own);
      reconnectedAt.push(null);
      new Connection({
        url: socketUrl('https://chat.example.com'),
        token: () => 'token',
        openSocket: (_url, protocols) => {
          const socket = new FakeSocket(protocols);
          own.push(socket);
          if (own.length === 2) reconnectedAt[i] = Date.now() - shutdownAt;
          return socket;
        },
        onFrame: () => {},
        backoff: { firstMs: 1_000, capMs: 8_000 },
      }).start();
      own[0]!.opens();
      own[0]!.receives(READY);
    }
    const shutdownAt = Date.now();
    const random = vi.spyOn(Math, 'random');
    socketsOf.forEach((own, i) => {
      random.mockReturnValueOnce(i / clients);
      own[0]!.closes(errorCatalog.GOING_AWAY.close);
    });
    for (let elapsed = 0; elapsed < spreadMs; elapsed += 50) vi.advanceTimersByTime(50);
    // One client every twentieth of the window; with the first backoff instead, all twenty would
    // have come within 500-1,000 ms.
    expect(reconnectedAt).toEqual(Array.from({ length: clients }, (_, i) => i * spreadMs / clients));

    // The next attempt, if that one fails, is the ordinary backoff again.
    random.mockReturnValue(0);
    const first = socketsOf[0]!;
    first[1]!.closes(1006);
    vi.advanceTimersByTime(999);
    expect(first).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(first).toHaveLength(3);
  });

  it('stops for good, and says why, when the catalog says reconnecting cannot help', () => {
    const connection = connect();
    readyNow();
    current().closes(errorCatalog.ORIGIN_NOT_ALLOWED.close);
    vi.advanceTimersByTime(60_000);
    expect(sockets).toHaveLength(1);
    expect(stops).toEqual(['ORIGIN_NOT_ALLOWED']);
    expect(connection.status).toBe('stopped');
  });

  it('renews the token once per successful connection after a renew-token close', async () => {
    let token = 'old';
    const renewToken = vi.fn(async () => {
      token = 'new';
      return true;
    });
    connect({ token: () => token, renewToken });
    readyNow();
    current().closes(errorCatalog.TOKEN_EXPIRED.close);
    await vi.waitFor(() => expect(sockets).toHaveLength(2));
    expect(current().protocols).toEqual([PROTOCOL, 'new']);
    // Refused again before any `ready`: the server rejects what it just issued, asking again would loop.
    current().closes(errorCatalog.AUTH_INVALID.close);
    await Promise.resolve();
    expect(renewToken).toHaveBeenCalledTimes(1);
    expect(stops).toEqual(['AUTH_INVALID']);
  });

  it('stops on a renew-token close when it has no way to renew', () => {
    connect();
    readyNow();
    current().closes(errorCatalog.TOKEN_EXPIRED.close);
    expect(stops).toEqual(['TOKEN_EXPIRED']);
  });

  it('skips the rest of a backoff wait when woken', () => {
    const connection = connect();
    current().closes(1006);
    connection.wake();
    expect(sockets).toHaveLength(2);
    connection.wake();
    expect(sockets).toHaveLength(2);
  });

  it('gives up on a silent server and opens a new socket at once, ignoring the old one from then on', () => {
    connect();
    readyNow();
    const silent = current();
    vi.advanceTimersByTime(DEAD_AFTER_IDLE_MS + 5_000);
    expect(silent.sent).toContainEqual({ type: 'ping' });
    expect(silent.closedWith).not.toBeNull();
    expect(sockets).toHaveLength(2);
    expect(statuses).toEqual(['connecting', 'open', 'reconnecting']);
    silent.receives({ type: 'pong' });
    silent.closes(1006);
    expect(frames).toEqual([READY]);
    expect(sockets).toHaveLength(2);
  });

  it('restarts on demand without waiting for the old socket to close', () => {
    const connection = connect();
    readyNow();
    connection.restart();
    expect(sockets).toHaveLength(2);
    expect(connection.ready).toBe(false);
    readyNow();
    expect(connection.ready).toBe(true);
  });

  it('closes quietly when the app stops it', () => {
    const connection = connect();
    readyNow();
    connection.stop();
    expect(current().closedWith).toBe(1000);
    current().closes(1000);
    vi.advanceTimersByTime(60_000);
    expect(sockets).toHaveLength(1);
    expect(stops).toEqual([]);
  });
});
