// /widget.js was served with `max-age=0`: @fastify/static's own cache-control replaced the 300 s
// the route asked for, so every page view of every host site revalidated the embed.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers.ts';

let server: TestServer;
beforeAll(async () => { server = await startServer(); });
afterAll(async () => { await server.close(); });

it('lets host pages cache /widget.js for five minutes', async () => {
  const response = await fetch(`${server.url}/widget.js`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/javascript/);
  expect(response.headers.get('cache-control')).toBe('public, max-age=300');
});

it('has the console revalidate on every load', async () => {
  const response = await fetch(`${server.url}/console/`);
  expect(response.status).toBe(200);
  expect(response.headers.get('cache-control')).toBe('public, max-age=0');
});
