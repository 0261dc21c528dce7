// The reply box. Its draft is written to localStorage shortly after every keystroke and again
// whenever the agent leaves the conversation or the page, so a draft survives switching, reloads
// and crashes; sending clears it. It also tells the visitor, sparingly, that the agent is typing.
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { RefObject } from 'preact';
import { MAX_MESSAGE_LENGTH } from '../../../protocol/index.ts';
import { keys, readText, remove, writeText } from '../../lib/storage.ts';

interface ComposerProps {
  conversationId: string;
  inputRef: RefObject<HTMLTextAreaElement | null>;
  onSend(body: string): void;
  onTyping(conversationId: string, typing: boolean): void;
}

const SAVE_DELAY_MS = 250;
/** typing:true at most this often while the agent keeps typing… */
const TYPING_REFRESH_MS = 2_000;
/** …and typing:false after this long without a keystroke. */
const TYPING_IDLE_MS = 3_000;
const MAX_HEIGHT_PX = 240;

export function Composer({ conversationId, inputRef, onSend, onTyping }: ComposerProps) {
  const draftKey = keys.draft(conversationId);
  const [text, setText] = useState(() => readText(draftKey) ?? '');
  const latest = useRef({ text, onTyping });
  latest.current = { text, onTyping };
  const saveTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const typing = useRef<{ active: boolean; sentAt: number; idle?: ReturnType<typeof setTimeout> }>({
    active: false,
    sentAt: 0,
  });

  const saveDraft = () => {
    clearTimeout(saveTimer.current);
    saveTimer.current = undefined;
    if (latest.current.text) writeText(draftKey, latest.current.text);
    else remove(draftKey);
  };

  const stopTyping = () => {
    const state = typing.current;
    clearTimeout(state.idle);
    if (!state.active) return;
    state.active = false;
    latest.current.onTyping(conversationId, false);
  };

  const noteTyping = () => {
    const state = typing.current;
    const now = Date.now();
    if (!state.active || now - state.sentAt >= TYPING_REFRESH_MS) {
      state.active = true;
      state.sentAt = now;
      latest.current.onTyping(conversationId, true);
    }
    clearTimeout(state.idle);
    state.idle = setTimeout(stopTyping, TYPING_IDLE_MS);
  };

  // Leaving the conversation (this component is keyed by it) or the page flushes the draft.
  useEffect(() => {
    const flush = () => {
      if (saveTimer.current !== undefined) saveDraft();
    };
    window.addEventListener('pagehide', flush);
    return () => {
      window.removeEventListener('pagehide', flush);
      flush();
      stopTyping();
    };
  }, []);

  // Grow with the text up to a limit, then scroll.
  useLayoutEffect(() => {
    const el = inputRef.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight + 2, MAX_HEIGHT_PX)}px`;
  }, [text]);

  const body = text.trim();
  const tooLong = body.length > MAX_MESSAGE_LENGTH;
  const canSend = body.length > 0 && !tooLong;

  const send = () => {
    if (!canSend) return;
    onSend(body);
    latest.current.text = '';
    setText('');
    clearTimeout(saveTimer.current);
    saveTimer.current = undefined;
    remove(draftKey);
    stopTyping();
  };

  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
    >
      <label class="visually-hidden" for={`composer-${conversationId}`}>
        Reply
      </label>
      <textarea
        id={`composer-${conversationId}`}
        ref={inputRef}
        data-testid="composer"
        rows={2}
        placeholder="Reply… (Enter to send, Shift+Enter for a new line)"
        value={text}
        onInput={(e) => {
          const value = e.currentTarget.value;
          latest.current.text = value;
          setText(value);
          clearTimeout(saveTimer.current);
          saveTimer.current = setTimeout(saveDraft, SAVE_DELAY_MS);
          if (value) noteTyping();
          else stopTyping();
        }}
        onKeyDown={(e) => {
          // isComposing: Enter that confirms an IME candidate is not a send.
          if (e.key === 'Enter' && !e.shiftKey && !e.altKey && !e.isComposing) {
            e.preventDefault();
            send();
          }
        }}
      />
      <div class="composer-actions">
        {body.length > MAX_MESSAGE_LENGTH * 0.9 && (
          <span class={tooLong ? 'count over' : 'count'} aria-live="polite">
            {body.length}/{MAX_MESSAGE_LENGTH}
          </span>
        )}
        <button type="submit" class="primary" data-testid="send" disabled={!canSend}>
          Send
        </button>
      </div>
    </form>
  );
}
