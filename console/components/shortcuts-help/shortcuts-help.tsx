// A small dialog listing the keyboard shortcuts; Escape, ? or the button closes it.
import { useEffect, useRef } from 'preact/hooks';
import { SHORTCUTS } from '../../lib/shortcuts.ts';

export function ShortcutsHelp({ onClose }: { onClose(): void }) {
  const closeButton = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    closeButton.current?.focus();
    return () => previous?.focus?.();
  }, []);

  return (
    <div class="overlay" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div
        class="dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby="shortcuts-title"
        data-testid="shortcuts-help"
        // The close button is the only control: Tab keeps focus inside the modal.
        onKeyDown={(e) => e.key === 'Tab' && e.preventDefault()}
      >
        <h2 id="shortcuts-title">Keyboard shortcuts</h2>
        <dl class="shortcuts">
          {SHORTCUTS.map(([keys, action]) => (
            <div key={keys + action}>
              <dt>
                <kbd>{keys}</kbd>
              </dt>
              <dd>{action}</dd>
            </div>
          ))}
        </dl>
        <button type="button" ref={closeButton} onClick={onClose}>
          Close
        </button>
      </div>
    </div>
  );
}
