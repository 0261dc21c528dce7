// #/settings, for owners and admins: the account's sites (embed, origins, widget) and its team.
// Agents never see the link; one who types the address is told, and the server refuses them anyway.
import type { AgentView } from '../../protocol/index.ts';
import type { Api } from '../lib/api.ts';
import { useSites } from '../lib/use-sites.ts';
import { useTeam } from '../lib/use-team.ts';
import { SiteSettings } from '../components/site-settings/site-settings.tsx';
import { TeamSettings } from '../components/team-settings/team-settings.tsx';

export const SETTINGS_HASH = '#/settings';

export function canManage(agent: AgentView): boolean {
  return agent.role === 'owner' || agent.role === 'admin';
}

export function Settings({ api, me }: { api: Api; me: AgentView }) {
  if (!canManage(me)) {
    return (
      <main class="settings">
        <p class="empty-state">Only owners and admins can change settings.</p>
      </main>
    );
  }
  return <ManageSettings api={api} me={me} />;
}

function ManageSettings({ api, me }: { api: Api; me: AgentView }) {
  const sites = useSites(api);
  const team = useTeam(api);
  return (
    <main class="settings" data-testid="settings">
      <h2>Settings</h2>
      <h3 class="settings-heading">Sites</h3>
      <LoadState error={sites.error} loading={!sites.sites} onRetry={sites.reload} what="sites" />
      {sites.sites?.map((site) => (
        <SiteSettings key={site.id} site={site} onUpdate={(change) => sites.update(site.id, change)} />
      ))}
      <LoadState error={team.error} loading={!team.agents} onRetry={team.reload} what="the team" />
      {team.agents && <TeamSettings agents={team.agents} me={me} onDeactivate={team.deactivate} onInvite={team.invite} />}
    </main>
  );
}

function LoadState({ error, loading, onRetry, what }: { error: string | null; loading: boolean; onRetry(): void; what: string }) {
  if (error) {
    return (
      <p class="form-error" role="alert">
        Could not load {what}: {error}{' '}
        <button type="button" class="link" onClick={onRetry}>Try again</button>
      </p>
    );
  }
  return loading ? <p class="muted" role="status">Loading {what}…</p> : null;
}
