// One client's WebSocket connection, visitor or agent: its rules, apart from the route that accepts
// it (routes/gateway.ts). It authenticates (token in the Sec-WebSocket-Protocol header or in the
// first frame), subscribes, sends `ready` before any live frame, validates and rate-limits every
// frame, hands each to a service strictly in order, and answers with acks, pages and error codes.
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import {
  errorCatalog,
  type ClientFrame, type ErrorCode, type SendFrame, type ServerFrame,
} from '../../protocol/index.ts';
import type { Config } from '../config.ts';
import { AppError, toAppError } from '../errors.ts';
import type { Services } from '../services/index.ts';
import { originAllowed, type AgentSession, type VisitorSession } from '../services/identity.ts';
import { coalesceWrites } from './coalesce.ts';
import type { ConnectionCounts } from './connection-counts.ts';
import { parseClientFrame } from './frames.ts';
import type { Heartbeat, Pingable } from './heartbeat.ts';
import { channels, type Hub, type Subscriber } from './hub.ts';
import { TokenBucket, type KeyedBuckets } from './rate-limit.ts';

/**
 * Who is on a connection once authenticated: ids only. Rows fetched at authentication are not kept,
 * because idle connections are most of what a chat server holds in memory.
 */
type Principal =
  | { kind: 'visitor'; visitorId: string; siteId: string; accountId: string }
  /** `connectionId` names this connection in presence. */
  | { kind: 'agent'; agentId: string; accountId: string; name: string; connectionId: string };
type ConnectedAgent = Extract<Principal, { kind: 'agent' }>;
/** The codes that end a connection. */
type ClosingCode = { [C in keyof typeof errorCatalog]: (typeof errorCatalog)[C] extends { close: number } ? C : never }[keyof typeof errorCatalog];

function isClosingCode(code: ErrorCode): code is ClosingCode {
  return 'close' in errorCatalog[code];
}

/** What every connection shares: one object, not five fields per idle socket. */
export interface ConnectionContext {
  services: Services;
  hub: Hub;
  config: Config;
  heartbeat: Heartbeat;
  /** This node's sockets by role, for /metrics. */
  connections: ConnectionCounts;
  /** Messages per visitor, over all of their sockets on this node. */
  visitorMessages: KeyedBuckets;
}

/** Each socket's connection, for the shutdown (app.ts), which sees only the server's sockets. */
const connectionOf = new WeakMap<WebSocket, ClientConnection>();

/**
 * The node is shutting down: the socket's frames already read are handled (their acks go out),
 * then it is closed with GOING_AWAY. A socket without a connection is closed at once.
 */
export function goAway(socket: WebSocket): Promise<void> {
  const connection = connectionOf.get(socket);
  if (connection) return connection.goAway();
  socket.close(errorCatalog.GOING_AWAY.close, 'GOING_AWAY');
  return Promise.resolve();
}

const SYNC_PAGE = 200;
/** Bad frames tolerated on one connection before it is closed as broken. */
const MAX_BAD_FRAMES = 10;

export class ClientConnection implements Subscriber, Pingable {
  private session: Principal | null = null;
  private authenticating = false;
  private closed = false;
  /** Live frames that arrive between subscribing and sending `ready` wait here, so `ready` comes first. */
  private pending: string[] | null = null;
  private joined: string[] = [];
  private queue: Promise<void> = Promise.resolve();
  private badFrames = 0;
  private authTimer: NodeJS.Timeout | undefined;
  private alive = true;
  private slice = 0;
  private readonly bucket: TokenBucket;

  constructor(
    private readonly socket: WebSocket,
    private readonly origin: string | undefined,
    private readonly log: FastifyBaseLogger,
    private readonly context: ConnectionContext,
  ) {
    this.bucket = new TokenBucket(context.config.rateLimitPerSecond, context.config.rateLimitBurst);
  }

  /** Attaches the listeners; call in the same turn as the upgrade, so no early frame is lost. */
  start(token: string | undefined): void {
    connectionOf.set(this.socket, this);
    this.slice = this.context.heartbeat.add(this);
    this.context.connections.opened();
    this.socket.on('message', (data, isBinary) => this.receive(data, isBinary));
    this.socket.on('close', () => this.cleanup());
    // Oversize or malformed WebSocket frames: ws has already closed the socket with the right code.
    this.socket.on('error', (error: Error & { code?: string }) => this.log.info({ code: error.code }, 'websocket error'));
    this.socket.on('pong', () => { this.alive = true; });
    if (token) this.enqueue({ type: 'auth', token });
    else {
      this.authTimer = setTimeout(() => {
        if (!this.session) this.close('AUTH_TIMEOUT');
      }, this.context.config.authTimeoutMs);
    }
  }

  /** A peer that has not answered the previous ping is dead. */
  heartbeat(): void {
    if (!this.alive) {
      this.socket.terminate();
      this.cleanup();
      return;
    }
    this.alive = false;
    this.socket.ping();
  }

