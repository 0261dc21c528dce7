// `ready` comes before every live frame. Frames published while a connection reads its snapshot are
// held and sent after it; from 6707aaa until the gateway moved to realtime/connection.ts, `ready`
// itself was queued behind them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerFrame } from '../../protocol/index.ts';
import {
  TestClient, createTenant, driver, loginAgent, startServer, useRedis, visitorSession,
  type Tenant, type TestServer,
} from '../helpers.ts';

const ORIGIN = 'http://shop.test';

describe(`ready comes first (${driver})`, () => {
  let server: TestServer;
  let tenant: Tenant;

  beforeAll(async () => {
    server = await startServer();
    tenant = await createTenant(server.database, [ORIGIN]);
  });
  afterAll(() => server.close());

  const types = (client: TestClient) => client.frames.map((frame: ServerFrame) => frame.type);

  it('sends a visitor ready before a live frame published while the snapshot was read', async () => {
    const { snapshots, events } = server.app.services;
    const forVisitor = snapshots.forVisitor;
    snapshots.forVisitor = async (session) => {
      const ready = await forVisitor.call(snapshots, session);
      events.emit('team.online', { accountId: tenant.accountId, online: true });
      // Through Redis the frame takes a round trip to come back; it must be held before ready leaves.
      if (useRedis) await new Promise((resolve) => setTimeout(resolve, 300));
      return ready;
    };
    try {
      const session = await visitorSession(server, tenant.site);
      const visitor = await TestClient.connect(server, { token: session.token, origin: ORIGIN });
      await expect.poll(() => types(visitor)).toEqual(['ready', 'team']);
      visitor.close();
    } finally {
      snapshots.forVisitor = forVisitor;
    }
  });

  it('sends an agent ready before the presence frame their own connection caused', async () => {
    const agent = await TestClient.connect(server, { token: await loginAgent(server, tenant.owner.email) });
    await expect.poll(() => types(agent)).toEqual(['ready', 'presence']);
    expect(agent.frames[1]).toEqual({ type: 'presence', agentId: tenant.owner.id, availability: 'online' });
    agent.close();
  });
});
