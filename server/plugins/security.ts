// HTTP hardening in one place: response headers by kind of response, JSON-only state-changing
// calls, and the REST rate limits the routes attach. CORS is not here: only the widget's session
// call answers it, for its site's origins (routes/widget.ts).
import fp from 'fastify-plugin';
import helmet, { type FastifyHelmetOptions } from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { FastifyRequest, RouteOptions } from 'fastify';
import { Redis } from 'ioredis';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { AppError } from '../errors.ts';
import type { Config } from '../config.ts';

type Limit = (request: FastifyRequest) => Promise<void>;

declare module 'fastify' {
  interface FastifyInstance {
    /** preHandler hooks for the routes that need a rate limit; each answers RATE_LIMITED past its count. */
    limits: {
      /** Per client address, then per e-mail address tried. */
      login: Limit[];
      /** Per client address and site. */
      widgetSession: Limit;
      /** Per signed-in agent (behind requireAgent). */
      agentApi: Limit;
    };
  }
}

/** Every other answer (the REST API, errors, 404s): JSON that no page may frame or sniff. */
const API_HEADERS: FastifyHelmetOptions = {
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  crossOriginOpenerPolicy: false,
  crossOriginResourcePolicy: { policy: 'same-origin' },
  referrerPolicy: { policy: 'no-referrer' },
  xFrameOptions: { action: 'deny' },
  // TLS ends at the operator's proxy, which knows whether HSTS (and for how long) is right.
  strictTransportSecurity: false,
};

/**
 * /widget.js and the widget's session call are fetched by customers' pages: they must stay
 * loadable cross-origin (also from pages that require CORP, i.e. COEP), so only nosniff and friends.
 */
const EMBED_HEADERS: FastifyHelmetOptions = {
  contentSecurityPolicy: false,
  xFrameOptions: false,
  crossOriginResourcePolicy: { policy: 'cross-origin' },
};

/** SHA-256 sources for the console page's inline <style>: the page is a build output, so read it. */
function inlineStyleHashes(distDir: string): () => string {
  const page = join(distDir, 'console', 'index.html');
  let cached: { mtimeMs: number; sources: string } | undefined;
  return () => {
    try {
      const { mtimeMs } = statSync(page);
      if (cached?.mtimeMs !== mtimeMs) {
        const html = readFileSync(page, 'utf8');
        const hashes = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)]
          .map((match) => `'sha256-${createHash('sha256').update(match[1]!).digest('base64')}'`);
        cached = { mtimeMs, sources: hashes.join(' ') || "'self'" };
      }
      return cached.sources;
    } catch {
      return "'self'"; // not built yet: nothing inline to allow
    }
  };
}

/**
 * A page of this origin (the console, the API's /docs): its own scripts, its own styles and the
 * inline ones whose hashes are given, talking to this origin only, never framed.
 */
function pageHeaders(styleHashes: string | (() => string)): FastifyHelmetOptions {
  return {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", styleHashes],
        // The console's favicon is `data:,`; swagger-ui draws some icons from data: URLs.
        imgSrc: ["'self'", 'data:'],
        // 'self' covers ws:/wss: to this host (CSP level 3).
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    crossOriginOpenerPolicy: { policy: 'same-origin' },
  };
}

/**
 * SHA-256 sources for the <style> elements swagger-ui renders (the top bar's logo is an SVG with
 * one), read from its bundle so that an upgrade brings its own hashes instead of 'unsafe-inline'.
 */
