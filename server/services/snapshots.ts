// What a client is shown when it connects: the `ready` frame. A visitor gets their latest conversation
// with its recent messages, whether the team is online, and the widget's settings; an agent gets
// themselves and their colleagues with each one's availability. The caller subscribes to live frames
// first, so that anything that happens while this is read arrives afterwards instead of being lost.
import type { Db } from '../../db/index.ts';
import type { AgentReady, VisitorReady } from '../../protocol/index.ts';
import type { Presence } from './presence.ts';
import type { Conversations } from './conversations.ts';
import { latestConversationOf } from './conversations.ts';
import type { Messages } from './messages.ts';
import type { Team } from './team.ts';
import type { AgentSession, VisitorSession } from './identity.ts';
import { conversationView, latestMessages, toAgentView } from './views.ts';

const HISTORY_ON_READY = 50;

export class Snapshots {
  constructor(
    private readonly db: Db,
    private readonly presence: Presence,
    private readonly conversations: Conversations,
    private readonly messages: Messages,
    private readonly team: Team,
  ) {}

  async forVisitor({ visitor, site }: VisitorSession): Promise<VisitorReady> {
    const latest = await latestConversationOf(this.db, visitor.id);
    if (latest) {
      // Found now, needed again soon: the visitor's first message, typing and sync then need no lookup.
      this.messages.rememberConversation(visitor.id, latest.id);
      this.conversations.remember({ id: latest.id, siteId: latest.siteId, visitorId: visitor.id, accountId: site.accountId });
    }
    const [conversation, messages, online] = await Promise.all([
      latest ? conversationView(this.db, latest.id) : null,
      latest ? latestMessages(this.db, latest.id, HISTORY_ON_READY) : [],
      this.presence.teamOnline(site.accountId),
    ]);
    return {
      type: 'ready',
      role: 'visitor',
      visitorId: visitor.id,
      conversation,
      messages,
      team: { online },
      settings: site.widgetSettings,
    };
  }

  async forAgent({ agent }: AgentSession): Promise<AgentReady> {
    const principal = { agentId: agent.id, accountId: agent.accountId };
    const [colleagues, availability] = await Promise.all([
      this.team.agents(agent.accountId),
      this.presence.availability(agent.id),
      this.conversations.rememberAssigned(principal),
    ]);
    return { type: 'ready', role: 'agent', agent: toAgentView(agent, availability), agents: colleagues };
  }
}
