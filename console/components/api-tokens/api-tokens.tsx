// API tokens in the settings screen: the live ones (name, role, prefix, last use), revoking one,
// and creating one, whose secret is shown once, right after, to copy.
import { useState } from 'preact/hooks';
import type { AgentRole } from '../../../protocol/index.ts';
import { messageOf } from '../../lib/api.ts';
import { fullTime } from '../../lib/format.ts';
import type { ApiTokens as ApiTokensResource } from '../../lib/use-integrations.ts';
import { ConfirmButton } from '../confirm-button/confirm-button.tsx';
import { ShownOnce } from '../shown-once/shown-once.tsx';
import { ROLE_LABELS } from '../team-settings/team-settings.tsx';

export function ApiTokens({ tokens }: { tokens: ApiTokensResource }) {
  const [name, setName] = useState('');
  const [role, setRole] = useState<AgentRole>('agent');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);

  const create = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const token = await tokens.create(name.trim(), role);
      setCreated({ name: name.trim(), token });
      setName('');
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="settings-card" aria-labelledby="tokens-title" data-testid="api-tokens">
      <h3 id="tokens-title">API tokens</h3>
      <p class="muted">For scripts and bots calling the REST API. A token acts with the role it is given.</p>
      {tokens.value?.length === 0 && <p class="muted">No tokens.</p>}
      <ul class="settings-list">
        {tokens.value?.map((token) => (
          <li key={token.id} data-testid="api-token">
            <span class="member">
              <strong>{token.name}</strong>
              <code class="muted">{token.prefix}…</code>
              <span class="muted" title={token.lastUsedAt ? fullTime(token.lastUsedAt) : undefined}>
                {token.lastUsedAt ? `last used ${fullTime(token.lastUsedAt)}` : 'never used'}
              </span>
            </span>
            <span class="badge">{ROLE_LABELS[token.role]}</span>
            <ConfirmButton
              label="Revoke"
              busyLabel="Revoking…"
              testId="revoke-token"
              question={`Revoke "${token.name}"? Whatever uses it stops working at once.`}
              onConfirm={() => tokens.revoke(token.id)}
            />
          </li>
        ))}
      </ul>
      <form class="invite" onSubmit={create}>
        <h4>New token</h4>
        <div class="invite-fields">
          <label>
            Name
            <input data-testid="token-name" required maxLength={100} placeholder="CRM sync" value={name} onInput={(e) => setName(e.currentTarget.value)} />
          </label>
          <label>
            Role
            <select value={role} onChange={(e) => setRole(e.currentTarget.value as AgentRole)}>
              <option value="agent">Agent</option>
              <option value="admin">Admin</option>
              <option value="owner">Owner</option>
            </select>
          </label>
          <button type="submit" class="primary" data-testid="token-create" disabled={busy}>
            {busy ? 'Creating…' : 'Create token'}
          </button>
        </div>
        {error && <p class="form-error" role="alert">{error}</p>}
        {created && (
          <ShownOnce
            secret={created.token}
            note={`Copy the token for “${created.name}” now: it is not shown again.`}
            testId="token-created"
            secretTestId="token-secret"
          />
        )}
      </form>
    </section>
  );
}
