import type { Entry } from '../transcript.ts';

interface MessageProps {
  entry: Entry;
  /** The author as shown: the site's team name, else the agent's own. */
  name: string | null;
  /** Shown above the first of a run of messages from one agent. */
  showName: boolean;
  onRetry: (clientId: string) => void;
}

export function Message(props: MessageProps) {
  const entry = props.entry;
  return (
    <div
      class={`msg ${entry.authorKind} ${entry.status}`}
      data-testid="parley-message"
      data-author={entry.authorKind}
      data-seq={entry.seq ?? undefined}
      data-status={entry.status}
    >
      {props.showName && props.name && <div class="name" data-testid="parley-author">{props.name}</div>}
      {/* A text child: Preact sets it as a text node, so a body can never become markup. */}
      <div class="bubble">{entry.body}</div>
      {entry.status === 'failed' && (
        <div class="failure">
          Not sent.{' '}
          <button type="button" class="retry" onClick={() => props.onRetry(entry.clientId)}>Retry</button>
        </div>
      )}
    </div>
  );
}
