// A text kept in localStorage while it is written: saved shortly after every keystroke and again
// when the component unmounts (another conversation opened) or the page goes away, so a draft
// survives switching, reloads and crashes. Clearing it (once sent) removes it from storage.
import { useEffect, useRef, useState } from 'preact/hooks';
import { readText, remove, writeText } from './storage.ts';

const SAVE_DELAY_MS = 250;

export interface Draft {
  text: string;
  set(text: string): void;
  clear(): void;
}

/** `key` must stay the same for the component's life: key the component by it instead. */
export function useDraft(key: string): Draft {
  const [text, setText] = useState(() => readText(key) ?? '');
  const latest = useRef(text);
  const saveTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const save = () => {
    clearTimeout(saveTimer.current);
    saveTimer.current = undefined;
    if (latest.current) writeText(key, latest.current);
    else remove(key);
  };

  useEffect(() => {
    const flush = () => {
      if (saveTimer.current !== undefined) save();
    };
    window.addEventListener('pagehide', flush);
    return () => {
      window.removeEventListener('pagehide', flush);
      flush();
    };
  }, []);

  return {
    text,
    set(value) {
      latest.current = value;
      setText(value);
      clearTimeout(saveTimer.current);
      saveTimer.current = setTimeout(save, SAVE_DELAY_MS);
    },
    clear() {
      latest.current = '';
      setText('');
      save();
    },
  };
}
