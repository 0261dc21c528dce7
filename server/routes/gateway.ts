// The WebSocket gateway: one endpoint for visitors and agents. It authenticates a connection (token
// in the Sec-WebSocket-Protocol header or in the first frame), validates every frame, calls the
// services and relays their events. Frames of one connection are handled strictly in order.
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import {
  PROTOCOL, WS_PATH, errorCatalog,
  type ClientFrame, type ErrorCode, type SendFrame, type ServerFrame, type SyncFrame, type TypingFrame,
} from '../../protocol/index.ts';
import { AppError, notFound, toAppError } from '../errors.ts';
import { parseClientFrame } from '../realtime/frames.ts';
import { TokenBucket } from '../realtime/rate-limit.ts';
import { coalesceWrites } from '../realtime/coalesce.ts';
import { channels, type Hub, type Subscriber } from '../realtime/hub.ts';
import type { Services } from '../services/index.ts';
import { originAllowed } from '../services/identity.ts';
import { latestConversationOf } from '../services/conversations.ts';
import { conversationView, latestMessages, messagesAfter, toAgentView } from '../services/views.ts';
import type { Config } from '../config.ts';
import { eq } from 'drizzle-orm';
import { schema } from '../../db/index.ts';

/**
 * Who is on a connection once authenticated: ids only. Rows fetched at authentication are not kept,
 * because idle connections are most of what a chat server holds in memory.
 */
type Principal =
  | { kind: 'visitor'; visitorId: string; siteId: string; accountId: string }
  | { kind: 'agent'; agentId: string; accountId: string; name: string };
type VisitorPrincipal = Extract<Principal, { kind: 'visitor' }>;
/** The codes that end a connection. */
type ClosingCode = { [C in keyof typeof errorCatalog]: (typeof errorCatalog)[C] extends { close: number } ? C : never }[keyof typeof errorCatalog];

const HISTORY_ON_READY = 50;
const SYNC_PAGE = 200;
const HEARTBEAT_SLICES = 10;
/** Bad frames tolerated on one connection before it is closed as broken. */
const MAX_BAD_FRAMES = 10;

/** The token a browser put in Sec-WebSocket-Protocol next to our protocol name, if any. */
function tokenFromProtocolHeader(header: string | undefined): string | undefined {
  if (!header) return undefined;
  return header.split(',').map((part) => part.trim()).find((part) => part && part !== PROTOCOL);
}

export async function gatewayRoutes(app: FastifyInstance, opts: { services: Services; hub: Hub; config: Config }) {
  const live = new Set<ClientConnection>();
  app.get(WS_PATH, { websocket: true }, (socket, request) => {
    // Listeners are attached synchronously in start() so no early frame is lost.
    // Only what the connection needs is kept from the upgrade request: idle connections are the
    // bulk of a chat server's memory. @fastify/websocket's own error listener closes over the
    // whole request and reply for the socket's lifetime, so ours replaces it.
    socket.removeAllListeners('error');
    // It also leaves the upgrade's ServerResponse attached to the TCP socket, which keeps request
    // and reply alive as long as the connection: detach it.
    const tcp = (socket as unknown as { _socket?: { _httpMessage?: { detachSocket(s: unknown): void } | null } })._socket;
    tcp?._httpMessage?.detachSocket(tcp);
    const connection = new ClientConnection(socket, request.headers.origin, request.log, opts.services, opts.hub, opts.config,
      () => live.delete(connection));
    live.add(connection);
    connection.start(tokenFromProtocolHeader(request.headers['sec-websocket-protocol']));
  });
  // One timer, ten slices: every connection is pinged once per heartbeatMs, a tenth of them per tick,
  // so 15,000 idle sockets never stall the event loop all at once. A peer that has not answered the
  // previous ping is dead.
  let tick = 0;
  const heartbeat = setInterval(() => {
    tick = (tick + 1) % HEARTBEAT_SLICES;
    for (const connection of live) if (connection.slice === tick) connection.heartbeat();
  }, opts.config.heartbeatMs / HEARTBEAT_SLICES);
  heartbeat.unref();
  app.addHook('onClose', async () => clearInterval(heartbeat));
}

class ClientConnection implements Subscriber {
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
  /** Which heartbeat tick pings this connection. */
  readonly slice = Math.floor(Math.random() * HEARTBEAT_SLICES);
  private readonly bucket: TokenBucket;

  constructor(
    private readonly socket: WebSocket,
    private readonly origin: string | undefined,
    private readonly log: FastifyBaseLogger,
    private readonly services: Services,
    private readonly hub: Hub,
    private readonly config: Config,
    private readonly onGone: () => void,
  ) {
    this.bucket = new TokenBucket(config.rateLimitPerSecond, config.rateLimitBurst);
  }

