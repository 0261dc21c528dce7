// Where an invitation link lands (#/accept?token=…): the invitee chooses a password, and is signed in.
// The token stays in the URL's fragment, which the browser never sends to a server.
import { useState } from 'preact/hooks';
import { ErrorCodes } from '../../protocol/index.ts';
import type { LoginResponse } from '../../protocol/index.ts';
import { ApiError, type Api } from '../lib/api.ts';

/** The server's rule for a new password (routes/schemas.ts NewPassword). */
const MIN_PASSWORD_LENGTH = 8;

/** The invitation token of a `#/accept?token=…` fragment, or null for any other. */
export function invitationTokenOf(hash: string): string | null {
  const match = /^#\/accept\?(.*)$/.exec(hash);
  return match ? new URLSearchParams(match[1]).get('token') || null : null;
}

interface AcceptInvitationProps {
  api: Api;
  token: string;
  onSignedIn(response: LoginResponse): void;
  /** To the sign-in screen, for someone who already has a password. */
  onSignIn(): void;
}

export function AcceptInvitation({ api, token, onSignedIn, onSignIn }: AcceptInvitationProps) {
  const [password, setPassword] = useState('');
  const [confirmation, setConfirmation] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    if (password.length < MIN_PASSWORD_LENGTH) return setError(`Choose at least ${MIN_PASSWORD_LENGTH} characters`);
    if (password !== confirmation) return setError('The two passwords differ');
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await api.acceptInvitation(token, password));
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError && err.code === ErrorCodes.INVITATION_EXPIRED) {
        setError('This invitation has expired or was already used. Ask for a new one.');
      } else if (err instanceof ApiError && err.code === ErrorCodes.CONFLICT) {
        setError('This e-mail address already has a login: sign in instead.');
      } else if (err instanceof ApiError && err.code === ErrorCodes.RATE_LIMITED) {
        setError('Too many attempts. Wait a moment and try again.');
      } else setError(err instanceof Error ? err.message : 'Could not accept the invitation');
    }
  };

  return (
    <main class="login">
      <form class="login-card" onSubmit={submit} aria-labelledby="accept-title">
        <h1 id="accept-title">Join your team on Parley</h1>
        <p class="muted">Choose a password to finish setting up your login.</p>
        {error && (
          <p class="form-error" role="alert" data-testid="accept-error">
            {error}
          </p>
        )}
        <label>
          Password
          <input
            data-testid="accept-password"
            type="password"
            name="new-password"
            autoComplete="new-password"
            minLength={MIN_PASSWORD_LENGTH}
            required
            autoFocus
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        <label>
          Repeat the password
          <input
            data-testid="accept-confirmation"
            type="password"
            name="confirm-password"
            autoComplete="new-password"
            required
            value={confirmation}
            onInput={(e) => setConfirmation(e.currentTarget.value)}
          />
        </label>
        <button data-testid="accept-submit" type="submit" class="primary" disabled={busy}>
          {busy ? 'Setting up…' : 'Set password and sign in'}
        </button>
        <button type="button" class="link" onClick={onSignIn}>
          I already have a login
        </button>
      </form>
    </main>
  );
}
