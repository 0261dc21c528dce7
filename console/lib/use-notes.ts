// The open conversation's private notes: loaded when it opens (and again after a reconnect, for
// notes written while we were away), live ones arrive as `note` frames through the inbox reducer.
import { useEffect, useState } from 'preact/hooks';
import { messageOf, type Api } from './api.ts';
import type { InboxAction } from './inbox-state.ts';

export interface Notes {
  /** Why the notes could not be loaded, until a reload succeeds. */
  error: string | null;
  reload(): void;
  /** Resolves once the server stored the note; rejects (ApiError) otherwise. */
  add(conversationId: string, body: string): Promise<void>;
}

export function useNotes(api: Api, openId: string | null, dispatch: (action: InboxAction) => void): Notes {
  const [error, setError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    setError(null);
    if (!openId) return;
    const controller = new AbortController();
    api.notes(openId, controller.signal).then(
      (notes) => dispatch({ type: 'notes', conversationId: openId, notes }),
      (err: unknown) => {
        if (!controller.signal.aborted) setError(messageOf(err));
      },
    );
    return () => controller.abort();
  }, [openId, attempt]);

  return {
    error,
    reload: () => setAttempt((n) => n + 1),
    add: async (conversationId, body) => {
      const note = await api.addNote(conversationId, body);
      dispatch({ type: 'note', note });
    },
  };
}
