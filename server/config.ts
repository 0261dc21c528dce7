// Environment → one typed, validated Config, read once at start. Everything has a default so that
// `npm start` on a fresh clone just works.
import { resolve } from 'node:path';

export interface Config {
  host: string;
  port: number;
  /** The example "shop" page is served on its own port, so it is a different origin, as on a real site. */
  examplePort: number | null;
  /** Where browsers reach this server; used in printed URLs and the example page's script tag. */
  publicUrl: string;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  dataDir: string;
  /** Token signing secret; when unset, one is generated on first start and kept in the database. */
  secret: string | undefined;
  adminEmail: string | undefined;
  adminPassword: string | undefined;
  maxMessageLength: number;
  maxFrameBytes: number;
  authTimeoutMs: number;
  /**
   * With Redis, how long a console connection counts without its node refreshing it (every third
   * of this): a node that dies takes its agents offline after at most this plus a third.
   */
  presenceTtlMs: number;
  /**
   * With Redis, each node sends itself a probe through it this often; one missing for two intervals
   * means frames may be lost, and when probes return every client is told to catch up.
   */
  busProbeMs: number;
  /** Server → client WebSocket pings; a peer that misses two is dropped. */
  heartbeatMs: number;
  /** Per-connection token bucket over every frame: sustained rate and burst. */
  rateLimitPerSecond: number;
  rateLimitBurst: number;
  /** Messages one visitor may send per second, over all of their sockets (and its burst). */
  visitorMessageRateLimitPerSecond: number;
  visitorMessageRateLimitBurst: number;
  /** A connection whose unsent output passes this many bytes is closed (SLOW_CONSUMER). */
  sendBufferLimit: number;
  /**
   * REST rate limits: requests per window (rateLimitWindowMs) for one key. Counted in memory, or on
   * Redis when redisUrl is set so that every node shares them.
   */
  loginRateLimitPerAddress: number;
  /** Per e-mail address tried, whichever client asks: slows guessing one agent's password from many addresses. */
  loginRateLimitPerEmail: number;
  /** Widget session creations per client address and site. */
  sessionRateLimitPerAddress: number;
  /** Agent API requests per signed-in agent. */
  apiRateLimitPerToken: number;
  rateLimitWindowMs: number;
  /**
   * Fastify's trustProxy: whom to believe about the client's address (X-Forwarded-For). Off by
   * default, since a client could otherwise pick its own address and escape every limit.
   */
  trustProxy: boolean | number | string;
  logLevel: string;
  /** When set, GET /metrics requires `Authorization: Bearer <token>`; when unset it is open. */
  metricsToken: string | undefined;
  /**
   * Webhook URLs at loopback, private or link-local addresses are refused (server-side request
   * forgery) unless this is set: for local development and tests only.
   */
  webhooksAllowPrivate: boolean;
  /** Delivery workers look for due deliveries this often (and at once when one is recorded). */
  webhookPollMs: number;
  /** A failing endpoint is retried with backoff for this long, then disabled. */
  webhookRetryForMs: number;
  /** One delivery attempt's timeout. */
  webhookTimeoutMs: number;
  /** SMTP server for invitation e-mails, e.g. smtp://user:pass@mail.example.com:587; unset: links are only shown. */
  smtpUrl: string | undefined;
  /** The From: of e-mails. */
  mailFrom: string;
  /** How long an invitation link is valid. */
  invitationTtlMs: number;
}

