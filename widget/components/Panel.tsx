import type { Chat, ChatState } from '../chat.ts';
import { Composer } from './Composer.tsx';
import { CloseIcon } from './icons.tsx';
import { Transcript } from './Transcript.tsx';

export function Panel(props: { chat: Chat; state: ChatState }) {
  const chat = props.chat;
  const state = props.state;
  const close = () => chat.setOpen(false);
  return (
    <div
      class="panel"
      role="dialog"
      aria-label={state.settings.title}
      data-testid="parley-panel"
      hidden={!state.open}
      onKeyDown={(event) => {
        if (event.key === 'Escape') close();
      }}
    >
      <div class="header">
        <div>
          <h2>{state.settings.title}</h2>
          <p class={state.teamOnline && state.teamOpen ? 'status online' : 'status'} data-testid="parley-team-status">
            {teamStatus(state)}
          </p>
        </div>
        <button type="button" class="close" aria-label="Close chat" onClick={close}>
          <CloseIcon />
        </button>
      </div>
      <Transcript
        greeting={state.settings.greeting}
        entries={state.entries}
        teamName={state.settings.teamName}
        typingName={state.typingName && (state.settings.teamName || state.typingName)}
        open={state.open}
        onRetry={(clientId) => chat.retry(clientId)}
      />
      <Composer open={state.open} onSend={(text) => chat.send(text)} onTyping={() => chat.noteTyping()} />
    </div>
  );
}

/** "We're away, back at 9:00" outside business hours; otherwise how soon the team replies. */
function teamStatus(state: ChatState): string {
  if (!state.teamOpen) return state.opensAt ? `We're away, back ${backAt(state.opensAt, state.settings.locale)}` : "We're away";
  if (state.settings.expectedReplyTime) return `Typically replies ${state.settings.expectedReplyTime}`;
  return state.teamOnline ? "We're online" : "We'll reply as soon as we can";
}

/** In the visitor's own time zone: "at 9:00" today, "Monday at 9:00" on another day. */
function backAt(iso: string, locale: string | undefined): string {
  const at = new Date(iso);
  const time = at.toLocaleTimeString(locale, { hour: 'numeric', minute: '2-digit' });
  return at.toDateString() === new Date().toDateString() ? `at ${time}` : `${at.toLocaleDateString(locale, { weekday: 'long' })} at ${time}`;
}
