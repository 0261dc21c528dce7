// "Snooze" and its choices. The menu takes focus when it opens; ↑/↓ move, Enter picks, Escape or a
// click elsewhere closes it and gives the focus back to its button.
import { useEffect, useRef } from 'preact/hooks';
import { SNOOZE_CHOICES, snoozeUntil, type SnoozeChoice } from '../../lib/snooze.ts';

interface SnoozeMenuProps {
  open: boolean;
  onOpen(open: boolean): void;
  onSnooze(until: Date): void;
}

export function SnoozeMenu({ open, onOpen, onSnooze }: SnoozeMenuProps) {
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (!open) return;
    root.current?.querySelector<HTMLButtonElement>('[role="menuitem"]')?.focus();
    const closeOutside = (event: MouseEvent) => {
      if (!root.current?.contains(event.target as Node)) onOpen(false);
    };
    document.addEventListener('mousedown', closeOutside);
    return () => document.removeEventListener('mousedown', closeOutside);
  }, [open]);

  const close = () => {
    onOpen(false);
    button.current?.focus();
  };

  const pick = (choice: SnoozeChoice) => {
    onOpen(false);
    onSnooze(snoozeUntil(choice, new Date()));
  };

  return (
    <div class="menu-anchor" ref={root}>
      <button
        type="button"
        ref={button}
        data-testid="snooze"
        aria-haspopup="menu"
        aria-expanded={open}
        title="Snooze (z)"
        onClick={() => onOpen(!open)}
      >
        Snooze ▾
      </button>
      {open && (
        <div
          class="menu"
          role="menu"
          aria-label="Snooze until"
          onKeyDown={(e) => {
            const items = [...(root.current?.querySelectorAll<HTMLButtonElement>('[role="menuitem"]') ?? [])];
            const at = items.indexOf(document.activeElement as HTMLButtonElement);
            if (e.key === 'Escape') close();
            else if (e.key === 'ArrowDown' || e.key === 'j') items[(at + 1) % items.length]?.focus();
            else if (e.key === 'ArrowUp' || e.key === 'k') items[(at - 1 + items.length) % items.length]?.focus();
            else if (e.key === 'Tab') onOpen(false);
            else return;
            // Handled here: the inbox's own shortcuts must not see these keys.
            if (e.key !== 'Tab') e.preventDefault();
          }}
        >
          {SNOOZE_CHOICES.map(([choice, label]) => (
            <button key={choice} type="button" role="menuitem" data-testid={`snooze-${choice}`} onClick={() => pick(choice)}>
              {label}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
