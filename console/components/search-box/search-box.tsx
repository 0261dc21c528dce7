// The search box above the conversation list. Escape and ArrowDown are handled here, before the
// inbox's keymap sees them: in this field they leave the search, or step into its results.
import type { RefObject } from 'preact';

interface SearchBoxProps {
  query: string;
  inputRef: RefObject<HTMLInputElement | null>;
  onQuery(query: string): void;
  /** Escape: the search is cleared and the list comes back. */
  onClear(): void;
  /** ArrowDown: the keyboard cursor moves into the results. */
  onEnterResults(): void;
}

export function SearchBox({ query, inputRef, onQuery, onClear, onEnterResults }: SearchBoxProps) {
  return (
    <div class="search-box">
      <input
        ref={inputRef}
        type="search"
        value={query}
        placeholder="Search messages (s)"
        aria-label="Search conversations"
        data-testid="search-input"
        autocomplete="off"
        spellcheck={false}
        onInput={(e) => onQuery(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') onClear();
          else if (e.key === 'ArrowDown') onEnterResults();
          else return;
          e.preventDefault();
        }}
      />
    </div>
  );
}
