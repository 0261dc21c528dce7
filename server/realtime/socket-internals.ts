// Every place Parley reaches into private fields of ws or of Node's HTTP server, in one file: a
// dependency upgrade that moves them breaks test/integration/socket-internals.test.ts, not production
// memory or write batching in silence.
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';

type TcpSocket = Socket & { _httpMessage?: ServerResponse | null };

/** The TCP socket under a ws WebSocket. ws has no public accessor; `_socket` is where it keeps it. */
export function tcpSocketOf(ws: WebSocket): TcpSocket | undefined {
  return (ws as unknown as { _socket?: TcpSocket | null })._socket ?? undefined;
}

/**
 * @fastify/websocket dispatches the upgrade through Fastify with a ServerResponse that it attaches
 * to the TCP socket (`_httpMessage`, Node's own link from a socket to its current response) and never
 * detaches: request and reply then live as long as the connection. Detaching drops them.
 */
export function releaseUpgradeResponse(ws: WebSocket): void {
  const tcp = tcpSocketOf(ws);
  tcp?._httpMessage?.detachSocket(tcp);
}
