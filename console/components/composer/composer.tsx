// The reply box, which also writes private notes. Reply and note each keep their own draft in
// localStorage (lib/use-draft.ts), so neither is lost when switching modes, conversations or
// reloading; sending clears it. Note mode is amber from edge to edge, so an agent never mistakes
// one for the other. Only replies tell the visitor, sparingly, that the agent is typing. A "/" at
// the start opens the canned responses (lib/use-canned-picker.ts).
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { RefObject } from 'preact';
import { MAX_MESSAGE_LENGTH } from '../../../protocol/index.ts';
import { messageOf } from '../../lib/api.ts';
import type { LoadCanned } from '../../lib/canned-responses.ts';
import { keys } from '../../lib/storage.ts';
import { useCannedPicker } from '../../lib/use-canned-picker.ts';
import { useDraft } from '../../lib/use-draft.ts';

export type ComposeMode = 'reply' | 'note';

interface ComposerProps {
  conversationId: string;
  mode: ComposeMode;
  inputRef: RefObject<HTMLTextAreaElement | null>;
  onMode(mode: ComposeMode): void;
  onSend(body: string): void;
  /** Resolves once the note is stored; rejects with the reason it was not. */
  onNote(body: string): Promise<void>;
  onTyping(conversationId: string, typing: boolean): void;
  /** The canned responses of the conversation's site. */
  loadCanned: LoadCanned;
}

/** typing:true at most this often while the agent keeps typing… */
const TYPING_REFRESH_MS = 2_000;
/** …and typing:false after this long without a keystroke. */
const TYPING_IDLE_MS = 3_000;
const MAX_HEIGHT_PX = 240;

