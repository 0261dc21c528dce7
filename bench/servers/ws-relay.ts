// Baseline 1, the limit of Node: a bare `ws` server that relays every frame to the other end of
// its pair. No auth, no validation, no persistence, nothing but the WebSocket work itself.
// Clients name their pair in the URL (`/?pair=<id>`); the first to arrive waits for the second.
import { WebSocketServer, type WebSocket } from 'ws';
import type { AddressInfo } from 'node:net';
import { serveBenchCommands } from './reporter.ts';

const server = new WebSocketServer({ host: '127.0.0.1', port: 0, backlog: 4096, perMessageDeflate: false });
const waiting = new Map<string, WebSocket>();

server.on('connection', (socket, request) => {
  const pair = new URL(request.url ?? '/', 'http://relay').searchParams.get('pair') ?? '';
  const other = waiting.get(pair);
  if (!other) {
    waiting.set(pair, socket);
    socket.once('close', () => {
      if (waiting.get(pair) === socket) waiting.delete(pair);
    });
    return;
  }
  waiting.delete(pair);
  socket.on('message', (data, isBinary) => other.send(data, { binary: isBinary }));
  other.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  socket.once('close', () => other.close());
  other.once('close', () => socket.close());
});

const listening = serveBenchCommands('ws-relay', () => new Promise<void>((resolve) => {
  for (const client of server.clients) client.terminate();
  server.close(() => resolve());
}));
server.on('listening', () => listening((server.address() as AddressInfo).port));
