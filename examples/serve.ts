// Serves examples/shop/ on its own port: a different origin from the Parley server, exactly as a
// customer's site would be. The page gets the server URL and site key filled in.
import Fastify, { type FastifyInstance } from 'fastify';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const shopPage = fileURLToPath(new URL('./shop/index.html', import.meta.url));

export async function buildExampleServer(options: { serverUrl: string; siteKey: string }): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  app.get('/', async (_request, reply) => {
    const html = (await readFile(shopPage, 'utf8'))
      .replaceAll('{{PARLEY_URL}}', options.serverUrl)
      .replaceAll('{{SITE_KEY}}', options.siteKey);
    reply.type('text/html; charset=utf-8');
    return html;
  });
  return app;
}
