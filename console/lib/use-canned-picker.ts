// The composer's "/" picker: open while the text is "/" and a possible shortcut, its matches, the
// highlighted one, and the keys that drive it. Escape closes it until the text changes.
import { useEffect, useState } from 'preact/hooks';
import type { CannedResponseView } from '../../protocol/index.ts';
import { messageOf } from './api.ts';
import { matchCanned, shortcutQuery, type LoadCanned } from './canned-responses.ts';

export interface CannedPicker {
  open: boolean;
  matches: CannedResponseView[];
  active: number;
  loading: boolean;
  error: string | null;
  /** Handles the picker's keys; true when the key was its own. */
  onKeyDown(event: KeyboardEvent): boolean;
  choose(index: number): void;
}

export function useCannedPicker(text: string, load: LoadCanned, onChoose: (body: string) => void): CannedPicker {
  const query = shortcutQuery(text);
  const [list, setList] = useState<CannedResponseView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [dismissedAt, setDismissedAt] = useState<string | null>(null);
  const [active, setActive] = useState(0);

  const wanted = query !== null && dismissedAt !== text;
  useEffect(() => {
    if (!wanted) return;
    let current = true;
    load().then(
      (items) => {
        if (!current) return;
        setList(items);
        setError(null);
      },
      (err: unknown) => current && setError(messageOf(err)),
    );
    return () => {
      current = false;
    };
  }, [wanted]);

  useEffect(() => setActive(0), [query]);

  const matches = wanted && list ? matchCanned(list, query) : [];
  const choose = (index: number) => {
    const chosen = matches[index];
    if (chosen) onChoose(chosen.body);
  };

  return {
    open: wanted,
    matches,
    active: Math.min(active, Math.max(0, matches.length - 1)),
    loading: wanted && list === null && error === null,
    error: wanted ? error : null,
    choose,
    onKeyDown(event) {
      if (!wanted) return false;
      switch (event.key) {
        case 'Escape':
          setDismissedAt(text);
          return true;
        case 'ArrowDown':
        case 'ArrowUp':
          if (matches.length === 0) return false;
          setActive((at) => (at + (event.key === 'ArrowDown' ? 1 : matches.length - 1)) % matches.length);
          return true;
        case 'Enter':
        case 'Tab':
          if (event.shiftKey || event.isComposing || matches.length === 0) return false;
          choose(Math.min(active, matches.length - 1));
          return true;
        default:
          return false;
      }
    },
  };
}
