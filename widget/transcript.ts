// The transcript as the widget shows it: the server's messages ordered by seq, followed by the
// visitor's messages still waiting for their ack. Pure functions, so merging rules stay easy to check.
import type { AuthorKind, MessageView } from '../protocol/index.ts';

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

export function pendingEntry(clientId: string, body: string, status: DeliveryStatus = 'sending'): Entry {
  return { seq: null, clientId, authorKind: 'visitor', authorId: null, authorName: null, body, status };
}

/**
 * Adds the server's messages. A seq already held is ignored, so a message that arrives both live and
 * in a sync page shows once; a message carrying the clientId of a pending entry (the ack was lost, or
 * it came back through another tab's resend) takes that entry's place.
 */
export function mergeMessages(entries: Entry[], messages: readonly MessageView[]): Entry[] {
  let merged = entries;
  for (const message of messages) {
    if (merged.some((entry) => entry.seq === message.seq)) continue;
    merged = merged.filter((entry) => entry.seq !== null || entry.clientId !== message.clientId);
    merged.push({
      seq: message.seq,
      clientId: message.clientId,
      authorKind: message.authorKind,
      authorId: message.authorId,
      authorName: message.authorName,
      body: message.body,
      status: 'sent',
    });
  }
  return merged === entries ? entries : sortBySeq(merged);
}

export function acknowledge(entries: Entry[], clientId: string, seq: number): Entry[] {
  const isPending = (entry: Entry) => entry.seq === null && entry.clientId === clientId;
  // The relayed `message` may beat the ack here; then the pending copy is simply dropped.
  if (entries.some((entry) => entry.seq === seq)) return entries.filter((entry) => !isPending(entry));
  return sortBySeq(entries.map((entry) => (isPending(entry) ? { ...entry, seq, status: 'sent' } : entry)));
}

export function setStatus(entries: Entry[], clientId: string, status: DeliveryStatus): Entry[] {
  return entries.map((entry) => (entry.seq === null && entry.clientId === clientId ? { ...entry, status } : entry));
}

export function highestSeq(entries: readonly Entry[]): number {
  return entries.reduce((highest, entry) => Math.max(highest, entry.seq ?? 0), 0);
}

export function pendingEntries(entries: readonly Entry[]): Entry[] {
  return entries.filter((entry) => entry.seq === null);
}

/** Stable sort: pending entries keep the order they were written in, after every stored message. */
function sortBySeq(entries: Entry[]): Entry[] {
  const rank = (entry: Entry) => entry.seq ?? Number.MAX_SAFE_INTEGER;
  return entries.slice().sort((a, b) => rank(a) - rank(b));
}
