// The account as an agent sees it: who they are, their account and sites, and their colleagues
// with each one's availability.
import { eq } from 'drizzle-orm';
import { schema, type Db } from '../../db/index.ts';
import type { AgentView, MeResponse } from '../../protocol/index.ts';
import type { Presence } from './presence.ts';
import { toAgentView, toSiteView } from './views.ts';

export class Team {
  constructor(private readonly db: Db, private readonly presence: Presence) {}

  async me(agent: schema.Agent): Promise<MeResponse> {
    const [[account], sites] = await Promise.all([
      this.db.select().from(schema.accounts).where(eq(schema.accounts.id, agent.accountId)),
      this.db.select().from(schema.sites).where(eq(schema.sites.accountId, agent.accountId)),
    ]);
    return {
      agent: toAgentView(agent, this.presence.availability(agent.id)),
      account: { id: agent.accountId, name: account?.name ?? '' },
      sites: sites.map(toSiteView),
    };
  }

  async agents(accountId: string): Promise<AgentView[]> {
    const agents = await this.db.select().from(schema.agents).where(eq(schema.agents.accountId, accountId));
    return agents.map((agent) => toAgentView(agent, this.presence.availability(agent.id)));
  }
}
