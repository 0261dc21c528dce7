// The team for the settings screen: active agents, deactivating one, inviting a new one. Actions
// reject with the server's reason, for the caller to show where the agent clicked.
import { useEffect, useState } from 'preact/hooks';
import type { AgentRole, AgentView } from '../../protocol/index.ts';
import { messageOf, type Api } from './api.ts';

export interface Invitation {
  email: string;
  name: string;
  role: AgentRole;
}

export interface Team {
  agents: AgentView[] | null;
  error: string | null;
  reload(): void;
  deactivate(agentId: string): Promise<void>;
  invite(invitation: Invitation): Promise<{ inviteUrl: string; emailed: boolean }>;
}

export function useTeam(api: Api): Team {
  const [agents, setAgents] = useState<AgentView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let current = true;
    setError(null);
    api.agents().then(
      (list) => current && setAgents(list.sort((a, b) => a.name.localeCompare(b.name))),
      (err: unknown) => current && setError(messageOf(err)),
    );
    return () => {
      current = false;
    };
  }, [attempt]);

  return {
    agents,
    error,
    reload: () => setAttempt((n) => n + 1),
    deactivate: async (agentId) => {
      await api.deactivate(agentId);
      setAgents((list) => list?.filter((a) => a.id !== agentId) ?? null);
    },
    invite: (invitation) => api.invite(invitation),
  };
}
