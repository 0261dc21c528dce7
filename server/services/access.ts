// Who is calling the REST API, and what their role lets them do. An agent's console token and an
// API token both become a Caller; routes declare the least role they need (`config.minRole`) and the
// auth plugin refuses the rest with FORBIDDEN before any handler runs.
import type { AgentRole } from '../../protocol/index.ts';
import type { schema } from '../../db/index.ts';

export const ROLE_RANK: Record<AgentRole, number> = { agent: 1, admin: 2, owner: 3 };

export function atLeast(role: AgentRole, least: AgentRole): boolean {
  return ROLE_RANK[role] >= ROLE_RANK[least];
}

export interface Caller {
  accountId: string;
  role: AgentRole;
  /** The signed-in agent; null for an API token, which acts for the account, not for a person. */
  agentId: string | null;
  /** The API token's id; null for an agent's console token. */
  tokenId: string | null;
  /** The agent's name, or the token's: shown as the author of what an API token writes. */
  name: string;
}

export function agentCaller(agent: schema.Agent): Caller {
  return { accountId: agent.accountId, role: agent.role, agentId: agent.id, tokenId: null, name: agent.name };
}
