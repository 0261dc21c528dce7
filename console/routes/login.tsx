// The login screen. Wrong credentials get one message that never says which field was wrong,
// matching the server's INVALID_CREDENTIALS.
import { useState } from 'preact/hooks';
import { ErrorCodes } from '../../protocol/index.ts';
import type { LoginResponse } from '../../protocol/index.ts';
import { ApiError, type Api } from '../lib/api.ts';

interface LoginProps {
  api: Api;
  notice?: string;
  onSignedIn(response: LoginResponse): void;
}

export function Login({ api, notice, onSignedIn }: LoginProps) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await api.login(email.trim(), password));
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError && err.code === ErrorCodes.INVALID_CREDENTIALS) setError('Wrong email or password');
      else if (err instanceof ApiError && err.code === ErrorCodes.RATE_LIMITED) setError('Too many attempts. Wait a moment and try again.');
      else setError(err instanceof Error ? err.message : 'Sign-in failed');
    }
  };

  return (
    <main class="login">
      <form class="login-card" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">Parley</h1>
        <p class="muted">Sign in to the agent console</p>
        {notice && !error && <p class="notice" role="status">{notice}</p>}
        {error && (
          <p class="form-error" role="alert" data-testid="login-error">
            {error}
          </p>
        )}
        <label>
          Email
          <input
            data-testid="login-email"
            type="email"
            name="email"
            autoComplete="username"
            required
            autoFocus
            value={email}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
        </label>
        <label>
          Password
          <input
            data-testid="login-password"
            type="password"
            name="password"
            autoComplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        <button data-testid="login-submit" type="submit" class="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
