// The transcript as the widget shows it: the conversation's messages in seq order (client/
// conversation-log.ts), then the visitor's messages still in the outbox (client/outbox.ts).
import type { AuthorKind, MessageView } from '../protocol/index.ts';
import type { OutboxItem } from '../client/outbox.ts';

export type DeliveryStatus = 'sending' | 'sent' | 'failed';

export interface Entry {
  /** Null until the server has stored the message. */
  seq: number | null;
  clientId: string;
  authorKind: AuthorKind;
  authorId: string | null;
  authorName: string | null;
  body: string;
  status: DeliveryStatus;
}

/** `connectionLost`: the socket gave up for good, so nothing pending is on its way. */
export function transcriptEntries(messages: readonly MessageView[], outbox: readonly OutboxItem[], connectionLost: boolean): Entry[] {
  const sent = messages.map((message): Entry => ({
    seq: message.seq,
    clientId: message.clientId,
    authorKind: message.authorKind,
    authorId: message.authorId,
    authorName: message.authorName,
    body: message.body,
    status: 'sent',
  }));
  const pending = outbox.map((item): Entry => ({
    seq: null,
    clientId: item.clientId,
    authorKind: 'visitor',
    authorId: null,
    authorName: null,
    body: item.body,
    status: item.state === 'failed' || connectionLost ? 'failed' : 'sending',
  }));
  return sent.concat(pending);
}
