// Global keyboard shortcuts. One keydown listener on the document; the handler is read from a ref
// so it always sees the latest state without re-registering on every render.
import { useEffect, useRef } from 'preact/hooks';

export const SHORTCUTS: ReadonlyArray<readonly [keys: string, action: string]> = [
  ['j / k', 'Next / previous conversation (↓ / ↑ in the list)'],
  ['Enter / o', 'Open the selected conversation'],
  ['s', 'Search conversations (Esc: back to the list, ↓: into the results)'],
  ['r / /', 'Reply: focus the composer, as a reply to the visitor'],
  ['n', 'Private note: focus the composer, as a note only agents see'],
  ['Alt+N', 'Switch the composer between reply and private note'],
  ['Esc', 'Leave the composer'],
  ['Enter', 'Send (Shift+Enter: new line)'],
  ['e', 'Resolve the open conversation'],
  ['z', 'Snooze the open conversation (1 hour, tomorrow, next Monday)'],
  ['a', 'Assign the open conversation to me'],
  ['1 / 2 / 3', 'Unassigned / Mine / All'],
  ['?', 'Show or hide this help'],
];

/** Keys typed into a field are text, not commands. */
export function isEditable(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT';
}

export function useKeydown(handler: (event: KeyboardEvent) => void): void {
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => {
    const listener = (event: KeyboardEvent) => latest.current(event);
    document.addEventListener('keydown', listener);
    return () => document.removeEventListener('keydown', listener);
  }, []);
}
