// The session gate: a stored token is checked with /api/v1/me before the inbox opens; any 401, here
// or later, drops the token and returns to the login screen. An invitation link (#/accept?token=…)
// opens the screen that sets the invitee's password instead, and signs them in.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { AgentView, LoginResponse } from '../protocol/index.ts';
import { ApiError, createApi } from './lib/api.ts';
import { keys, readText, remove, writeText } from './lib/storage.ts';
import { Login } from './routes/login.tsx';
import { AcceptInvitation, invitationTokenOf } from './routes/accept-invitation.tsx';
import { Inbox } from './routes/inbox.tsx';

type Session =
  | { phase: 'checking' }
  | { phase: 'unreachable'; message: string }
  | { phase: 'signed-out'; notice?: string }
  /** Opened from an invitation link: choosing a password comes before any stored session. */
  | { phase: 'accepting'; invitation: string }
  | { phase: 'signed-in'; token: string; agent: AgentView };

const RECHECK_MS = 5_000;

/** Agent tokens last 12 hours; an open console renews its token well before that. */
const RENEW_EVERY_MS = 60 * 60 * 1000;

/** A used invitation link must not stay in the address bar, the history or a bookmark. */
function leaveInvitationLink(): void {
  history.replaceState(null, '', location.pathname + location.search);
}

export function App() {
  const token = useRef(readText(keys.token));
  const [session, setSession] = useState<Session>(() => {
    const invitation = invitationTokenOf(location.hash);
    if (invitation) return { phase: 'accepting', invitation };
    return token.current ? { phase: 'checking' } : { phase: 'signed-out' };
  });

  const signOut = (notice?: string) => {
    token.current = null;
    remove(keys.token);
    setSession({ phase: 'signed-out', notice });
  };

  const signIn = (response: LoginResponse) => {
    token.current = response.token;
    writeText(keys.token, response.token);
    setSession({ phase: 'signed-in', token: response.token, agent: response.agent });
  };

  const api = useMemo(
    () => createApi(() => token.current, () => signOut('Your session has ended. Please sign in again.')),
    [],
  );

  useEffect(() => {
    if (session.phase !== 'checking') return;
    let cancelled = false;
    api.me().then(
      ({ agent }) => {
        if (!cancelled && token.current) setSession({ phase: 'signed-in', token: token.current, agent });
      },
      (err: unknown) => {
        // A 401 already signed us out; anything else means the server is unreachable or failing,
        // and the token may well still be good, so keep it and try again.
        if (cancelled || (err instanceof ApiError && err.status === 401)) return;
        setSession({ phase: 'unreachable', message: err instanceof Error ? err.message : String(err) });
      },
    );
    return () => {
      cancelled = true;
    };
  }, [session.phase]);

  // Renew at sign-in and then every hour, so a console left open all day never hits an expired
  // token. A failed renewal is harmless: the current token stays until the next try.
  useEffect(() => {
    if (session.phase !== 'signed-in') return;
    const renew = () => api.refresh().then((response) => {
      if (!token.current) return;
      token.current = response.token;
      writeText(keys.token, response.token);
    }, () => {});
    void renew();
    const timer = setInterval(renew, RENEW_EVERY_MS);
    return () => clearInterval(timer);
  }, [session.phase]);

  useEffect(() => {
    if (session.phase !== 'unreachable') return;
    const timer = setTimeout(() => setSession({ phase: 'checking' }), RECHECK_MS);
    return () => clearTimeout(timer);
  }, [session]);

  switch (session.phase) {
    case 'checking':
      return <p class="splash" role="status">Loading…</p>;
    case 'unreachable':
      return (
        <div class="splash" role="alert">
          <p>Cannot reach Parley: {session.message}</p>
          <button type="button" onClick={() => setSession({ phase: 'checking' })}>Try again</button>
        </div>
      );
    case 'signed-out':
      return <Login api={api} notice={session.notice} onSignedIn={signIn} />;
    case 'accepting':
      return (
        <AcceptInvitation
          api={api}
          token={session.invitation}
          onSignedIn={(response) => {
            leaveInvitationLink();
            signIn(response);
          }}
          onSignIn={() => {
            leaveInvitationLink();
            setSession(token.current ? { phase: 'checking' } : { phase: 'signed-out' });
          }}
        />
      );
    case 'signed-in':
      return (
        <Inbox
          key={session.token}
          api={api}
          getToken={() => token.current ?? session.token}
          agent={session.agent}
          onSignOut={signOut}
        />
      );
  }
}