  send(payload: string): void {
    if (this.closed) return;
    if (this.pending) {
      this.pending.push(payload);
      return;
    }
    // A reader that cannot keep up would hold ever more memory here; drop it, it will resume by seq.
    if (this.socket.bufferedAmount > this.context.config.sendBufferLimit) {
      this.close('SLOW_CONSUMER');
      return;
    }
    coalesceWrites(this.socket);
    this.socket.send(payload);
  }

  private sendFrame(frame: ServerFrame): void {
    this.send(JSON.stringify(frame));
  }

  private sendError(code: ErrorCode, message: string, extra: { clientId?: string; retryAfterMs?: number } = {}): void {
    this.sendFrame({ type: 'error', code, message, ...extra });
  }

  /** Asked through the hub, by any node: say why, then close (an agent deactivated: AUTH_INVALID). */
  disconnect(code: ErrorCode): void {
    if (this.closed || !isClosingCode(code)) return;
    this.sendError(code, errorCatalog[code].message);
    this.close(code);
  }

  /**
   * The bus between nodes dropped frames, and works again (realtime/redis.ts): the client catches
   * up by itself after `resync`. A visitor's "team online" may have flipped meanwhile, so they get
   * it fresh first; an agent reloads colleagues with everything else.
   */
  resync(): void {
    const session = this.session;
    if (this.closed || !session || this.pending) return;
    if (session.kind === 'agent') {
      this.sendFrame({ type: 'resync' });
      return;
    }
    this.context.services.presence.teamOnline(session.accountId).then((online) => {
      this.sendFrame({ type: 'team', online });
      this.sendFrame({ type: 'resync' });
    }, (error: unknown) => this.log.error({ err: error }, 'resync failed'));
  }

  /** Reads no more frames, finishes those already read, then closes with GOING_AWAY. */
  async goAway(): Promise<void> {
    if (this.closed) return;
    this.socket.pause();
    // Frames ws had already buffered may still arrive while the queue drains: wait for those too.
    for (let tail = this.queue; ; tail = this.queue) {
      await tail;
      if (tail === this.queue) break;
    }
    this.close('GOING_AWAY');
    // Read again, or the client's answer to the close would never arrive; frames before it are ignored now.
    this.socket.resume();
  }

  /** Closes with the code's close code; the reason is the code itself, stable for clients to log. */
  private close(code: ClosingCode): void {
    if (this.closed) return;
    this.socket.close(errorCatalog[code].close, code);
    this.cleanup();
  }

  private receive(data: unknown, isBinary: boolean): void {
    if (this.closed) return;
    const parsed = isBinary
      ? { ok: false as const, code: 'BAD_FRAME' as const, message: 'Binary frames are not accepted' }
      : parseClientFrame(String(data));
    const waitMs = this.bucket.take();
    if (waitMs > 0) {
      this.sendError('RATE_LIMITED', 'Too many frames, slow down', {
        retryAfterMs: waitMs,
        ...(parsed.ok && parsed.frame.type === 'message.send' ? { clientId: parsed.frame.clientId } : {}),
      });
      return;
    }
    if (!parsed.ok) {
      this.badFrames += 1;
      this.sendError(parsed.code, parsed.message);
      if (this.badFrames >= MAX_BAD_FRAMES) this.close('PROTOCOL_VIOLATION');
      return;
    }
    this.enqueue(parsed.frame);
  }

  private enqueue(frame: ClientFrame): void {
    this.queue = this.queue.then(() => this.handle(frame)).catch((error: unknown) => {
      const appError = toAppError(error);
      if (appError.code === 'INTERNAL') this.log.error({ err: error, frame: frame.type }, 'frame failed');
      this.sendError(appError.code, appError.message, {
        ...(frame.type === 'message.send' ? { clientId: frame.clientId } : {}),
        ...(appError.retryAfterMs !== undefined ? { retryAfterMs: appError.retryAfterMs } : {}),
      });
    });
  }

  private async handle(frame: ClientFrame): Promise<void> {
    if (this.closed) return;
    if (frame.type === 'auth') return this.authenticate(frame.token);
    const session = this.session;
    if (!session) throw new AppError('AUTH_REQUIRED', 'Authenticate first');
    const { services } = this.context;
    switch (frame.type) {
      case 'ping': return this.sendFrame({ type: 'pong' });
      case 'message.send': return this.sendMessage(session, frame);
      case 'typing': return services.messages.typing(session, frame.conversationId, frame.typing);
      case 'sync':
        return this.sendFrame(await services.conversations.sync(session, frame.conversationId, frame.afterSeq, SYNC_PAGE));
      case 'presence.set':
        if (session.kind !== 'agent') throw new AppError('FORBIDDEN', 'Only agents have availability');
        return services.availability.choose(session.agentId, frame.availability);
    }
  }

