// buildApp(): the whole HTTP + WebSocket server as a Fastify instance that is not yet listening.
// main.ts listens on it; tests listen on 127.0.0.1:0 or use inject().
import Fastify, { LogController, type FastifyInstance, type FastifyError, type RouteOptions } from 'fastify';
import websocket from '@fastify/websocket';
import { TypeBoxValidatorCompiler, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { fileURLToPath } from 'node:url';
import type { Db } from '../db/index.ts';
import type { Config } from './config.ts';
import { PROTOCOL, errorCatalog } from '../protocol/index.ts';
import { AppError, errorBody, statusName, toAppError } from './errors.ts';
import { MemoryBroker, type Broker } from './realtime/broker.ts';
import { Hub } from './realtime/hub.ts';
import { ConnectionCounts } from './realtime/connection-counts.ts';
import { disconnectRevokedSessions, relayToClients } from './realtime/relay.ts';
import { goAway } from './realtime/connection.ts';
import { createServices, type Services } from './services/index.ts';
import { DomainEvents } from './services/events.ts';
import { Metrics } from './services/metrics.ts';
import { databaseProbe } from './services/readiness.ts';
import type { Presence } from './services/presence.ts';
import { loadSecret } from './services/tokens.ts';
import { authPlugin } from './plugins/auth.ts';
import { staticPlugin } from './plugins/static.ts';
import { operationsRoutes } from './plugins/operations.ts';
import { apiDocsPlugin } from './plugins/api-docs.ts';
import { REDACTED_LOG_PATHS, securityPlugin } from './plugins/security.ts';
import { authRoutes } from './routes/auth.ts';
import { widgetRoutes } from './routes/widget.ts';
import { conversationRoutes } from './routes/conversations.ts';
import { agentRoutes } from './routes/agents.ts';
import { tokenRoutes } from './routes/tokens.ts';
import { invitationRoutes } from './routes/invitations.ts';
import { siteRoutes } from './routes/sites.ts';
import { cannedResponseRoutes } from './routes/canned-responses.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { gatewayRoutes } from './routes/gateway.ts';
import { exportRoutes } from './routes/exports.ts';
import { visitorRoutes } from './routes/visitors.ts';
import { reportRoutes } from './routes/reports.ts';

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
    /** Every route as registered, with its schema: for the generated API document and its tests. */
    routeTable: RouteOptions[];
  }
}

export interface AppDeps {
  db: Db;
  /**
   * Several nodes: the broker and presence live in Redis, under this key prefix (default
   * `parley:`). Without it, both stay in this process (one node).
   */
  redis?: { url: string; prefix?: string };
  /** Replaces the broker (tests); defaults to Redis's with `redis`, else the in-memory one. */
  broker?: Broker;
  /** Replaces presence (tests); defaults to Redis's with `redis`, else presence in memory. */
  presence?: Presence;
  distDir?: string;
  /** Where log lines go instead of stdout (tests read them). */
  logStream?: { write(line: string): void };
}

export const API_PREFIX = '/api/v1';

/** How long a shutting-down node lets its sockets finish the frames they have read. */
const SHUTDOWN_DRAIN_MS = 10_000;

const defaultDistDir = fileURLToPath(new URL('../dist', import.meta.url));

