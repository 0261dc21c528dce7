// The console's side of the client core: a Connection over the browser's WebSocket, and the agent's
// Outbox of replies in localStorage (per agent, so it survives a reload and is shared by the agent's
// tabs), woken when the network or the tab comes back.
import type { AckFrame, ServerFrame } from '../../protocol/index.ts';
import { Connection, socketUrl, type ConnectionStatus } from '../../client/connection.ts';
import { Outbox, type OutboxItem } from '../../client/outbox.ts';
import { clientStorage, keys } from './storage.ts';

export interface ConsoleSocketOptions {
  agentId: string;
  /** Read at each (re)connect, so a renewed token is used from the next connection on. */
  token(): string;
  onFrame(frame: ServerFrame): void;
  onStatus(status: ConnectionStatus): void;
  onOutbox(items: readonly OutboxItem[]): void;
  /** A reply was stored: the ack carries its seq. */
  onAcknowledged(item: OutboxItem, ack: AckFrame): void;
  /** The connection gave up; `reason` names the catalog's code (or the close code). */
  onStop(reason: string): void;
  onFailure(failures: number): void;
}

export interface ConsoleSocket {
  connection: Connection;
  outbox: Outbox;
  close(): void;
}

export function openConsoleSocket(options: ConsoleSocketOptions): ConsoleSocket {
  const connection: Connection = new Connection({
    url: socketUrl(location.origin),
    token: options.token,
    openSocket: (url, protocols) => new WebSocket(url, protocols),
    onFrame: (frame) => {
      outbox.receive(frame);
      options.onFrame(frame);
    },
    onStatus: options.onStatus,
    onStop: options.onStop,
    onFailure: options.onFailure,
  });
  const outbox = new Outbox({
    storage: clientStorage,
    key: keys.outbox(options.agentId),
    transport: connection,
    onChange: options.onOutbox,
    onAcknowledged: options.onAcknowledged,
  });
  // Back online, or the laptop woke up: no reason to sit out the rest of a long backoff.
  const wake = () => {
    if (document.visibilityState !== 'hidden') connection.wake();
  };
  window.addEventListener('online', wake);
  document.addEventListener('visibilitychange', wake);
  options.onOutbox(outbox.items);
  connection.start();
  return {
    connection,
    outbox,
    close() {
      window.removeEventListener('online', wake);
      document.removeEventListener('visibilitychange', wake);
      connection.stop();
      outbox.stop();
    },
  };
}
