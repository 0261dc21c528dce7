// How the load generator talks to each server: connect both ends of a pair, send a body from one
// end, and report each body that reaches the other end. End 0 is the visitor, end 1 the agent.
// Only this file knows the three wire formats; the scheduling and measuring in generator.ts is
// the same code for every server.
import WebSocket from 'ws';
import { io, type Socket } from 'socket.io-client';
import { PROTOCOL, WS_PATH, type ServerFrame } from '../protocol/index.ts';
import type { ParleyPair } from './parley-fixtures.ts';

/** The servers bench/run.ts can measure (`--servers`); see servers/launch.ts. */
export type ServerKind = 'parley' | 'parley2' | 'ws' | 'socketio' | 'socketio-pg';

/** The wire format a server speaks: several servers share one (Parley on one or two nodes). */
export type Protocol = 'parley' | 'ws' | 'socketio';

export interface Target {
  protocol: Protocol;
  port: number;
  /** Sent as Origin by visitors: Parley checks it against the site's allowed origins. */
  origin?: string;
  /**
   * Behind lib/tcp-balancer.ts, which picks a node by source address: the two ends of a pair then
   * connect from neighbouring addresses, so that they land on different nodes.
   */
  splitPairs?: boolean;
}

/** What the generator needs to open one pair: a key for the baselines, tokens for Parley. */
export type PairSpec = { key: string } & Partial<ParleyPair>;

export type End = 0 | 1;

export interface PairConnection {
  send(from: End, messageId: string, body: string): void;
  close(): Promise<void>;
}

export interface PairEvents {
  /** A body arrived at end `to`, sent by the other end. */
  delivered(to: End, body: string): void;
  /** Something that should not happen under load: an error frame, an unexpected close. */
  problem(kind: string): void;
}

export function connectPair(target: Target, spec: PairSpec, localAddress: string, events: PairEvents): Promise<PairConnection> {
  switch (target.protocol) {
    case 'ws': return connectRelayPair(target, spec, localAddress, events);
    case 'socketio': return connectSocketIoPair(target, spec, localAddress, events);
    case 'parley': return connectParleyPair(target, spec, localAddress, events);
  }
}

// ---- bare ws relay -----------------------------------------------------------------------------

async function connectRelayPair(target: Target, spec: PairSpec, localAddress: string, events: PairEvents): Promise<PairConnection> {
  const url = `ws://127.0.0.1:${target.port}/?pair=${encodeURIComponent(spec.key)}`;
  const sockets = await Promise.all(([0, 1] as const).map(async (end) => {
    const socket = new WebSocket(url, { localAddress, perMessageDeflate: false });
    socket.on('message', (data) => events.delivered(end, String(data)));
    await opened(socket);
    watchClose(socket, events);
    return socket;
  }));
  return {
    send: (from, _messageId, body) => sockets[from]!.send(body),
    close: () => closeAll(sockets),
  };
}

// ---- socket.io with rooms ----------------------------------------------------------------------

async function connectSocketIoPair(target: Target, spec: PairSpec, localAddress: string, events: PairEvents): Promise<PairConnection> {
  const sockets = await Promise.all(([0, 1] as const).map((end) => new Promise<Socket>((resolve, reject) => {
    // forceNew: one engine.io connection per socket, as two browsers would have (not multiplexed).
    // localAddress is handed to `ws` by engine.io-client in Node but is missing from its types.
    const socket = io(`http://127.0.0.1:${target.port}`, {
      transports: ['websocket'], forceNew: true, reconnection: false, auth: { pair: spec.key },
      ...({ localAddress } as object),
    });
    socket.on('message', (body: string) => events.delivered(end, body));
    socket.once('connect', () => {
      socket.on('disconnect', (reason) => {
        if (reason !== 'io client disconnect') events.problem(`disconnected: ${reason}`);
      });
      resolve(socket);
    });
    socket.once('connect_error', reject);
  })));
  return {
    send: (from, _messageId, body) => void sockets[from]!.emit('message', body),
    async close() {
      for (const socket of sockets) socket.disconnect();
    },
  };
}

