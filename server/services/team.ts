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
    const [[account], sites, availability] = await Promise.all([
      this.db.select().from(schema.accounts).where(eq(schema.accounts.id, agent.accountId)),
      this.db.select().from(schema.sites).where(eq(schema.sites.accountId, agent.accountId)),
      this.presence.availability(agent.id),
    ]);
    return {
      agent: toAgentView(agent, availability),
      account: { id: agent.accountId, name: account?.name ?? '' },
      sites: sites.map(toSiteView),
    };
  }

  async agents(accountId: string): Promise<AgentView[]> {
    const agents = await this.db.select().from(schema.agents).where(eq(schema.agents.accountId, accountId));
    const availabilities = await this.presence.availabilities(agents.map((agent) => agent.id));
    return agents.map((agent, i) => toAgentView(agent, availabilities[i] ?? 'offline'));
  }
}
