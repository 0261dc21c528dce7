// Frames sent to one socket in the same turn of the event loop leave in one write: the ack and the
// sender's own copy of a message, or a batch of deliveries committed together. ws writes each frame
// with its own writev; corking the TCP socket until the turn's I/O is handled merges them, and
// every write is a system call (bench/: writev was a quarter of the server's busy time).
import type { WebSocket } from 'ws';
import { tcpSocketOf } from './socket-internals.ts';

interface Corkable {
  cork(): void;
  uncork(): void;
}

const corked = new Set<Corkable>();

function uncorkAll(): void {
  for (const socket of corked) socket.uncork();
  corked.clear();
}

/** Call before sending on `ws`: what is sent until the next check phase goes out together. */
export function coalesceWrites(ws: WebSocket): void {
  const tcp = tcpSocketOf(ws);
  if (!tcp || corked.has(tcp)) return;
  if (corked.size === 0) setImmediate(uncorkAll);
  tcp.cork();
  corked.add(tcp);
}
