// The WebSocket endpoint: accepts the upgrade and hands the socket to a ClientConnection
// (realtime/connection.ts), which holds the connection's rules. Visitors and agents share it.
import type { FastifyInstance } from 'fastify';
import { PROTOCOL, WS_PATH } from '../../protocol/index.ts';
import { ClientConnection, type ConnectionContext } from '../realtime/connection.ts';
import { Heartbeat } from '../realtime/heartbeat.ts';
import { KeyedBuckets } from '../realtime/rate-limit.ts';
import { releaseUpgradeResponse } from '../realtime/socket-internals.ts';

/** The token a browser put in Sec-WebSocket-Protocol next to our protocol name, if any. */
function tokenFromProtocolHeader(header: string | undefined): string | undefined {
  if (!header) return undefined;
  return header.split(',').map((part) => part.trim()).find((part) => part && part !== PROTOCOL);
}

export async function gatewayRoutes(app: FastifyInstance, opts: Omit<ConnectionContext, 'heartbeat' | 'visitorMessages'>) {
  const { config } = opts;
  const context: ConnectionContext = {
    ...opts,
    heartbeat: new Heartbeat(config.heartbeatMs),
    visitorMessages: new KeyedBuckets(config.visitorMessageRateLimitPerSecond, config.visitorMessageRateLimitBurst),
  };
  app.addHook('onClose', async () => context.heartbeat.stop());
  app.get(WS_PATH, { websocket: true }, (socket, request) => {
    // Only what the connection needs is kept from the upgrade request: idle connections are the
    // bulk of a chat server's memory. @fastify/websocket's own error listener closes over the
    // whole request and reply for the socket's lifetime, so the connection's replaces it, and the
    // upgrade's response, which also holds them, is let go.
    socket.removeAllListeners('error');
    releaseUpgradeResponse(socket);
    new ClientConnection(socket, request.headers.origin, request.log, context)
      .start(tokenFromProtocolHeader(request.headers['sec-websocket-protocol']));
  });
}
