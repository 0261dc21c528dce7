// A destructive action asked twice, inline (no browser dialog to block the page): the first click
// shows the question, the second acts. A refusal is shown where the question was.
import { useState } from 'preact/hooks';
import { messageOf } from '../../lib/api.ts';

interface ConfirmButtonProps {
  label: string;
  question: string;
  busyLabel: string;
  testId: string;
  onConfirm(): Promise<void>;
}

export function ConfirmButton({ label, question, busyLabel, testId, onConfirm }: ConfirmButtonProps) {
  const [phase, setPhase] = useState<'idle' | 'asking' | 'busy'>('idle');
  const [error, setError] = useState<string | null>(null);

  const confirm = async () => {
    setPhase('busy');
    setError(null);
    try {
      await onConfirm();
      // Usually the row is gone by now; if not, it is ready again.
      setPhase('idle');
    } catch (err) {
      setError(messageOf(err));
      setPhase('idle');
    }
  };

  return (
    <>
      {phase === 'idle' && (
        <button type="button" class="link danger" data-testid={testId} onClick={() => setPhase('asking')}>
          {label}
        </button>
      )}
      {phase !== 'idle' && (
        <span class="confirm" role="group" aria-label={question}>
          {question}{' '}
          <button type="button" class="danger-button" data-testid={`${testId}-confirm`} disabled={phase === 'busy'} onClick={() => void confirm()}>
            {phase === 'busy' ? busyLabel : label}
          </button>{' '}
          <button type="button" disabled={phase === 'busy'} onClick={() => setPhase('idle')}>Cancel</button>
        </span>
      )}
      {error && <p class="form-error" role="alert">{error}</p>}
    </>
  );
}
