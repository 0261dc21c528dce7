// The live transcript: visitor on the left, agents on the right, system lines centred, agents'
// private notes (amber) among the messages in time order, then the replies still in the outbox.
// It follows new messages only while the agent is at the bottom, so reading history is never
// interrupted.
import { useLayoutEffect, useRef } from 'preact/hooks';
import type { MessageView, NoteView } from '../../../protocol/index.ts';
import type { OutboxItem } from '../../../client/outbox.ts';
import { clockTime, fullTime } from '../../lib/format.ts';

interface TranscriptProps {
  messages: readonly MessageView[];
  notes: readonly NoteView[];
  pending: readonly OutboxItem[];
  loading: boolean;
  error: string | null;
  offline: boolean;
  onReload(): void;
  onRetry(clientId: string): void;
  onDiscard(clientId: string): void;
}

/** Within this many pixels of the bottom counts as "at the bottom". */
const STICKY_PX = 80;

type Entry = { kind: 'message'; message: MessageView } | { kind: 'note'; note: NoteView };

/** Messages in seq order with the notes slotted in by time: a note written after a message follows it. */
export function timeline(messages: readonly MessageView[], notes: readonly NoteView[]): Entry[] {
  const entries: Entry[] = [];
  let n = 0;
  for (const message of messages) {
    while (n < notes.length && notes[n]!.createdAt < message.createdAt) entries.push({ kind: 'note', note: notes[n++]! });
    entries.push({ kind: 'message', message });
  }
  while (n < notes.length) entries.push({ kind: 'note', note: notes[n++]! });
  return entries;
}

export function Transcript({ messages, notes, pending, loading, error, offline, onReload, onRetry, onDiscard }: TranscriptProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const pendingCount = useRef(pending.length);

  useLayoutEffect(() => {
    const el = scroller.current;
    const sentOne = pending.length > pendingCount.current;
    pendingCount.current = pending.length;
    if (el && (atBottom.current || sentOne)) el.scrollTop = el.scrollHeight;
  }, [messages, notes, pending]);

  return (
    <div
      class="transcript"
      ref={scroller}
      onScroll={(e) => {
        const el = e.currentTarget;
        atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < STICKY_PX;
      }}
    >
      {loading && messages.length === 0 && <p class="muted center" role="status">Loading messages…</p>}
      {error && (
        <p class="form-error center" role="alert">
          Could not load messages: {error}{' '}
          <button type="button" class="link" onClick={onReload}>Try again</button>
        </p>
      )}
      {!loading && !error && messages.length === 0 && notes.length === 0 && pending.length === 0 && (
        <p class="muted center">No messages yet.</p>
      )}
      <ol class="messages" aria-label="Messages">
        {timeline(messages, notes).map((entry) => {
          if (entry.kind === 'note') {
            const { note } = entry;
            return (
              <li key={note.id} class="msg msg-note" data-testid="note" data-note-id={note.id}>
                <div class="msg-meta">
                  <strong>{note.authorName}</strong>
                  <span>· Private note</span>
                  <time dateTime={note.createdAt} title={fullTime(note.createdAt)}>{clockTime(note.createdAt)}</time>
                </div>
                <div class="bubble">{note.body}</div>
              </li>
            );
          }
          const { message } = entry;
          return (
            <li
              key={message.seq}
              class={`msg msg-${message.authorKind}`}
              data-testid="message"
              data-author={message.authorKind}
              data-seq={message.seq}
            >
              {message.authorKind !== 'system' && (
                <div class="msg-meta">
                  {message.authorKind === 'agent' && <strong>{message.authorName ?? 'Agent'}</strong>}
                  <time dateTime={message.createdAt} title={fullTime(message.createdAt)}>{clockTime(message.createdAt)}</time>
                </div>
              )}
              <div class="bubble">{message.body}</div>
            </li>
          );
        })}
        {pending.map((item) => (
          <li
            key={item.clientId}
            class={`msg msg-agent msg-${item.state}`}
            data-testid="message"
            data-author="agent"
            data-status={item.state}
          >
            <div class="bubble">{item.body}</div>
            <div class="msg-meta">
              {item.state === 'pending' ? (
                <span>{offline ? 'Queued — will send when reconnected' : 'Sending…'}</span>
              ) : (
                <span role="alert">
                  Not sent: {item.error}{' '}
                  <button type="button" class="link" onClick={() => onRetry(item.clientId)}>Retry</button>{' '}
                  <button type="button" class="link" onClick={() => onDiscard(item.clientId)}>Discard</button>
                </span>
              )}
            </div>
          </li>
        ))}
      </ol>
    </div>
  );
}
