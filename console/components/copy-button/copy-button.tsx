// Copies a text (a script tag, an invitation link) and says so; where the clipboard is refused
// (an insecure origin, a denied permission) it says that too, and the text stays selectable.
import { useState } from 'preact/hooks';

export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const copy = () => {
    const done = (next: 'copied' | 'failed') => {
      setState(next);
      setTimeout(() => setState('idle'), 2_000);
    };
    if (!navigator.clipboard) return done('failed');
    navigator.clipboard.writeText(text).then(() => done('copied'), () => done('failed'));
  };
  return (
    <button type="button" class="copy" onClick={copy} aria-live="polite">
      {state === 'copied' ? 'Copied' : state === 'failed' ? 'Select and copy by hand' : label}
    </button>
  );
}
