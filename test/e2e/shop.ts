// The example shop on its own origin (another port), allowed by the tenant's site: the setting of
// every browser test.
import type { AddressInfo } from 'node:net';
import { eq } from 'drizzle-orm';
import { schema, type Database } from '../../db/index.ts';
import { buildExampleServer } from '../../examples/serve.ts';
import type { Tenant } from '../helpers.ts';

export interface Shop {
  url: string;
  close(): Promise<void>;
}

export async function openShop(serverUrl: string, database: Database, tenant: Tenant): Promise<Shop> {
  const example = await buildExampleServer({ serverUrl, siteKey: tenant.site.publicKey });
  await example.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(example.server.address() as AddressInfo).port}`;
  await database.db.update(schema.sites).set({ allowedOrigins: [url] }).where(eq(schema.sites.id, tenant.site.id));
  return { url, close: () => example.close() };
}
