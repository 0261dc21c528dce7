// What the client core needs from the place it runs in: a WebSocket, a clock and a storage. They are
// injected, so the same code runs in the widget, in the console, in Node for the chaos test (with
// `ws`) and in unit tests (with fakes); nothing in client/ touches a DOM or Node global directly.

export interface Clock {
  now(): number;
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(timer: unknown): void;
}

/** The globals, looked up at each call so that test frameworks' fake timers apply. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (timer) => clearTimeout(timer as ReturnType<typeof setTimeout>),
};

/** JSON values by key. Never throws: storage that fails (private mode, a full quota) holds nothing. */
export interface ClientStorage {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
  remove(key: string): void;
}

/** Storage for one process: the chaos test's clients and unit tests. Values are copied, as localStorage does. */
export function memoryStorage(): ClientStorage {
  const values = new Map<string, string>();
  return {
    get: (key) => {
      const raw = values.get(key);
      return raw === undefined ? null : JSON.parse(raw);
    },
    set: (key, value) => void values.set(key, JSON.stringify(value)),
    remove: (key) => void values.delete(key),
  };
}

// Written through a method so that parameters compare bivariantly: the DOM's WebSocket hands its
// handlers a MessageEvent, ws a MessageEvent of its own, and both must fit.
type Listener<E> = { bivarianceHack(event: E): void }['bivarianceHack'];

/** The part of the browser's WebSocket API the core uses; the `ws` package provides it too. */
export interface ClientSocket {
  readonly readyState: number;
  onopen: Listener<unknown> | null;
  onmessage: Listener<{ data: unknown }> | null;
  onclose: Listener<{ code: number }> | null;
  onerror: Listener<unknown> | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** `new WebSocket(url, protocols)`, or anything that behaves like it. May throw, as the constructor does. */
export type OpenSocket = (url: string, protocols: string[]) => ClientSocket;

/** WebSocket.OPEN, which the core cannot read from a global. */
export const SOCKET_OPEN = 1;
