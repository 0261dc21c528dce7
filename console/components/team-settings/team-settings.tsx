// The team in the settings screen: who is in it with their role, deactivating someone (asked
// twice, since their consoles stop at once), and inviting someone new: the answer's link is shown
// to copy, whether or not the server also e-mailed it.
import { useState } from 'preact/hooks';
import type { AgentRole, AgentView } from '../../../protocol/index.ts';
import { messageOf } from '../../lib/api.ts';
import type { Invitation } from '../../lib/use-team.ts';
import { ConfirmButton } from '../confirm-button/confirm-button.tsx';
import { CopyButton } from '../copy-button/copy-button.tsx';

interface TeamSettingsProps {
  agents: readonly AgentView[];
  me: AgentView;
  onDeactivate(agentId: string): Promise<void>;
  onUpdate(agentId: string, change: { role?: AgentRole; capacity?: number | null }): Promise<void>;
  onInvite(invitation: Invitation): Promise<{ inviteUrl: string; emailed: boolean }>;
}

export const ROLE_LABELS: Record<AgentRole, string> = { owner: 'Owner', admin: 'Admin', agent: 'Agent' };

export function TeamSettings({ agents, me, onDeactivate, onUpdate, onInvite }: TeamSettingsProps) {
  return (
    <section class="settings-card" aria-labelledby="team-title">
      <h3 id="team-title">Team</h3>
      <ul class="settings-list" data-testid="team">
        {agents.map((agent) => (
          <TeamMember key={agent.id} agent={agent} me={me} onDeactivate={onDeactivate} onUpdate={onUpdate} />
        ))}
      </ul>
      <InviteForm me={me} onInvite={onInvite} />
    </section>
  );
}

function TeamMember({ agent, me, onDeactivate, onUpdate }: {
  agent: AgentView; me: AgentView; onDeactivate(id: string): Promise<void>; onUpdate: TeamSettingsProps['onUpdate'];
}) {
  // Only an owner may touch an owner; nobody deactivates themselves from here.
  const canManage = agent.role !== 'owner' || me.role === 'owner';
  const canDeactivate = agent.id !== me.id && canManage;
  const [error, setError] = useState<string | null>(null);
  const [capacity, setCapacity] = useState(agent.capacity == null ? '' : String(agent.capacity));
  const save = async (change: { role?: AgentRole; capacity?: number | null }) => {
    setError(null);
    try {
      await onUpdate(agent.id, change);
    } catch (err) {
      setError(messageOf(err));
      setCapacity(agent.capacity == null ? '' : String(agent.capacity));
    }
  };
  const saveCapacity = () => {
    const wanted = capacity.trim() === '' ? null : Number(capacity);
    if (wanted === (agent.capacity ?? null)) return;
    if (wanted !== null && (!Number.isInteger(wanted) || wanted < 0)) {
      setError('Capacity is a whole number of conversations, or empty for no limit');
      return;
    }
    void save({ capacity: wanted });
  };
  return (
    <li data-testid="team-member" data-agent-id={agent.id}>
      <span class="member">
        <span class={`dot ${agent.availability}`} title={agent.availability} aria-hidden="true" />
        <strong>{agent.name}</strong>
        {agent.id === me.id && <span class="muted"> (you)</span>}
        <span class="muted member-email">{agent.email}</span>
      </span>
      {canManage ? (
        <select aria-label={`Role of ${agent.name}`} data-testid="member-role" value={agent.role}
          onChange={(e) => void save({ role: e.currentTarget.value as AgentRole })}>
          <option value="agent">Agent</option>
          <option value="admin">Admin</option>
          {me.role === 'owner' && <option value="owner">Owner</option>}
        </select>
      ) : <span class="badge">{ROLE_LABELS[agent.role]}</span>}
      <label class="member-capacity" title="Most unresolved conversations routing gives them; empty for no limit">
        <span class="muted">Capacity</span>
        <input data-testid="member-capacity" inputMode="numeric" size={4} placeholder="∞" value={capacity} disabled={!canManage}
          onInput={(e) => setCapacity(e.currentTarget.value)} onBlur={saveCapacity}
          onKeyDown={(e) => { if (e.key === 'Enter') saveCapacity(); }} />
      </label>
      {canDeactivate && (
        <ConfirmButton
          label="Deactivate"
          busyLabel="Deactivating…"
          testId="deactivate"
          question={`Deactivate ${agent.name}? Their consoles close and their conversations return to the queue.`}
          onConfirm={() => onDeactivate(agent.id)}
        />
      )}
      {error && <p class="form-error" role="alert" data-testid="member-error">{error}</p>}
    </li>
  );
}

function InviteForm({ me, onInvite }: { me: AgentView; onInvite: TeamSettingsProps['onInvite'] }) {
  const [form, setForm] = useState<Invitation>({ email: '', name: '', role: 'agent' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [sent, setSent] = useState<{ email: string; inviteUrl: string; emailed: boolean } | null>(null);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const invitation = { ...form, email: form.email.trim(), name: form.name.trim() };
      const answer = await onInvite(invitation);
      setSent({ email: invitation.email, ...answer });
      setForm({ email: '', name: '', role: 'agent' });
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="invite" onSubmit={submit} data-testid="invite-form">
      <h4>Invite a teammate</h4>
      <div class="invite-fields">
        <label>
          Name
          <input data-testid="invite-name" required maxLength={100} value={form.name} onInput={(e) => setForm({ ...form, name: e.currentTarget.value })} />
        </label>
        <label>
          E-mail
          <input data-testid="invite-email" type="email" required maxLength={254} value={form.email} onInput={(e) => setForm({ ...form, email: e.currentTarget.value })} />
        </label>
        <label>
          Role
          <select data-testid="invite-role" value={form.role} onChange={(e) => setForm({ ...form, role: e.currentTarget.value as AgentRole })}>
            <option value="agent">Agent</option>
            <option value="admin">Admin</option>
            {me.role === 'owner' && <option value="owner">Owner</option>}
          </select>
        </label>
        <button type="submit" class="primary" data-testid="invite-submit" disabled={busy}>
          {busy ? 'Inviting…' : 'Invite'}
        </button>
      </div>
      {error && <p class="form-error" role="alert" data-testid="invite-error">{error}</p>}
      {sent && (
        <div class="invite-sent" role="status" data-testid="invite-sent">
          <p>
            {sent.emailed ? `Invitation e-mailed to ${sent.email}. ` : `No e-mail was sent: pass this link on to ${sent.email}. `}
            It works once.
          </p>
          <div class="copy-row">
            <code class="snippet" data-testid="invite-url">{sent.inviteUrl}</code>
            <CopyButton text={sent.inviteUrl} />
          </div>
        </div>
      )}
    </form>
  );
}