export function Composer({ conversationId, mode, inputRef, onMode, onSend, onNote, onTyping, loadCanned }: ComposerProps) {
  const reply = useDraft(keys.draft(conversationId));
  const note = useDraft(keys.noteDraft(conversationId));
  const draft = mode === 'note' ? note : reply;
  const [noteState, setNoteState] = useState<{ sending: boolean; error: string | null }>({ sending: false, error: null });
  const latestOnTyping = useRef(onTyping);
  latestOnTyping.current = onTyping;
  const typing = useRef<{ active: boolean; sentAt: number; idle?: ReturnType<typeof setTimeout> }>({
    active: false,
    sentAt: 0,
  });

  const stopTyping = () => {
    const state = typing.current;
    clearTimeout(state.idle);
    if (!state.active) return;
    state.active = false;
    latestOnTyping.current(conversationId, false);
  };

  const noteTyping = () => {
    const state = typing.current;
    const now = Date.now();
    if (!state.active || now - state.sentAt >= TYPING_REFRESH_MS) {
      state.active = true;
      state.sentAt = now;
      latestOnTyping.current(conversationId, true);
    }
    clearTimeout(state.idle);
    state.idle = setTimeout(stopTyping, TYPING_IDLE_MS);
  };

  useEffect(() => stopTyping, []);
  // Writing a note is not something the visitor should see as "typing".
  useEffect(() => {
    if (mode === 'note') stopTyping();
  }, [mode]);

  // Grow with the text up to a limit, then scroll.
  useLayoutEffect(() => {
    const el = inputRef.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight + 2, MAX_HEIGHT_PX)}px`;
  }, [draft.text]);

  const picker = useCannedPicker(draft.text, loadCanned, (chosen) => {
    draft.set(chosen);
    if (mode === 'reply') noteTyping();
  });
  const pickerId = `canned-${conversationId}`;

  const body = draft.text.trim();
  const tooLong = body.length > MAX_MESSAGE_LENGTH;
  const canSend = body.length > 0 && !tooLong && !(mode === 'note' && noteState.sending);

  const send = () => {
    if (!canSend) return;
    if (mode === 'reply') {
      onSend(body);
      reply.clear();
      stopTyping();
      return;
    }
    // A note goes over REST: its draft stays until the server has it, and a refusal is shown.
    setNoteState({ sending: true, error: null });
    onNote(body).then(
      () => {
        note.clear();
        setNoteState({ sending: false, error: null });
      },
      (err: unknown) => setNoteState({ sending: false, error: messageOf(err) }),
    );
  };

  const switchMode = (next: ComposeMode) => {
    onMode(next);
    inputRef.current?.focus();
  };

  const isNote = mode === 'note';
  return (
    <form
      class={isNote ? 'composer composer-note' : 'composer'}
      data-mode={mode}
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
    >
      <div class="composer-modes" role="group" aria-label="Write">
        <button
          type="button"
          class={isNote ? 'mode' : 'mode active'}
          aria-pressed={!isNote}
          data-testid="mode-reply"
          title="Reply to the visitor (r; Alt+N switches)"
          onClick={() => switchMode('reply')}
        >
          Reply{isNote && reply.text.trim() && <span class="draft-mark" title="A reply draft is kept"> •</span>}
        </button>
        <button
          type="button"
          class={isNote ? 'mode active' : 'mode'}
          aria-pressed={isNote}
          data-testid="mode-note"
          title="Private note, only agents see it (n; Alt+N switches)"
          onClick={() => switchMode('note')}
        >
          Private note{!isNote && note.text.trim() && <span class="draft-mark" title="A note draft is kept"> •</span>}
        </button>
        {isNote && <span class="mode-hint">Only your team sees notes</span>}
      </div>
      {picker.open && (
        <div class="canned-picker" data-testid="canned-picker">
          {picker.loading && <p class="muted">Loading canned responses…</p>}
          {picker.error && <p class="form-error" role="alert">Could not load canned responses: {picker.error}</p>}
          {!picker.loading && !picker.error && picker.matches.length === 0 && (
            <p class="muted">No canned response starts with “{draft.text}”.</p>
          )}
          <ul id={pickerId} role="listbox" aria-label="Canned responses">
            {picker.matches.map((canned, index) => (
              <li
                key={canned.id}
                id={`${pickerId}-${index}`}
                role="option"
                aria-selected={index === picker.active}
                class={index === picker.active ? 'active' : undefined}
                data-testid="canned-option"
                // mousedown, not click: the textarea keeps its focus.
                onMouseDown={(e) => {
                  e.preventDefault();
                  picker.choose(index);
                }}
              >
                <strong>/{canned.shortcut.trim()}</strong>
                <span>{canned.body}</span>
              </li>
            ))}
          </ul>
        </div>
      )}
      <label class="visually-hidden" for={`composer-${conversationId}`}>
        {isNote ? 'Private note' : 'Reply'}
      </label>
      <textarea
        id={`composer-${conversationId}`}
        ref={inputRef}
        data-testid="composer"
        rows={2}
        aria-autocomplete="list"
        aria-controls={pickerId}
        aria-activedescendant={picker.open && picker.matches.length > 0 ? `${pickerId}-${picker.active}` : undefined}
        placeholder={
          isNote
            ? 'Private note for your team… (Enter to add, Shift+Enter for a new line)'
            : 'Reply… (Enter to send, Shift+Enter for a new line)'
        }
        value={draft.text}
        // The note on its way is cleared when the server has it: nothing may be typed into it meanwhile.
        readOnly={isNote && noteState.sending}
        onInput={(e) => {
          const value = e.currentTarget.value;
          draft.set(value);
          if (isNote) return;
          if (value) noteTyping();
          else stopTyping();
        }}
        onKeyDown={(e) => {
          // Handled by the picker: the inbox's own Escape (leave the composer) must not run.
          if (picker.onKeyDown(e)) {
            e.preventDefault();
            return;
          }
          // isComposing: Enter that confirms an IME candidate is not a send.
          if (e.key === 'Enter' && !e.shiftKey && !e.altKey && !e.isComposing) {
            e.preventDefault();
            send();
          }
        }}
      />
      <div class="composer-actions">
        {isNote && noteState.error && (
          <span class="form-error" role="alert" data-testid="note-error">
            Note not added: {noteState.error}
          </span>
        )}
        {body.length > MAX_MESSAGE_LENGTH * 0.9 && (
          <span class={tooLong ? 'count over' : 'count'} aria-live="polite">
            {body.length}/{MAX_MESSAGE_LENGTH}
          </span>
        )}
        <button type="submit" class={isNote ? 'note-send' : 'primary'} data-testid="send" disabled={!canSend}>
          {isNote ? (noteState.sending ? 'Adding…' : 'Add note') : 'Send'}
        </button>
      </div>
    </form>
  );
}
