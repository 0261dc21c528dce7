// Endpoints for whoever runs Parley rather than uses it: /readyz for load balancers and
// orchestrators, /metrics for Prometheus. /healthz (app.ts) stays the bare liveness answer: a node
// whose database is down is alive (restarting it would not help) but not ready.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';
import { bearerToken } from './auth.ts';
import type { Metrics } from '../services/metrics.ts';
import { checkReadiness, type Probe } from '../services/readiness.ts';

export interface OperationsOptions {
  metrics: Metrics;
  /** Each dependency to probe; null when this configuration does not use it (no REDIS_URL). */
  probes: Record<string, Probe | null>;
  /** Required as a bearer token by /metrics when set. */
  metricsToken: string | undefined;
}

// Digests have one length whatever was sent, so the comparison takes the same time and does not
// tell the token's length either.
const digest = (value: string) => createHash('sha256').update(value).digest();

export async function operationsRoutes(app: FastifyInstance, opts: OperationsOptions) {
  const { metrics, probes, metricsToken } = opts;
  const expected = metricsToken === undefined ? undefined : digest(metricsToken);

  app.get('/readyz', async (request, reply) => {
    const readiness = await checkReadiness(probes, (check, error) => request.log.warn({ err: error, check }, 'readiness check failed'));
    reply.header('cache-control', 'no-store');
    reply.status(readiness.ok ? 200 : 503);
    return readiness;
  });

  const requireMetricsToken = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!expected) return;
    const token = bearerToken(request);
    if (!timingSafeEqual(digest(token ?? ''), expected)) {
      reply.header('www-authenticate', 'Bearer realm="metrics"');
      throw token ? new AppError('AUTH_INVALID') : new AppError('AUTH_REQUIRED', 'Missing bearer token');
    }
  };

  app.get('/metrics', { onRequest: requireMetricsToken }, async (_request, reply) => {
    reply.header('content-type', metrics.contentType);
    reply.header('cache-control', 'no-store');
    return metrics.text();
  });
}