  start(token: string | undefined): void {
    this.socket.on('message', (data, isBinary) => this.receive(data, isBinary));
    this.socket.on('close', () => this.cleanup());
    // Oversize or malformed WebSocket frames: ws has already closed the socket with the right code.
    this.socket.on('error', (error: Error & { code?: string }) => this.log.info({ code: error.code }, 'websocket error'));
    this.socket.on('pong', () => { this.alive = true; });
    if (token) this.enqueue({ type: 'auth', token });
    else {
      this.authTimer = setTimeout(() => {
        if (!this.session) this.close('AUTH_TIMEOUT');
      }, this.config.authTimeoutMs);
    }
  }

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
    if (this.socket.bufferedAmount > this.config.sendBufferLimit) {
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
    switch (frame.type) {
      case 'ping': return this.sendFrame({ type: 'pong' });
      case 'message.send': return this.sendMessage(session, frame);
      case 'typing': return this.typing(session, frame);
      case 'sync': return this.sync(session, frame);
      case 'presence.set':
        if (session.kind !== 'agent') throw new AppError('FORBIDDEN', 'Only agents have availability');
        return this.services.availability.choose(session.agentId, frame.availability);
    }
  }

  private async authenticate(token: string): Promise<void> {
    if (this.session || this.authenticating) throw new AppError('BAD_FRAME', 'Already authenticated');
    this.authenticating = true;
    clearTimeout(this.authTimer);
    let result;
    try {
      result = await this.services.identity.authenticate(token);
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
    this.session = session.kind === 'visitor'
      ? { kind: 'visitor', visitorId: session.visitor.id, siteId: session.site.id, accountId: session.site.accountId }
      : { kind: 'agent', agentId: session.agent.id, accountId: session.agent.accountId, name: session.agent.name };
    this.pending = [];
    if (session.kind === 'visitor') await this.readyVisitor(session.visitor, session.site);
    else await this.readyAgent(session.agent);
    const held = this.pending ?? [];
    this.pending = null;
    for (const payload of held) this.send(payload);
  }

  private join(...names: string[]): Promise<unknown> {
    if (this.closed) return Promise.resolve();
    this.joined.push(...names);
    return Promise.all(names.map((channel) => this.hub.join(channel, this)));
  }

  private async readyVisitor(visitor: schema.Visitor, site: schema.Site): Promise<void> {
    // Subscribe before reading history: a message committed in between arrives live (and is merged
    // by seq), instead of falling between the two.
    await this.join(channels.visitor(visitor.id), channels.team(site.accountId));
    const latest = await latestConversationOf(this.services.db, visitor.id);
    if (latest) this.services.messages.rememberConversation(visitor.id, latest.id);
    const [conversation, messages] = latest
      ? await Promise.all([conversationView(this.services.db, latest.id), latestMessages(this.services.db, latest.id, HISTORY_ON_READY)])
      : [null, []];
    this.sendFrame({
      type: 'ready',
      role: 'visitor',
      visitorId: visitor.id,
      conversation,
      messages,
      team: { online: this.services.presence.teamOnline(site.accountId) },
      settings: site.widgetSettings,
    });
  }

  private async readyAgent(agent: schema.Agent): Promise<void> {
    await this.join(channels.account(agent.accountId));
    await this.services.availability.connected(agent.id, agent.accountId);
    const [colleagues] = await Promise.all([
      this.services.db.select().from(schema.agents).where(eq(schema.agents.accountId, agent.accountId)),
      this.services.conversations.rememberAssigned({ agentId: agent.id, accountId: agent.accountId }),
    ]);
    const { presence } = this.services;
    this.sendFrame({
      type: 'ready',
      role: 'agent',
      agent: toAgentView(agent, presence.availability(agent.id)),
      agents: colleagues.map((colleague) => toAgentView(colleague, presence.availability(colleague.id))),
    });
  }

  private async sendMessage(session: Principal, frame: SendFrame): Promise<void> {
    const { messages } = this.services;
    let sent;
    if (session.kind === 'visitor') {
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

  private async typing(session: Principal, frame: TypingFrame): Promise<void> {
    if (session.kind === 'visitor') {
      const conversation = await this.visitorConversation(session, frame.conversationId);
      this.services.messages.publishTyping(session.accountId, conversation, { kind: 'visitor', id: session.visitorId, name: null }, frame.typing);
    } else {
      const conversation = await this.services.conversations.refForAgent(session, frame.conversationId);
      this.services.messages.publishTyping(session.accountId, conversation, { kind: 'agent', id: session.agentId, name: session.name }, frame.typing);
    }
  }

  private async sync(session: Principal, frame: SyncFrame): Promise<void> {
    const conversation = session.kind === 'visitor'
      ? await this.visitorConversation(session, frame.conversationId)
      : await this.services.conversations.refForAgent(session, frame.conversationId);
    const page = await messagesAfter(this.services.db, conversation.id, frame.afterSeq, SYNC_PAGE);
    this.sendFrame({ type: 'messages', conversationId: conversation.id, ...page });
  }

  /** A visitor may only touch their own conversations. */
  private async visitorConversation(session: VisitorPrincipal, conversationId: string): Promise<schema.Conversation> {
    const [conversation] = await this.services.db.select().from(schema.conversations)
      .where(eq(schema.conversations.id, conversationId));
    if (!conversation || conversation.visitorId !== session.visitorId) throw notFound('Conversation not found');
    return conversation;
  }

  private cleanup(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.authTimer);
    this.onGone();
    for (const channel of this.joined) this.hub.leave(channel, this);
    this.joined = [];
    const session = this.session;
    if (session?.kind === 'agent') {
      this.services.availability.disconnected(session.agentId)
        .catch((error: unknown) => this.log.error({ err: error }, 'presence update failed'));
    }
  }
}
