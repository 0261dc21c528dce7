// The top bar: the inbox and (for owners and admins) settings, who is signed in, their availability
// (which routing follows), help and sign out.
import type { AgentView } from '../../../protocol/index.ts';

interface TopBarProps {
  me: AgentView;
  availability: 'online' | 'away';
  onAvailability(availability: 'online' | 'away'): void;
  onHelp(): void;
  onSignOut(): void;
  /** Where the "Inbox" link goes back to: the open conversation, if any. */
  inboxHref: string;
  /** Absent for agents, who have no settings to change. */
  settingsHref?: string;
  screen: 'inbox' | 'settings';
}

export function TopBar({ me, availability, onAvailability, onHelp, onSignOut, inboxHref, settingsHref, screen }: TopBarProps) {
  return (
    <header class="top-bar">
      <span class="brand">Parley</span>
      <nav class="screens" aria-label="Screens">
        <a href={inboxHref} aria-current={screen === 'inbox' ? 'page' : undefined} data-testid="nav-inbox">Inbox</a>
        {settingsHref && (
          <a href={settingsHref} aria-current={screen === 'settings' ? 'page' : undefined} data-testid="nav-settings">
            Settings
          </a>
        )}
      </nav>
      <span class="spacer" />
      <span class="me">
        <span class={`dot ${availability}`} aria-hidden="true" />
        {me.name}
      </span>
      <label class="availability">
        <span class="visually-hidden">Availability</span>
        <select
          data-testid="availability"
          value={availability}
          onChange={(e) => onAvailability(e.currentTarget.value === 'away' ? 'away' : 'online')}
        >
          <option value="online">Online</option>
          <option value="away">Away</option>
        </select>
      </label>
      <button type="button" class="ghost" onClick={onHelp} aria-label="Keyboard shortcuts" title="Keyboard shortcuts (?)">
        ?
      </button>
      <button type="button" class="ghost" data-testid="logout" onClick={onSignOut}>
        Sign out
      </button>
    </header>
  );
}
