import { describe, expect, it } from 'vitest';
import type { CannedResponseView, MessageView, NoteView } from '../../protocol/index.ts';
import { matchCanned, shortcutQuery } from '../../console/lib/canned-responses.ts';
import { mergeNotes } from '../../console/lib/inbox-state.ts';
import { timeline } from '../../console/components/transcript/transcript.tsx';

const canned = (shortcut: string): CannedResponseView =>
  ({ id: shortcut, siteId: null, shortcut, body: `${shortcut} body`, createdAt: '', updatedAt: '' });
const note = (id: string, createdAt: string): NoteView =>
  ({ id, conversationId: 'c', authorId: 'a', authorName: 'Dana', body: id, createdAt });
const message = (seq: number, createdAt: string) =>
  ({ id: `m${seq}`, conversationId: 'c', seq, clientId: `m${seq}`, authorKind: 'visitor', authorId: null, authorName: null, body: '', createdAt }) as MessageView;

describe('console: the "/" picker', () => {
  it('opens only for a leading "/" followed by shortcut characters', () => {
    expect(shortcutQuery('/')).toBe('');
    expect(shortcutQuery('/Ref')).toBe('ref');
    expect(shortcutQuery('/refund please')).toBeNull();
    expect(shortcutQuery('see /refund')).toBeNull();
  });

  it('lists shortcuts starting with the query first, then those containing it', () => {
    const list = ['shipping', 'refund', 'rebate', 'prefs'].map(canned);
    expect(matchCanned(list, 're').map((c) => c.shortcut)).toEqual(['rebate', 'refund', 'prefs']);
    expect(matchCanned(list, '').map((c) => c.shortcut)).toEqual(['prefs', 'rebate', 'refund', 'shipping']);
  });
});

describe('console: private notes', () => {
  it('keeps a note that arrives twice (the POST answer and the frame) once, oldest first', () => {
    const held = mergeNotes([], [note('b', '2026-01-01T10:05:00Z')]);
    const merged = mergeNotes(held, [note('a', '2026-01-01T10:00:00Z'), note('b', '2026-01-01T10:05:00Z')]);
    expect(merged.map((n) => n.id)).toEqual(['a', 'b']);
    expect(mergeNotes(merged, [note('a', '2026-01-01T10:00:00Z')])).toBe(merged);
  });

  it('slots notes among the messages by time', () => {
    const entries = timeline(
      [message(1, '2026-01-01T10:00:00Z'), message(2, '2026-01-01T10:10:00Z')],
      [note('n1', '2026-01-01T10:05:00Z'), note('n2', '2026-01-01T10:20:00Z')],
    );
    expect(entries.map((e) => (e.kind === 'note' ? e.note.id : e.message.seq))).toEqual([1, 'n1', 2, 'n2']);
  });
});
