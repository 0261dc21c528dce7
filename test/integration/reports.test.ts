// The summary report, checked against conversations with known times: counts, and medians and 90th
// percentiles (interpolated like PostgreSQL's percentile_cont) of first response and resolution,
// overall, per assignee and per site, within the range and the account only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { schema } from '../../db/index.ts';
import { newSiteKey, DEFAULT_WIDGET_SETTINGS } from '../../server/services/bootstrap.ts';
import type { Summary } from '../../server/services/reports.ts';
import { addAgent, createTenant, driver, get, loginAgent, startServer, type Tenant, type TestServer } from '../helpers.ts';

const ORIGIN = 'http://shop.test';
const at = (iso: string, plusSeconds = 0) => new Date(Date.parse(iso) + plusSeconds * 1000);

describe(`summary report (${driver})`, () => {
  let server: TestServer;
  let tenant: Tenant;
  let adminToken: string;
  let secondSite: schema.Site;
  let alice: schema.Agent;
  let bob: schema.Agent;

  beforeAll(async () => {
    server = await startServer();
    const { db } = server.database;
    tenant = await createTenant(server.database, [ORIGIN], 'reports');
    const other = await createTenant(server.database, [ORIGIN], 'reports-other');
    [secondSite] = await db.insert(schema.sites).values({
      accountId: tenant.accountId, publicKey: newSiteKey(), name: 'Site reports B', allowedOrigins: [ORIGIN], widgetSettings: DEFAULT_WIDGET_SETTINGS,
    }).returning() as [schema.Site];
    alice = await addAgent(server.database, tenant.accountId, 'alice-reports@example.com', 'admin');
    bob = await addAgent(server.database, tenant.accountId, 'bob-reports@example.com');
    adminToken = await loginAgent(server, alice.email);

    /** One conversation: created at `created`, first reply and resolution that many seconds later (null: none). */
    const conversation = async (siteId: string, assigneeId: string | null, created: string, reply: number | null, resolve: number | null) => {
      const [visitor] = await db.insert(schema.visitors).values({ siteId }).returning();
      await db.insert(schema.conversations).values({
        siteId, visitorId: visitor!.id, assigneeId,
        status: resolve === null ? 'open' : 'resolved',
        createdAt: at(created),
        firstReplyAt: reply === null ? null : at(created, reply),
        resolvedAt: resolve === null ? null : at(created, resolve),
      });
    };
    await conversation(tenant.site.id, alice.id, '2026-11-02T09:00:00Z', 10, 100);
    await conversation(tenant.site.id, alice.id, '2026-11-03T09:00:00Z', 20, 200);
    await conversation(tenant.site.id, alice.id, '2026-11-04T09:00:00Z', 30, null);
    await conversation(secondSite.id, bob.id, '2026-11-05T09:00:00Z', 40, 400);
    await conversation(tenant.site.id, null, '2026-11-06T09:00:00Z', null, null);
    // Outside the range (before since; at until, which is exclusive), and another account's.
    await conversation(tenant.site.id, alice.id, '2026-10-31T23:59:59Z', 1, 1);
    await conversation(tenant.site.id, alice.id, '2026-11-08T00:00:00Z', 1, 1);
    await conversation(other.site.id, null, '2026-11-02T09:00:00Z', 5, 5);
  });
  afterAll(async () => { await server.close(); });

  const summary = (query: string) => get<Summary & { code?: string }>(
    `${server.url}/api/v1/reports/summary?since=2026-11-01T00:00:00Z&until=2026-11-08T00:00:00Z${query}`, adminToken);

  it('counts and times the range\'s conversations overall, per assignee and per site', async () => {
    const { status, body } = await summary('');
    expect(status).toBe(200);
    expect(body.since).toBe('2026-11-01T00:00:00.000Z');
    expect(body.until).toBe('2026-11-08T00:00:00.000Z');
    // First replies 10, 20, 30, 40 s: median 25, p90 at 0.9 × 3 = 2.7 → 30 + 0.7 × 10 = 37.
    // Resolutions 100, 200, 400 s: median 200, p90 at 0.9 × 2 = 1.8 → 200 + 0.8 × 200 = 360.
    expect(body.overall).toEqual({
      conversations: 5, resolved: 3,
      firstResponseSeconds: { median: 25, p90: 37 },
      resolutionSeconds: { median: 200, p90: 360 },
    });
    expect(body.byAgent).toEqual([
      { agentId: alice.id, agentName: 'alice-reports', conversations: 3, resolved: 2,
        firstResponseSeconds: { median: 20, p90: 28 }, resolutionSeconds: { median: 150, p90: 190 } },
      { agentId: bob.id, agentName: 'bob-reports', conversations: 1, resolved: 1,
        firstResponseSeconds: { median: 40, p90: 40 }, resolutionSeconds: { median: 400, p90: 400 } },
      { agentId: null, agentName: null, conversations: 1, resolved: 0,
        firstResponseSeconds: { median: null, p90: null }, resolutionSeconds: { median: null, p90: null } },
    ]);
    expect(body.bySite).toEqual([
      { siteId: tenant.site.id, siteName: 'Site reports', conversations: 4, resolved: 2,
        firstResponseSeconds: { median: 20, p90: 28 }, resolutionSeconds: { median: 150, p90: 190 } },
      { siteId: secondSite.id, siteName: 'Site reports B', conversations: 1, resolved: 1,
        firstResponseSeconds: { median: 40, p90: 40 }, resolutionSeconds: { median: 400, p90: 400 } },
    ]);
  });

  it('narrows to one site or one agent', async () => {
    const bySite = await summary(`&siteId=${secondSite.id}`);
    expect(bySite.body.overall).toMatchObject({ conversations: 1, firstResponseSeconds: { median: 40, p90: 40 } });
    expect(bySite.body.bySite.map((site) => site.siteId)).toEqual([secondSite.id]);
    const byAgent = await summary(`&agentId=${alice.id}`);
    expect(byAgent.body.overall).toEqual({
      conversations: 3, resolved: 2, firstResponseSeconds: { median: 20, p90: 28 }, resolutionSeconds: { median: 150, p90: 190 },
    });
    expect(byAgent.body.byAgent.map((agent) => agent.agentId)).toEqual([alice.id]);
  });

  it('finds nothing for another account\'s site or an empty range, without failing', async () => {
    const empty = { conversations: 0, resolved: 0, firstResponseSeconds: { median: null, p90: null }, resolutionSeconds: { median: null, p90: null } };
    expect((await summary(`&siteId=${randomUUID()}`)).body).toMatchObject({ overall: empty, byAgent: [], bySite: [] });
    const old = await get<Summary>(`${server.url}/api/v1/reports/summary?since=2020-01-01T00:00:00Z&until=2020-02-01T00:00:00Z`, adminToken);
    expect(old.body.overall).toEqual(empty);
  });

  it('refuses bad times, a reversed range and ids that are not uuids', async () => {
    for (const query of ['since=last week', 'since=2026-11-02T00:00:00Z&until=2026-11-01T00:00:00Z', 'siteId=site-1', 'agentId=42']) {
      const answer = await get<{ code: string }>(`${server.url}/api/v1/reports/summary?${query}`, adminToken);
      expect({ query, status: answer.status, code: answer.body.code }).toEqual({ query, status: 400, code: 'VALIDATION_FAILED' });
    }
  });
});
