// The foot of a settings form: its submit button and what became of the last save.
import type { SaveStatus } from '../../lib/use-save-status.ts';

/** Test ids are `${testId}-save` and `${testId}-error`. */
export function SaveActions({ label, testId, status }: { label: string; testId: string; status: SaveStatus }) {
  return (
    <div class="form-actions">
      <button type="submit" class="primary" data-testid={`${testId}-save`} disabled={status.busy}>
        {status.busy ? 'Saving…' : label}
      </button>
      {status.saved && <span class="saved" role="status">Saved</span>}
      {status.error && <span class="form-error" role="alert" data-testid={`${testId}-error`}>{status.error}</span>}
    </div>
  );
}
