// `--webhooks`: every bench account gets a webhook for message.created pointing here, so the run
// measures Parley with webhooks recorded and delivered for every message. The sink answers 204 at
// once and counts what arrives; the orchestrator reports the count beside the messages sent.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BenchDatabase } from '../parley-fixtures.ts';

export interface WebhookSink {
  url: string;
  received(): number;
  close(): Promise<void>;
}

export async function startWebhookSink(): Promise<WebhookSink> {
  let count = 0;
  const server: Server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      count += 1;
      response.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/parley`,
    received: () => count,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** One message.created webhook per account of the bench database. */
export async function registerWebhooks(database: BenchDatabase, url: string): Promise<number> {
  const client = (database.db as unknown as { $client: { unsafe(text: string, params: unknown[]): Promise<unknown[]> } }).$client;
  const rows = await client.unsafe(
    `insert into webhooks (account_id, url, events, secret)
     select id, $1, '{message.created}', 'whsec_bench' from accounts returning id`, [url]);
  return rows.length;
}
