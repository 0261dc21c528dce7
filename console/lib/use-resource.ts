// Something the settings screen loads once and then changes locally as the server answers its
// actions: the value, why loading failed (shown, with a retry), and a way to replace the value.
import { useEffect, useState } from 'preact/hooks';
import { messageOf } from './api.ts';

export interface Resource<T> {
  value: T | null;
  error: string | null;
  reload(): void;
  /** Applies an action's answer to the value held (nothing while it is not loaded). */
  change(update: (value: T) => T): void;
}

export function useResource<T>(load: () => Promise<T>): Resource<T> {
  const [value, setValue] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let current = true;
    setError(null);
    load().then(
      (loaded) => current && setValue(() => loaded),
      (err: unknown) => current && setError(messageOf(err)),
    );
    return () => {
      current = false;
    };
  }, [attempt]);

  return {
    value,
    error,
    reload: () => setAttempt((n) => n + 1),
    change: (update) => setValue((held) => (held === null ? held : update(held))),
  };
}
