// The browser bundles: /widget.js for host pages and the console app under /console/.
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { join } from 'node:path';

export async function staticPlugin(app: FastifyInstance, opts: { distDir: string }) {
  await app.register(fastifyStatic, {
    root: join(opts.distDir, 'console'),
    prefix: '/console/',
    // The console is tiny and changes with each release; always revalidate.
    cacheControl: true,
    maxAge: 0,
  });
  app.get('/widget.js', (_request, reply) => {
    // Host pages cache the embed for a few minutes; a release reaches every site quickly.
    reply.header('cache-control', 'public, max-age=300');
    return reply.sendFile('widget.js', opts.distDir);
  });
  app.get('/console', (_request, reply) => reply.redirect('/console/'));
  app.get('/', (_request, reply) => reply.redirect('/console/'));
}
