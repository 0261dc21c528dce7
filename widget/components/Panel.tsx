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
          <p class={state.teamOnline ? 'status online' : 'status'} data-testid="parley-team-status">
            {state.teamOnline ? "We're online" : "We'll reply as soon as we can"}
          </p>
        </div>
        <button type="button" class="close" aria-label="Close chat" onClick={close}>
          <CloseIcon />
        </button>
      </div>
      <Transcript
        greeting={state.settings.greeting}
        entries={state.entries}
        typingName={state.typingName}
        open={state.open}
        onRetry={(clientId) => chat.retry(clientId)}
      />
      <Composer open={state.open} onSend={(text) => chat.send(text)} onTyping={() => chat.noteTyping()} />
    </div>
  );
}