export async function buildApp(config: Config, deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: {
      level: config.logLevel,
      redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' },
      ...(deps.logStream ? { stream: deps.logStream } : {}),
    },
    // One line per request drowns what matters; errors and warnings are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 256 * 1024,
    // Behind a load balancer, request.ip (and so the rate limits) follows X-Forwarded-For only when told to.
    trustProxy: typeof config.trustProxy === 'number'
      ? ((hops) => (_address: string, hop: number) => hop < hops)(config.trustProxy)
      : config.trustProxy,
    // Ids and client-chosen names appear in URLs; keep the router from choking on long ones.
    routerOptions: { maxParamLength: 200 },
  }).withTypeProvider<TypeBoxTypeProvider>();
  // Route schemas are TypeBox's: checked by TypeBox, which converts query strings and params to
  // their types but never coerces a body (ajv's coercion turned `agentId: null` into "").
  app.setValidatorCompiler(TypeBoxValidatorCompiler);
  const routeTable: RouteOptions[] = [];
  app.decorate('routeTable', routeTable);
  app.addHook('onRoute', (route) => { routeTable.push(route); });
  const connections = new ConnectionCounts();
  // The queue depth is counted at scrape time; `services` exists by the time anyone scrapes.
  // Made before the Redis clients, whose health callbacks count into it.
  const metrics = new Metrics((role) => connections.get(role), () => services.webhooks.queueDepth());
  let { broker: sharedBroker, presence } = deps;
  if (deps.redis) {
    const { url, prefix } = deps.redis;
    const [{ RedisBroker }, { RedisPresence }] = await Promise.all([
      import('./realtime/redis.ts'), import('./services/presence-redis.ts'),
    ]);
    sharedBroker ??= new RedisBroker(url, prefix, {
      probeMs: config.busProbeMs,
      health: {
        onFault: () => {
          metrics.observeBusFault();
          app.log.warn('bus: Redis is not carrying frames between nodes; clients will catch up when it does');
        },
        onRecovered: (faultyForMs) => app.log.warn({ faultyForMs }, 'bus: Redis carries frames again; every node\'s clients are told to catch up'),
      },
    });
    const redisPresence = presence ? null : new RedisPresence(url, {
      ...(prefix ? { prefix } : {}),
      ttlMs: config.presenceTtlMs,
      onError: (error) => app.log.warn({ err: error }, 'presence: Redis is not answering; serving from this node\'s own connections'),
    });
    presence ??= redisPresence!;
    const bus = sharedBroker instanceof RedisBroker ? sharedBroker : null;
    metrics.watchCluster({
      busCarrying: () => bus?.carrying ?? true,
      presenceAnswering: () => redisPresence?.answering ?? true,
    });
  }
  const broker: Broker = sharedBroker ?? new MemoryBroker();
  const hub = new Hub(broker);
  const secret = await loadSecret(deps.db, config.secret);
  const events = new DomainEvents((error, type) => app.log.error({ err: error, event: type }, 'event listener failed'));
  const services = createServices({
    db: deps.db,
    events,
    ...(presence ? { presence } : {}),
    secret,
    config,
    onError: (error) => app.log.error({ err: error }, 'background task failed'),
    onMessagesCommitted: metrics.observeCommit,
    onWebhookAttempt: metrics.observeWebhookAttempt,
  });
  // Services announce; the sockets hear through the hub, and the metrics count.
  relayToClients(events, hub);
  disconnectRevokedSessions(events, hub);
  metrics.listen(events);
  services.webhooks.start(events);
  app.decorate('services', services);

  app.setErrorHandler((error: FastifyError, request, reply) => {
    let appError: AppError;
    if (error.validation) appError = new AppError('VALIDATION_FAILED', error.message);
    else if (error instanceof AppError) appError = error;
    else if (error.statusCode && error.statusCode < 500) {
      // Fastify's own 4xx (bad JSON, body too large, wrong content type): keep the status, one code.
      appError = new AppError('VALIDATION_FAILED', error.message);
      reply.status(error.statusCode);
      return { ...errorBody(appError), statusCode: error.statusCode, error: statusName(error.statusCode) };
    } else {
      appError = toAppError(error);
      if (appError.code === 'INTERNAL') request.log.error({ err: error }, 'request failed');
    }
    if (appError.retryAfterMs) reply.header('retry-after', Math.ceil(appError.retryAfterMs / 1000));
    reply.status(appError.statusCode);
    return errorBody(appError);
  });
  app.setNotFoundHandler((request, reply) => {
    reply.status(404);
    return errorBody(new AppError('NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}`));
  });

  await app.register(websocket, {
    options: {
      maxPayload: config.maxFrameBytes,
      // The browser offers [PROTOCOL, token]; we accept the protocol, never echo the token back.
      handleProtocols: (protocols: Set<string>) => (protocols.has(PROTOCOL) ? PROTOCOL : false),
    },
    // Socket errors of established connections are the gateway's (routes/gateway.ts); this sees
    // only a handler that threw while setting a connection up.
    errorHandler(error, socket, request) {
      request.log.error({ err: error }, 'websocket failed');
      socket.terminate();
    },
    // A restart, step by step: stop listening, so the balancer sends new connections to the other
    // nodes; let every socket finish the frames it has read, so each message received is committed
    // and acknowledged; then close it with GOING_AWAY, which its client answers by reconnecting
    // after a random wait (protocol/errors.ts), not all at once. The database stays open until
    // the sockets are gone: Fastify waits for them before its onClose hooks.
    preClose(done) {
      this.server.close();
      const drained = Promise.all([...this.websocketServer.clients].map(goAway));
      let timer: NodeJS.Timeout | undefined;
      const tooLong = new Promise<void>((resolve) => { timer = setTimeout(resolve, SHUTDOWN_DRAIN_MS); });
      void Promise.race([drained, tooLong]).then(() => {
        clearTimeout(timer);
        // Stuck on a frame, or upgraded while the others drained. Reading again lets the close finish.
        for (const client of this.websocketServer.clients) {
          client.close(errorCatalog.GOING_AWAY.close, 'GOING_AWAY');
          client.resume();
        }
        done();
      });
    },
  });
  await app.register(securityPlugin, { config, distDir: deps.distDir ?? defaultDistDir });
  // Before the routes, which it documents as they are added.
  await app.register(apiDocsPlugin);
  await app.register(authPlugin, { services });
  await app.register(widgetRoutes, { services });
  // The REST API, versioned: what site owners' scripts and the console call.
  await app.register(async (api) => {
    await api.register(authRoutes, { services });
    await api.register(conversationRoutes, { services });
    await api.register(agentRoutes, { services });
    await api.register(tokenRoutes, { services });
    await api.register(invitationRoutes, { services });
    await api.register(siteRoutes, { services });
    await api.register(cannedResponseRoutes, { services });
    await api.register(webhookRoutes, { services });
    await api.register(exportRoutes, { services });
    await api.register(visitorRoutes, { services });
    await api.register(reportRoutes, { services });
  }, { prefix: API_PREFIX });
  await app.register(gatewayRoutes, { services, hub, config, connections });
  await app.register(staticPlugin, { distDir: deps.distDir ?? defaultDistDir });
  app.get('/healthz', () => ({ ok: true }));
  await app.register(operationsRoutes, {
    metrics,
    // A broker that can be pinged has a backend elsewhere: today only Redis's.
    probes: { database: databaseProbe(deps.db), redis: broker.ping ? broker.ping.bind(broker) : null },
    metricsToken: config.metricsToken,
  });

  // Every node polls for snoozes that are due; the UPDATE lets one node win each (services/snoozes.ts).
  app.addHook('onReady', async () => { services.snoozes.start(); });
  app.addHook('onClose', async () => {
    // Attempts in flight finish and buffered deliveries are written before the database goes.
    await services.webhooks.close();
    await Promise.all([broker.close(), services.presence.close(), services.snoozes.stop()]);
  });
  return app;
}
