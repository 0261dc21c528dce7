// Baseline 2, what most chat tutorials build: socket.io with one room per pair, every message
// relayed to the rest of the room. No auth, no persistence. WebSocket transport only, so the
// comparison is about the server, not about long-polling.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { serveBenchCommands } from './reporter.ts';

const http = createServer();
const io = new Server(http, { transports: ['websocket'], serveClient: false });

io.on('connection', (socket) => {
  const room = String(socket.handshake.auth.pair ?? '');
  void socket.join(room);
  socket.on('message', (body: string) => {
    socket.to(room).emit('message', body);
  });
});

const listening = serveBenchCommands('socket.io', async () => {
  io.disconnectSockets(true);
  await io.close();
});
http.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, () => listening((http.address() as AddressInfo).port));