export class ConfigError extends Error {}

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return value;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const host = env.HOST || 'localhost';
  const port = intFrom(env, 'PORT', 3000, 0, 65535);
  const examplePort = env.EXAMPLE_PORT === 'off' ? null : intFrom(env, 'EXAMPLE_PORT', port + 1, 0, 65535);
  const publicUrl = (env.PUBLIC_URL || `http://localhost:${port}`).replace(/\/+$/, '');
  if (env.SECRET !== undefined && env.SECRET.length < 32) {
    throw new ConfigError('SECRET must be at least 32 characters');
  }
  return {
    host,
    port,
    examplePort,
    publicUrl,
    databaseUrl: env.DATABASE_URL || undefined,
    redisUrl: env.REDIS_URL || undefined,
    dataDir: resolve(env.DATA_DIR || './data'),
    secret: env.SECRET || undefined,
    adminEmail: env.ADMIN_EMAIL || undefined,
    adminPassword: env.ADMIN_PASSWORD || undefined,
    maxMessageLength: intFrom(env, 'MAX_MESSAGE_LENGTH', 4000, 1, 4000),
    maxFrameBytes: intFrom(env, 'MAX_FRAME_BYTES', 64 * 1024, 1024, 16 * 1024 * 1024),
    authTimeoutMs: intFrom(env, 'AUTH_TIMEOUT_MS', 10_000, 100),
    heartbeatMs: intFrom(env, 'HEARTBEAT_MS', 25_000, 100),
    presenceTtlMs: intFrom(env, 'PRESENCE_TTL_MS', 15_000, 300),
    busProbeMs: intFrom(env, 'BUS_PROBE_MS', 1000, 50),
    rateLimitPerSecond: intFrom(env, 'RATE_LIMIT_PER_SECOND', 10, 1),
    rateLimitBurst: intFrom(env, 'RATE_LIMIT_BURST', 30, 1),
    visitorMessageRateLimitPerSecond: intFrom(env, 'VISITOR_MESSAGE_RATE_LIMIT_PER_SECOND', 5, 1),
    visitorMessageRateLimitBurst: intFrom(env, 'VISITOR_MESSAGE_RATE_LIMIT_BURST', 20, 1),
    sendBufferLimit: intFrom(env, 'SEND_BUFFER_LIMIT', 1024 * 1024, 1024),
    loginRateLimitPerAddress: intFrom(env, 'LOGIN_RATE_LIMIT_PER_ADDRESS', 30, 1),
    loginRateLimitPerEmail: intFrom(env, 'LOGIN_RATE_LIMIT_PER_EMAIL', 10, 1),
    sessionRateLimitPerAddress: intFrom(env, 'SESSION_RATE_LIMIT_PER_ADDRESS', 300, 1),
    apiRateLimitPerToken: intFrom(env, 'API_RATE_LIMIT_PER_TOKEN', 1200, 1),
    rateLimitWindowMs: intFrom(env, 'RATE_LIMIT_WINDOW_MS', 60_000, 1000),
    trustProxy: trustProxyFrom(env.TRUST_PROXY),
    logLevel: env.LOG_LEVEL || 'info',
    metricsToken: env.METRICS_TOKEN || undefined,
    webhooksAllowPrivate: booleanFrom(env, 'WEBHOOKS_ALLOW_PRIVATE', false),
    webhookPollMs: intFrom(env, 'WEBHOOK_POLL_MS', 1000, 10),
    webhookRetryForMs: intFrom(env, 'WEBHOOK_RETRY_FOR_MS', 24 * 3600_000, 1000),
    webhookTimeoutMs: intFrom(env, 'WEBHOOK_TIMEOUT_MS', 10_000, 100),
    smtpUrl: env.SMTP_URL || undefined,
    mailFrom: env.MAIL_FROM || 'Parley <parley@localhost>',
    invitationTtlMs: intFrom(env, 'INVITATION_TTL_HOURS', 72, 1) * 3600_000,
  };
}

function booleanFrom(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === '1' || raw === 'on') return true;
  if (raw === 'false' || raw === '0' || raw === 'off') return false;
  throw new ConfigError(`${name} must be true or false, got "${env[name]}"`);
}

/** TRUST_PROXY: off (default), `true` (any proxy), a hop count, or addresses/CIDRs separated by commas. */
function trustProxyFrom(raw: string | undefined): boolean | number | string {
  const value = raw?.trim() ?? '';
  if (value === '' || value === 'false' || value === 'off' || value === '0') return false;
  if (value === 'true' || value === 'on') return true;
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}

/** A config for tests and embedding: defaults, overridden field by field. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return { ...loadConfig({ PORT: '0', EXAMPLE_PORT: 'off', LOG_LEVEL: 'warn' }), ...overrides };
}
