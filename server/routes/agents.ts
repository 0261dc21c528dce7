import type { FastifyInstance } from 'fastify';
import { eq } from 'drizzle-orm';
import { schema } from '../../db/index.ts';
import type { Services } from '../services/index.ts';
import { principal } from '../plugins/auth.ts';
import { toAgentView, toSiteView } from '../services/views.ts';

export async function agentRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const { db, presence } = services;
  app.addHook('onRequest', app.requireAgent);

  app.get('/api/me', async (request) => {
    const { agentId, accountId } = principal(request);
    const [[account], sites] = await Promise.all([
      db.select().from(schema.accounts).where(eq(schema.accounts.id, accountId)),
      db.select().from(schema.sites).where(eq(schema.sites.accountId, accountId)),
    ]);
    return {
      agent: toAgentView(request.agent!, presence.availability(agentId)),
      account: { id: accountId, name: account?.name ?? '' },
      sites: sites.map(toSiteView),
    };
  });

  app.get('/api/agents', async (request) => {
    const { accountId } = principal(request);
    const agents = await db.select().from(schema.agents).where(eq(schema.agents.accountId, accountId));
    return { agents: agents.map((agent) => toAgentView(agent, presence.availability(agent.id))) };
  });
}
