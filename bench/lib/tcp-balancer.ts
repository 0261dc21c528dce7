// The load balancer in front of a multi-node Parley run (bench/servers/launch.ts, `parley2`): a
// TCP proxy, as a layer-4 balancer (nginx `stream`, HAProxy `mode tcp`, a cloud NLB) would be. It
// picks a node by the client's source address (source-IP affinity, nginx's `hash $remote_addr`),
// here simply by the last octet's parity, so the bench decides which node each end of a pair
// reaches: the generator connects a pair's two ends from neighbouring addresses (clients.ts,
// `splitPairs`), and every message crosses nodes through Redis. It never looks inside the stream.
//
// A bench child like the servers: `BENCH_BACKENDS=port,port`, announces its port over IPC.
import { createConnection, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { serveBenchCommands } from '../servers/reporter.ts';

const backends = (process.env.BENCH_BACKENDS ?? '').split(',').filter(Boolean).map(Number);
if (backends.length === 0) throw new Error('bench/lib/tcp-balancer.ts needs BENCH_BACKENDS=port,port');

const open = new Set<Socket>();

const server = createServer({ noDelay: true }, (client) => {
  const index = Number(client.remoteAddress?.split('.').pop() ?? 0) % backends.length;
  const upstream = createConnection({ host: '127.0.0.1', port: backends[index]!, noDelay: true });
  for (const socket of [client, upstream]) {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    // A reset on one side ends the other: the client then sees the node go away, as it would.
    socket.on('error', () => {
      client.destroy();
      upstream.destroy();
    });
  }
  client.pipe(upstream);
  upstream.pipe(client);
});

const listening = serveBenchCommands('tcp-balancer', () => new Promise<void>((resolve) => {
  for (const socket of open) socket.destroy();
  server.close(() => resolve());
}));
server.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, () =>
  listening((server.address() as AddressInfo).port, { backends, rule: 'source address, last octet modulo nodes' }));
