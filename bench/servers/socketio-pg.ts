// Baseline 3, the design the tutorials that add history build: socket.io with one room per pair,
// and every message INSERTed into PostgreSQL, the INSERT awaited before the message is relayed to
// the rest of the room. One statement and one commit per message, on a pool of the size Parley's
// own (db/index.ts). No auth. DATABASE_URL names an empty database the orchestrator created for it.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import postgres from 'postgres';
import { serveBenchCommands } from './reporter.ts';

const url = process.env.DATABASE_URL;
if (!url) throw new Error('bench/servers/socketio-pg.ts needs DATABASE_URL');
const sql = postgres(url, { max: 10, onnotice: () => {} });
await sql`create table if not exists messages (
  id bigserial primary key,
  room text not null,
  body text not null,
  created_at timestamptz not null default now()
)`;
await sql`create index if not exists messages_room on messages (room, id)`;

const http = createServer();
const io = new Server(http, { transports: ['websocket'], serveClient: false });

io.on('connection', (socket) => {
  const room = String(socket.handshake.auth.pair ?? '');
  void socket.join(room);
  socket.on('message', async (body: string) => {
    try {
      await sql`insert into messages (room, body) values (${room}, ${body})`;
      socket.to(room).emit('message', body);
    } catch (error) {
      // What the tutorials do: log it; the message is lost to the room (the bench counts it undelivered).
      console.error('insert failed', error);
    }
  });
});

const listening = serveBenchCommands('socket.io + INSERT', async () => {
  io.disconnectSockets(true);
  await io.close();
  await sql.end();
});
http.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, () => listening((http.address() as AddressInfo).port, { poolSize: 10 }));