// ---- Parley ------------------------------------------------------------------------------------

async function connectParleyPair(target: Target, spec: PairSpec, localAddress: string, events: PairEvents): Promise<PairConnection> {
  if (!spec.visitorToken || !spec.agentToken || !spec.conversationId) throw new Error('a Parley pair needs tokens and a conversation');
  const url = `ws://127.0.0.1:${target.port}${WS_PATH}`;
  const ends = [
    { token: spec.visitorToken, role: 'visitor', origin: target.origin },
    { token: spec.agentToken, role: 'agent', origin: undefined },
  ] as const;
  // The agent first, so the visitor's `ready` already sees the team online, as in real use.
  const agentAddress = target.splitPairs ? neighbourOf(localAddress) : localAddress;
  const agent = await connectParleyEnd(url, ends[1], 1, agentAddress, events);
  const visitor = await connectParleyEnd(url, ends[0], 0, localAddress, events);
  const sockets = [visitor, agent];
  return {
    send(from, messageId, body) {
      const frame = from === 0
        ? { type: 'message.send', clientId: messageId, body }
        : { type: 'message.send', conversationId: spec.conversationId, clientId: messageId, body };
      sockets[from]!.send(JSON.stringify(frame));
    },
    close: () => closeAll(sockets),
  };
}

function connectParleyEnd(url: string, end: { token: string; role: 'visitor' | 'agent'; origin: string | undefined },
  index: End, localAddress: string, events: PairEvents): Promise<WebSocket> {
  const socket = new WebSocket(url, [PROTOCOL, end.token], {
    localAddress, perMessageDeflate: false, ...(end.origin ? { origin: end.origin } : {}),
  });
  return new Promise((resolve, reject) => {
    let ready = false;
    socket.on('message', (data) => {
      const text = String(data);
      // Acks are the commonest frame and carry nothing to measure: skip parsing them.
      if (text.startsWith('{"type":"ack"')) return;
      const frame = JSON.parse(text) as ServerFrame;
      if (frame.type === 'message') {
        // Each end also receives its own messages (other tabs of the same visitor or account).
        if (frame.message.authorKind !== end.role) events.delivered(index, frame.message.body);
      } else if (frame.type === 'ready') {
        ready = true;
        watchClose(socket, events);
        resolve(socket);
      } else if (frame.type === 'error') {
        events.problem(`error frame ${frame.code}`);
      }
    });
    socket.once('error', reject);
    socket.once('close', (code, reason) => {
      if (!ready) reject(new Error(`closed before ready: ${code} ${String(reason)}`));
    });
  });
}

/**
 * 127.0.0.2 ↔ 127.0.0.3, 127.0.0.4 ↔ 127.0.0.5…: the other parity, so the other node
 * (lib/tcp-balancer.ts). Where only 127.0.0.1 can be bound, both ends stay on it (one node).
 */
function neighbourOf(address: string): string {
  const octets = address.split('.');
  if (Number(octets[3]) < 2) return address;
  octets[3] = String(Number(octets[3]) ^ 1);
  return octets.join('.');
}

// ---- shared ------------------------------------------------------------------------------------

function opened(socket: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
}

const closingSockets = new WeakSet<WebSocket>();

function watchClose(socket: WebSocket, events: PairEvents): void {
  socket.on('error', (error) => events.problem(`socket error: ${error.message}`));
  socket.once('close', (code) => {
    if (!closingSockets.has(socket)) events.problem(`closed by server: ${code}`);
  });
}

function closeAll(sockets: WebSocket[]): Promise<void> {
  return Promise.all(sockets.map((socket) => new Promise<void>((resolve) => {
    closingSockets.add(socket);
    if (socket.readyState === WebSocket.CLOSED) return resolve();
    socket.once('close', () => resolve());
    socket.close();
    // A server that never answers the close handshake must not hold the bench up.
    setTimeout(() => { socket.terminate(); resolve(); }, 5_000).unref();
  }))).then(() => {});
}
