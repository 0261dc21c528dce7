import { useLayoutEffect, useRef } from 'preact/hooks';
import type { Entry } from '../transcript.ts';
import { Message } from './Message.tsx';

interface TranscriptProps {
  greeting: string;
  entries: Entry[];
  /** Shown above agents' replies instead of each agent's name. */
  teamName?: string | undefined;
  typingName: string | null;
  open: boolean;
  onRetry: (clientId: string) => void;
}

export function Transcript(props: TranscriptProps) {
  const log = useRef<HTMLDivElement>(null);
  const entries = props.entries;

  // The newest message (or the typing indicator) is what the visitor is waiting for.
  useLayoutEffect(() => {
    const element = log.current;
    if (element && props.open) element.scrollTop = element.scrollHeight;
  }, [entries, props.typingName, props.open]);

  return (
    <div class="log" ref={log} role="log" aria-live="polite">
      {props.greeting && (
        <div class="msg agent" data-testid="parley-greeting">
          <div class="bubble">{props.greeting}</div>
        </div>
      )}
      {entries.map((entry, index) => {
        const previous = entries[index - 1];
        // Under a team name, a run of replies is one voice whoever wrote them.
        const showName = entry.authorKind === 'agent' &&
          (previous?.authorKind !== 'agent' || (!props.teamName && previous.authorId !== entry.authorId));
        return <Message key={entry.clientId} entry={entry} name={props.teamName || entry.authorName} showName={showName} onRetry={props.onRetry} />;
      })}
      {props.typingName && <div class="typing" data-testid="parley-typing">{props.typingName} is typing…</div>}
    </div>
  );
}