  private async authenticate(token: string): Promise<void> {
    if (this.session || this.authenticating) throw new AppError('BAD_FRAME', 'Already authenticated');
    this.authenticating = true;
    clearTimeout(this.authTimer);
    let result;
    try {
      result = await this.context.services.identity.authenticate(token);
    } catch (error) {
      const appError = toAppError(error);
      if (appError.code === 'INTERNAL') this.log.error({ err: error }, 'authentication failed');
      this.sendError(appError.code, appError.message);
      return this.close('UNAVAILABLE');
    }
    if (this.closed) return;
    if (!result.ok) {
      this.sendError(result.code, errorCatalog[result.code].message);
      return this.close(result.code);
    }
    const session = result.session;
    if (session.kind === 'visitor' && !originAllowed(session.site, this.origin)) {
      this.sendError('ORIGIN_NOT_ALLOWED', errorCatalog.ORIGIN_NOT_ALLOWED.message);
      return this.close('ORIGIN_NOT_ALLOWED');
    }
    this.pending = [];
    let ready: ServerFrame;
    try {
      ready = session.kind === 'visitor' ? await this.readyVisitor(session) : await this.readyAgent(session);
    } catch (error) {
      // Without its snapshot the connection cannot start, and frames held for `ready` would wait
      // for good: say why and close, so the client reconnects and tries again.
      this.pending = null;
      const appError = toAppError(error);
      if (appError.code === 'INTERNAL') this.log.error({ err: error }, 'ready failed');
      this.sendError(appError.code, appError.message);
      return this.close('UNAVAILABLE');
    }
    // Stop holding before sending ready, or ready would queue behind the frames held for it.
    const held = this.pending ?? [];
    this.pending = null;
    this.sendFrame(ready);
    for (const payload of held) this.send(payload);
  }

  // Each ready subscribes before reading its snapshot: what happens in between arrives live (held
  // in `pending` until ready is sent, and merged by seq) instead of falling between the two.

  private async readyVisitor(session: VisitorSession): Promise<ServerFrame> {
    const { visitor, site } = session;
    this.session = { kind: 'visitor', visitorId: visitor.id, siteId: site.id, accountId: site.accountId };
    this.context.connections.identified('visitor');
    await this.join(channels.visitor(visitor.id), channels.team(site.accountId));
    return this.context.services.snapshots.forVisitor(session);
  }

  private async readyAgent(session: AgentSession): Promise<ServerFrame> {
    const { agent } = session;
    const principal: ConnectedAgent = {
      kind: 'agent', agentId: agent.id, accountId: agent.accountId, name: agent.name, connectionId: randomUUID(),
    };
    this.session = principal;
    this.context.connections.identified('agent');
    const { services } = this.context;
    // Its own channel carries no frames: only a deactivation closing it from any node.
    await this.join(channels.account(agent.accountId), channels.agent(agent.id));
    // Deactivated after authentication but before the subscription was active: that disconnect
    // went by unheard, so look once more now that any later one will arrive.
    if (!this.closed && !await services.identity.agentActive(agent.id)) this.disconnect('AUTH_INVALID');
    // Closed while subscribing: cleanup() has run, and nothing would ever take this agent offline again.
    if (!this.closed) await services.availability.connected(agent.id, agent.accountId, principal.connectionId);
    return services.snapshots.forAgent(session);
  }

  private join(...names: string[]): Promise<unknown> {
    if (this.closed) return Promise.resolve();
    this.joined.push(...names);
    return Promise.all(names.map((channel) => this.context.hub.join(channel, this)));
  }

  private async sendMessage(session: Principal, frame: SendFrame): Promise<void> {
    const { messages } = this.context.services;
    let sent;
    if (session.kind === 'visitor') {
      const waitMs = this.context.visitorMessages.take(session.visitorId);
      if (waitMs > 0) throw new AppError('RATE_LIMITED', 'Too many messages, slow down', waitMs);
      sent = await messages.sendAsVisitor(session, frame.clientId, frame.body, frame.conversationId);
    } else {
      if (!frame.conversationId) throw new AppError('BAD_FRAME', 'Agents must name the conversation');
      sent = await messages.sendAsAgent(session, frame.conversationId, frame.clientId, frame.body);
    }
    const { message } = sent;
    this.sendFrame({
      type: 'ack',
      clientId: message.clientId,
      conversationId: message.conversationId,
      messageId: message.id,
      seq: message.seq,
      createdAt: message.createdAt,
    });
  }

  private cleanup(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.authTimer);
    this.context.heartbeat.remove(this, this.slice);
    for (const channel of this.joined) this.context.hub.leave(channel, this);
    this.joined = [];
    const session = this.session;
    this.context.connections.closed(session?.kind ?? 'unauthenticated');
    if (session?.kind === 'agent') {
      this.context.services.availability.disconnected(session.agentId, session.connectionId)
        .catch((error: unknown) => this.log.error({ err: error }, 'presence update failed'));
    }
  }
}
