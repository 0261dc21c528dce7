// Who may chat on a site, and who answers first: signed identities (with the secret that signs
// them, shown once when made) and the bot-first switch. Each switch saves as it is flipped.
import { useState } from 'preact/hooks';
import { messageOf } from '../../lib/api.ts';
import { ConfirmButton } from '../confirm-button/confirm-button.tsx';
import { ShownOnce } from '../shown-once/shown-once.tsx';
import type { SiteSettingsProps } from './site-settings.tsx';

interface IdentityProps extends SiteSettingsProps {
  /** Resolves to the new secret, which nothing else keeps. */
  onRotateSecret(): Promise<string>;
}

export function IdentitySettings({ site, onUpdate, onRotateSecret }: IdentityProps) {
  // Only in this component's memory: leaving or reloading the page loses it, as the note says.
  const [secret, setSecret] = useState<string | null>(null);
  const [createError, setCreateError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);

  const rotate = async () => setSecret(await onRotateSecret());
  const create = async () => {
    setCreating(true);
    setCreateError(null);
    try {
      await rotate();
    } catch (err) {
      setCreateError(messageOf(err));
    } finally {
      setCreating(false);
    }
  };

  return (
    <div data-testid="identity">
      <h4>Identity verification</h4>
      <p class="muted">
        Your backend signs each signed-in customer's id, <code>hex(HMAC-SHA256(secret, userId))</code>, and the page passes it
        as <code>data-user-id</code> and <code>data-user-hash</code>. See “Identity verification” in the README and
        examples/identity.ts.
      </p>
      <SettingSwitch
        label="Require signed identity"
        hint={site.hasIdentitySecret
          ? 'The widget stays hidden for visitors without a valid signature.'
          : 'Create a secret first: without one no visitor could be verified.'}
        checked={site.requireIdentity}
        // Turning it off stays possible even without a secret (sites made before secrets existed).
        disabled={!site.hasIdentitySecret && !site.requireIdentity}
        testId="require-identity"
        onSave={(requireIdentity) => onUpdate({ requireIdentity })}
      />
      <div class="secret-row">
        {site.hasIdentitySecret ? (
          <>
            <span class="muted" data-testid="secret-state">A secret is set.</span>
            <ConfirmButton
              label="Rotate secret"
              busyLabel="Rotating…"
              testId="rotate-secret"
              question="Rotate the secret? Hashes signed with the current one stop verifying at once."
              onConfirm={rotate}
            />
          </>
        ) : (
          <>
            <span class="muted" data-testid="secret-state">No secret yet.</span>
            <button type="button" data-testid="create-secret" disabled={creating} onClick={() => void create()}>
              {creating ? 'Creating…' : 'Create secret'}
            </button>
          </>
        )}
      </div>
      {createError && <p class="form-error" role="alert">{createError}</p>}
      {secret && (
        <ShownOnce
          secret={secret}
          note="Copy the identity secret now and keep it on your server: it is not shown again."
          testId="secret-created"
          secretTestId="identity-secret"
        />
      )}
    </div>
  );
}

export function BotFirstSetting({ site, onUpdate }: SiteSettingsProps) {
  return (
    <div data-testid="bot-first">
      <h4>Bot</h4>
      <SettingSwitch
        label="Bot first"
        hint="New conversations go to your bot by webhook; it hands them to the team with POST /api/v1/conversations/:id/handoff."
        checked={site.botFirst}
        testId="bot-first-toggle"
        onSave={(botFirst) => onUpdate({ botFirst })}
      />
    </div>
  );
}

interface SettingSwitchProps {
  label: string;
  hint: string;
  checked: boolean;
  disabled?: boolean;
  testId: string;
  onSave(checked: boolean): Promise<unknown>;
}

/** A checkbox that saves when flipped; while saving it shows the new value, after a refusal the stored one. */
function SettingSwitch({ label, hint, checked, disabled = false, testId, onSave }: SettingSwitchProps) {
  const [pending, setPending] = useState<boolean | null>(null);
  const [error, setError] = useState<string | null>(null);

  const flip = async (next: boolean) => {
    setPending(next);
    setError(null);
    try {
      await onSave(next);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setPending(null);
    }
  };

  return (
    <div class="setting-switch">
      <label class="check">
        <input
          type="checkbox"
          data-testid={testId}
          checked={pending ?? checked}
          disabled={disabled || pending !== null}
          onChange={(e) => void flip(e.currentTarget.checked)}
        />
        {label}
      </label>
      <p class="muted">{hint}</p>
      {error && <p class="form-error" role="alert" data-testid={`${testId}-error`}>{error}</p>}
    </div>
  );
}
