// The browser bundles: /widget.js for host pages and the console app under /console/.
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { join } from 'node:path';

const WIDGET_MAX_AGE_MS = 300_000;

export async function staticPlugin(app: FastifyInstance, opts: { distDir: string }) {
  await app.register(fastifyStatic, {
    root: join(opts.distDir, 'console'),
    prefix: '/console/',
    // The console is tiny and changes with each release; always revalidate.
    cacheControl: true,
    maxAge: 0,
  });
  // Host pages cache the embed for a few minutes; a release reaches every site quickly. The send
  // options carry it: a header set before sendFile is replaced by the plugin's own max-age.
  app.get('/widget.js', (_request, reply) => reply.sendFile('widget.js', opts.distDir, { maxAge: WIDGET_MAX_AGE_MS }));
  app.get('/console', (_request, reply) => reply.redirect('/console/'));
  app.get('/', (_request, reply) => reply.redirect('/console/'));
}
