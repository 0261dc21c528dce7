// The private fields of ws and Node's HTTP server that realtime/socket-internals.ts relies on, checked
// against real connections: if an upgrade of ws, @fastify/websocket or Node moves them, this fails
// instead of write batching or the memory of idle connections quietly getting worse.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServerResponse } from 'node:http';
import { Socket, type AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import websocket from '@fastify/websocket';
import WebSocket from 'ws';
import { releaseUpgradeResponse, tcpSocketOf } from '../../server/realtime/socket-internals.ts';
import { coalesceWrites } from '../../server/realtime/coalesce.ts';
import { driver, startServer, type TestServer } from '../helpers.ts';

interface Accepted {
  ws: WebSocket;
  tcp: ReturnType<typeof tcpSocketOf>;
  responseBefore: unknown;
  httpMessageAfter: unknown;
  responseSocketAfter: unknown;
}

/** A client that records what it receives, and the local port of its TCP connection. */
async function connect(url: string): Promise<{ client: WebSocket; received: string[]; localPort: number }> {
  const client = new WebSocket(url);
  const received: string[] = [];
  client.on('message', (data) => received.push(String(data)));
  let localPort = 0;
  client.once('upgrade', (response) => { localPort = response.socket.localPort!; });
  await new Promise((resolve, reject) => {
    client.once('open', resolve);
    client.once('error', reject);
  });
  return { client, received, localPort };
}

const nextCheckPhase = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('socket internals under @fastify/websocket', () => {
  let app: FastifyInstance;
  let url: string;
  let accepted: Promise<Accepted>;

  beforeAll(async () => {
    app = Fastify();
    await app.register(websocket);
    let accept!: (value: Accepted) => void;
    accepted = new Promise((resolve) => { accept = resolve; });
    app.get('/ws', { websocket: true }, (ws) => {
      const tcp = tcpSocketOf(ws);
      const responseBefore = tcp?._httpMessage;
      releaseUpgradeResponse(ws);
      accept({ ws, tcp, responseBefore, httpMessageAfter: tcp?._httpMessage, responseSocketAfter: (responseBefore as ServerResponse | undefined)?.socket });
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    url = `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}/ws`;
  });
  afterAll(() => app.close());

  it('reaches the TCP socket under a ws connection, corks it, and writes the corked frames on uncork', async () => {
    const { client, received, localPort } = await connect(url);
    const { ws, tcp } = await accepted;
    expect(tcp).toBeInstanceOf(Socket);
    expect(tcp!.remotePort).toBe(localPort);

    coalesceWrites(ws);
    ws.send('a');
    ws.send('b');
    // Held in the corked socket: two unmasked frames of 2 header bytes + 1 payload byte each.
    expect(tcp!.writableCorked).toBe(1);
    expect(tcp!.writableLength).toBe(6);
    await nextCheckPhase();
    expect(tcp!.writableCorked).toBe(0);
    await expect.poll(() => received).toEqual(['a', 'b']);
    client.close();
  });

  it('finds the upgrade response that @fastify/websocket leaves on the TCP socket, and detaches it', async () => {
    const { responseBefore, httpMessageAfter, responseSocketAfter } = await accepted;
    // If this fails, the upgrade no longer leaves a response behind: releaseUpgradeResponse (and its
    // call in routes/gateway.ts) may have become unnecessary; check the memory of idle connections.
    expect(responseBefore).toBeInstanceOf(ServerResponse);
    expect(httpMessageAfter).toBeNull();
    expect(responseSocketAfter).toBeNull();
  });
});

describe(`the gateway releases the upgrade response of every connection (${driver})`, () => {
  let server: TestServer;
  beforeAll(async () => { server = await startServer(); });
  afterAll(() => server.close());

  it('leaves no response attached to an accepted connection\'s TCP socket', async () => {
    const { client, localPort } = await connect(server.wsUrl);
    const [ws] = [...server.app.websocketServer.clients].filter((c) => tcpSocketOf(c)?.remotePort === localPort);
    expect(ws).toBeDefined();
    expect(tcpSocketOf(ws!)?._httpMessage).toBeNull();
    client.close();
  });
});
