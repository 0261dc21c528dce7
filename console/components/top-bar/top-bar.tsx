// The top bar: who is signed in, their availability (which routing follows), help and sign out.
import type { AgentView } from '../../../protocol/index.ts';

interface TopBarProps {
  me: AgentView;
  availability: 'online' | 'away';
  onAvailability(availability: 'online' | 'away'): void;
  onHelp(): void;
  onSignOut(): void;
}

export function TopBar({ me, availability, onAvailability, onHelp, onSignOut }: TopBarProps) {
  return (
    <header class="top-bar">
      <span class="brand">Parley</span>
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