function swaggerUiStyleHashes(): string {
  try {
    const bundle = readFileSync(join(dirname(createRequire(import.meta.url).resolve('@fastify/swagger-ui')),
      'static', 'swagger-ui-standalone-preset.js'), 'utf8');
    const hashes = [...bundle.matchAll(/createElement\("style",null,"([^"\\]*)"\)/g)]
      .map((match) => `'sha256-${createHash('sha256').update(match[1]!).digest('base64')}'`);
    return hashes.join(' ') || "'self'";
  } catch {
    return "'self'"; // a bundle laid out differently: the logo loses its colours, nothing else
  }
}

function headersFor(url: string, pages: { console: FastifyHelmetOptions; docs: FastifyHelmetOptions }) {
  if (url === '/' || url === '/console' || url.startsWith('/console/')) return pages.console;
  // The API's interactive page (plugins/api-docs.ts) and its swagger-ui files.
  if (url === '/docs' || url.startsWith('/docs/')) return pages.docs;
  if (url === '/widget.js' || url === '/api/widget/session') return EMBED_HEADERS;
  return undefined;
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * What never reaches the logs, at any depth a log line is likely to carry it: bearer tokens and the
 * WebSocket subprotocol (which carries the browser's token), `token` and password fields of bodies,
 * secrets of the config. pino's redact, for the app's logger (app.ts).
 */
const SECRET_LOG_KEYS = ['authorization', 'cookie', '"set-cookie"', '"sec-websocket-protocol"', 'token', 'password',
  'currentPassword', 'newPassword', 'secret', 'identitySecret', 'userHash', 'adminPassword', 'smtpUrl'];
export const REDACTED_LOG_PATHS = SECRET_LOG_KEYS.flatMap((key) => {
  const step = key.startsWith('"') ? `[${key}]` : `.${key}`;
  return [key.startsWith('"') ? step : key, `*${step}`, `*.*${step}`, `*.*.*${step}`];
});

export const securityPlugin = fp(async (app, opts: { config: Config; distDir: string }) => {
  const { config, distDir } = opts;

  // The console's page is rebuilt while the server runs (hashes read per request); swagger-ui's
  // bundle only changes with an install.
  const pages = { console: pageHeaders(inlineStyleHashes(distDir)), docs: pageHeaders(swaggerUiStyleHashes()) };
  // Routes are told their kind as they are added; helmet reads `config.helmet` on each request.
  app.addHook('onRoute', (route: RouteOptions) => {
    const headers = headersFor(route.url, pages);
    if (headers) route.config = { ...route.config, helmet: headers } as RouteOptions['config'];
  });
  await app.register(helmet, API_HEADERS);

  // A cross-site <form> or a "simple" CORS request (text/plain, urlencoded, multipart) needs no
  // preflight; refusing every body but JSON keeps such requests away from every handler.
  app.addHook('onRequest', async (request) => {
    // Every path, not only /api/: no route outside it takes a body, and a prefix check is one
    // spelling away from being bypassed.
    if (!STATE_CHANGING.has(request.method)) return;
    const type = request.headers['content-type'];
    const hasBody = type !== undefined || Number(request.headers['content-length'] ?? 0) > 0 ||
      request.headers['transfer-encoding'] !== undefined;
    if (hasBody && type?.split(';')[0]!.trim().toLowerCase() !== 'application/json') {
      throw new AppError('UNSUPPORTED_MEDIA_TYPE');
    }
  });

  // Counts live in memory, or on Redis so that every node shares them. A Redis outage lets
  // requests through (skipOnError) rather than locking every agent and visitor out.
  const redis = config.redisUrl
    ? new Redis(config.redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 2000, enableOfflineQueue: false })
    : undefined;
  redis?.on('error', (error) => app.log.warn({ err: error }, 'rate limit store unavailable'));
  if (redis) app.addHook('onClose', async () => { await redis.quit().catch(() => redis.disconnect()); });
  await app.register(rateLimit, {
    global: false,
    skipOnError: true,
    ...(redis ? { redis, nameSpace: 'parley-rate-limit:' } : {}),
  });

  const limit = (name: string, max: number, keyOf: (request: FastifyRequest) => string): Limit => {
    // createRateLimit, not rateLimit: the latter runs once per request, and login has two limits.
    const check = app.createRateLimit({ max, timeWindow: config.rateLimitWindowMs, keyGenerator: (request) => `${name}:${keyOf(request)}` });
    return async (request) => {
      const result = await check(request);
      if (!result.isAllowed && result.isExceeded) throw new AppError('RATE_LIMITED', undefined, Math.max(result.ttl, 1000));
    };
  };
  // E-mail addresses are kept out of the store's keys.
  const digest = (value: string) => createHash('sha256').update(value).digest('base64url').slice(0, 22);
  app.decorate('limits', {
    login: [
      limit('login-address', config.loginRateLimitPerAddress, (request) => request.ip),
      limit('login-email', config.loginRateLimitPerEmail, (request) =>
        digest(String((request.body as { email?: unknown } | undefined)?.email ?? '').trim().toLowerCase())),
    ],
    widgetSession: limit('widget-session', config.sessionRateLimitPerAddress, (request) =>
      `${request.ip}:${(request.query as { site?: string }).site ?? (request.body as { siteKey?: string } | undefined)?.siteKey ?? ''}`),
    // Per agent rather than per token string, so that renewing the token does not reset the count.
    agentApi: limit('agent-api', config.apiRateLimitPerToken, (request) => request.caller?.tokenId ?? request.caller?.agentId ?? request.ip),
  });
}, { name: 'parley-security' });
