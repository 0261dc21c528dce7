import { useEffect, useRef } from 'preact/hooks';
import { MAX_MESSAGE_LENGTH } from '../../protocol/index.ts';
import { SendIcon } from './icons.tsx';

interface ComposerProps {
  open: boolean;
  /** Returns whether the text was taken, so a refused draft stays in the box. */
  onSend: (text: string) => boolean;
  onTyping: () => void;
}

// Uncontrolled: the textarea holds the draft, and CSS (:placeholder-shown) dims the send button while
// it is empty, so typing never re-renders the transcript.
export function Composer(props: ComposerProps) {
  const input = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    if (props.open) input.current?.focus();
  }, [props.open]);

  function submit() {
    const textarea = input.current;
    if (!textarea) return;
    if (props.onSend(textarea.value)) textarea.value = '';
    textarea.focus();
  }

  return (
    <form
      class="composer"
      onSubmit={(event) => {
        event.preventDefault();
        submit();
      }}
    >
      <textarea
        ref={input}
        data-testid="parley-input"
        aria-label="Message"
        placeholder="Write a message…"
        rows={1}
        maxLength={MAX_MESSAGE_LENGTH}
        onInput={props.onTyping}
        onKeyDown={(event) => {
          // isComposing: Enter also confirms a word in Japanese, Chinese or Korean input methods.
          if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
            event.preventDefault();
            submit();
          }
        }}
      />
      <button type="submit" class="send" data-testid="parley-send" aria-label="Send">
        <SendIcon />
      </button>
    </form>
  );
}
