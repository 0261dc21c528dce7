// `npm start`: config → database (+ migrations) → first-start data → bundles → listen.
// Also serves the example shop on its own port so the widget can be tried cross-origin at once.
import { loadConfig, ConfigError } from './config.ts';
import { openDb } from '../db/index.ts';
import { buildApp } from './app.ts';
import { bootstrap, type BootstrapResult } from './services/bootstrap.ts';
import { ensureBundles } from '../scripts/build.ts';
import { buildExampleServer } from '../examples/serve.ts';

/** Longest a graceful shutdown may take; app.ts gives the sockets 10 s of it to drain. */
const SHUTDOWN_TIMEOUT_MS = 25_000;

async function main(): Promise<void> {
  const startedAt = performance.now();
  const config = loadConfig();
  const database = await openDb({ url: config.databaseUrl, dataDir: config.dataDir });
  const exampleUrl = config.examplePort === null ? null : `http://localhost:${config.examplePort}`;
  const exampleOrigins = config.examplePort === null ? [] :
    [`http://localhost:${config.examplePort}`, `http://127.0.0.1:${config.examplePort}`];
  const first = await bootstrap(database.db, {
    adminEmail: config.adminEmail, adminPassword: config.adminPassword, exampleOrigins,
  });
  await ensureBundles();

  const app = await buildApp(config, { db: database.db, ...(config.redisUrl ? { redis: { url: config.redisUrl } } : {}) });
  await app.listen({ host: config.host, port: config.port });
  const example = exampleUrl === null ? null : await buildExampleServer({ serverUrl: config.publicUrl, siteKey: first.siteKey });
  await example?.listen({ host: config.host, port: config.examplePort ?? 0 });

  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
  const lines = [
    '',
    `Parley is running (${database.driver === 'pglite' ? `embedded database in ${config.dataDir}` : 'PostgreSQL'}, ready in ${seconds}s)`,
    '',
    `  Console:       ${config.publicUrl}/console/`,
    `  Login:         ${first.adminEmail}`,
    first.generatedPassword
      ? `  Password:      ${first.generatedPassword}   (generated now and shown once; set ADMIN_PASSWORD to choose it)`
      : config.adminPassword ? '  Password:      from ADMIN_PASSWORD' : '  Password:      the one printed on first start (set ADMIN_PASSWORD to reset it)',
    ...(exampleUrl ? [`  Example shop:  ${exampleUrl}/   (a separate origin that embeds the widget)`] : []),
    `  REST API:      ${config.publicUrl}/docs   (the OpenAPI document: ${config.publicUrl}/openapi.json)`,
    '',
    '  Paste this into any page of an allowed origin:',
    `  <script src="${config.publicUrl}/widget.js" data-site="${first.siteKey}" async></script>`,
    '',
    ...allowOwnOriginHelp(config.publicUrl, first),
  ];
  console.log(lines.join('\n'));

  // SIGTERM is a restart's first step: stop accepting, finish the messages received, close the
  // sockets with GOING_AWAY (app.ts), then the database. An orchestrator kills a node that takes
  // too long (Kubernetes after 30 s); leaving before that ends it on our terms, with a log line.
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    setTimeout(() => {
      app.log.error({ afterMs: SHUTDOWN_TIMEOUT_MS }, 'shutdown did not finish in time; exiting');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS).unref();
    await example?.close();
    await app.close();
    await database.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

/**
 * The widget appears only on allowed origins: how to add one's own, as commands to paste. The
 * list replaces the old one, so the current origins are in it.
 */
function allowOwnOriginHelp(publicUrl: string, first: BootstrapResult): string[] {
  const password = first.generatedPassword ?? 'YOUR-PASSWORD';
  const origins = JSON.stringify([...first.allowedOrigins, 'https://www.example.com']);
  return [
    `  Allowed origins now: ${first.allowedOrigins.join(', ') || 'none'}. To add your own website's (replace the last one):`,
    `    TOKEN=$(curl -s ${publicUrl}/api/v1/auth/login -H 'content-type: application/json' \\`,
    `      -d '{"email":"${first.adminEmail}","password":"${password}"}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).token')`,
    `    curl -X PATCH ${publicUrl}/api/v1/sites/${first.siteId} -H "authorization: Bearer $TOKEN" \\`,
    `      -H 'content-type: application/json' -d '${origins.replace(/^/, '{"allowedOrigins":').replace(/$/, '}')}'`,
    '  More in README.md, "For site owners".',
    '',
  ];
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? `Configuration error: ${error.message}` : error);
  process.exit(1);
});
