// Serves examples/shop/ on its own port: a different origin from the Parley server, exactly as a
// customer's site would be. The page gets the server URL and site key filled in.
import Fastify, { type FastifyInstance } from 'fastify';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { userHash } from './identity.ts';

const shopPage = fileURLToPath(new URL('./shop/index.html', import.meta.url));

/** A signed-in customer of the shop, and the site's identity secret to sign their id with. */
export interface ShopUser { id: string; name?: string; email?: string; identitySecret: string }

const escapeAttribute = (value: string) => value.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;');

/** The data-user-* attributes of the script tag, signed here, on the server, where the secret stays. */
function userAttributes(user: ShopUser | undefined): string {
  if (!user) return '';
  const attributes = { id: user.id, hash: userHash(user.identitySecret, user.id), name: user.name, email: user.email };
  return Object.entries(attributes)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => ` data-user-${name}="${escapeAttribute(value)}"`).join('');
}

export async function buildExampleServer(options: { serverUrl: string; siteKey: string; user?: ShopUser }): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  app.get('/', async (_request, reply) => {
    const html = (await readFile(shopPage, 'utf8'))
      .replaceAll('{{PARLEY_URL}}', options.serverUrl)
      .replaceAll('{{SITE_KEY}}', options.siteKey)
      .replaceAll('{{USER_ATTRIBUTES}}', userAttributes(options.user));
    reply.type('text/html; charset=utf-8');
    return html;
  });
  return app;
}
