// #/settings, for owners and admins: the account's sites (embed, origins, widget, hours, identity,
// bot), its team, and its integrations (API tokens, webhooks).
// Agents never see the link; one who types the address is told, and the server refuses them anyway.
import type { AgentView } from '../../protocol/index.ts';
import type { Api } from '../lib/api.ts';
import { useSites } from '../lib/use-sites.ts';
import { useTeam } from '../lib/use-team.ts';
import { useApiTokens, useWebhooks } from '../lib/use-integrations.ts';
import { SiteSettings } from '../components/site-settings/site-settings.tsx';
import { TeamSettings } from '../components/team-settings/team-settings.tsx';
import { ApiTokens } from '../components/api-tokens/api-tokens.tsx';
import { Webhooks } from '../components/webhooks/webhooks.tsx';

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
  const tokens = useApiTokens(api);
  const webhooks = useWebhooks(api);
  return (
    <main class="settings" data-testid="settings">
      <h2>Settings</h2>
      <h3 class="settings-heading">Sites and team</h3>
      <LoadState error={sites.error} loading={!sites.value} onRetry={sites.reload} what="sites" />
      {sites.value?.map((site) => (
        <SiteSettings
          key={site.id}
          site={site}
          onUpdate={(change) => sites.update(site.id, change)}
          onRotateSecret={() => sites.rotateIdentitySecret(site.id)}
        />
      ))}
      <LoadState error={team.error} loading={!team.value} onRetry={team.reload} what="the team" />
      {team.value && <TeamSettings agents={team.value} me={me} onDeactivate={team.deactivate} onUpdate={team.update} onInvite={team.invite} />}
      <h3 class="settings-heading">Integrations</h3>
      <LoadState error={tokens.error} loading={!tokens.value} onRetry={tokens.reload} what="API tokens" />
      {tokens.value && <ApiTokens tokens={tokens} />}
      <LoadState error={webhooks.error} loading={!webhooks.value} onRetry={webhooks.reload} what="webhooks" />
      {webhooks.value && <Webhooks webhooks={webhooks} />}
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
