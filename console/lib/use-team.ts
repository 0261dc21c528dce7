// The team for the settings screen: active agents, changing one's role or capacity, deactivating
// one, inviting a new one. Actions
// reject with the server's reason, for the caller to show where the agent clicked.
import type { AgentRole, AgentView } from '../../protocol/index.ts';
import type { Api } from './api.ts';
import { useResource, type Resource } from './use-resource.ts';

export interface Invitation {
  email: string;
  name: string;
  role: AgentRole;
}

export interface Team extends Resource<AgentView[]> {
  deactivate(agentId: string): Promise<void>;
  update(agentId: string, change: { role?: AgentRole; capacity?: number | null }): Promise<void>;
  invite(invitation: Invitation): Promise<{ inviteUrl: string; emailed: boolean }>;
}

export function useTeam(api: Api): Team {
  const team = useResource(async () => (await api.agents()).sort((a, b) => a.name.localeCompare(b.name)));
  return {
    ...team,
    deactivate: async (agentId) => {
      await api.deactivate(agentId);
      team.change((agents) => agents.filter((a) => a.id !== agentId));
    },
    update: async (agentId, change) => {
      const updated = await api.updateAgent(agentId, change);
      team.change((agents) => agents.map((a) => (a.id === agentId ? { ...a, ...updated, availability: a.availability } : a)));
    },
    invite: (invitation) => api.invite(invitation),
  };
}
