// A settings form's save: busy while the request runs, "Saved" after, the server's refusal (or the
// form's own) beside the button; editing again clears both.
import { useState } from 'preact/hooks';
import { messageOf } from './api.ts';

export interface SaveStatus { busy: boolean; error: string | null; saved: boolean }

const IDLE: SaveStatus = { busy: false, error: null, saved: false };

export function useSaveStatus() {
  const [status, setStatus] = useState<SaveStatus>(IDLE);
  return {
    status,
    edited: () => setStatus((s) => (s.busy ? s : IDLE)),
    refuse: (error: string) => setStatus({ busy: false, error, saved: false }),
    save: async (send: () => Promise<unknown>) => {
      if (status.busy) return;
      setStatus({ busy: true, error: null, saved: false });
      try {
        await send();
        setStatus({ busy: false, error: null, saved: true });
      } catch (err) {
        setStatus({ busy: false, error: messageOf(err), saved: false });
      }
    },
  };
}
