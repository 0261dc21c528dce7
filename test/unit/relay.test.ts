// What clients hear of each domain event: the frames and channels the services used to publish
// themselves, unchanged by the move to events.
import { beforeEach, describe, expect, it } from 'vitest';
import type { ConversationView, MessageView, ServerFrame } from '../../protocol/index.ts';
import { DomainEvents } from '../../server/services/events.ts';
import type { Publisher } from '../../server/realtime/hub.ts';
import { relayToClients } from '../../server/realtime/relay.ts';

const message: MessageView = {
  id: 'm1', conversationId: 'c1', seq: 3, clientId: 'k1', authorKind: 'visitor', authorId: 'v1', authorName: null,
  body: 'hello', createdAt: '2025-01-01T00:00:00.000Z',
};
const conversation: ConversationView = {
  id: 'c1', siteId: 's1', visitorId: 'v1', visitorName: 'Visitor v1', assigneeId: 'a1', status: 'open', snoozedUntil: null, lastSeq: 3,
  createdAt: '2025-01-01T00:00:00.000Z', updatedAt: '2025-01-01T00:00:00.000Z', lastMessage: null,
};

describe('relay: domain events to frames', () => {
  let events: DomainEvents;
  let published: { channels: readonly string[]; frame: ServerFrame }[];

  beforeEach(() => {
    events = new DomainEvents((error) => { throw error; });
    published = [];
    const hub: Publisher = { publish: (channels, frame) => published.push({ channels, frame }) };
    relayToClients(events, hub);
  });

  it('sends a new message to the account\'s agents and the visitor\'s tabs, as the same view', () => {
    events.emit('message.created', { accountId: 'acc', siteId: 's1', visitorId: 'v1', message });
    expect(published).toEqual([{ channels: ['account:acc', 'visitor:v1'], frame: { type: 'message', message } }]);
    expect((published[0]!.frame as { message: MessageView }).message).toBe(message);
  });

  it('sends every conversation change to the account\'s agents only', () => {
    events.emit('conversation.created', { accountId: 'acc', conversation });
    events.emit('conversation.assigned', { accountId: 'acc', conversation, previousAssigneeId: null });
    events.emit('conversation.status', { accountId: 'acc', conversation, previousStatus: 'resolved' });
    expect(published).toEqual(Array.from({ length: 3 }, () => ({ channels: ['account:acc'], frame: { type: 'conversation', conversation } })));
  });

  it('shows a visitor typing to agents only, and an agent typing to agents and the visitor', () => {
    const base = { accountId: 'acc', siteId: 's1', visitorId: 'v1', conversationId: 'c1', typing: true };
    events.emit('typing', { ...base, author: { kind: 'visitor', id: 'v1', name: null } });
    events.emit('typing', { ...base, author: { kind: 'agent', id: 'a1', name: 'Ada' } });
    expect(published).toEqual([
      { channels: ['account:acc'], frame: { type: 'typing', conversationId: 'c1', authorKind: 'visitor', authorId: 'v1', authorName: null, typing: true } },
      { channels: ['account:acc', 'visitor:v1'], frame: { type: 'typing', conversationId: 'c1', authorKind: 'agent', authorId: 'a1', authorName: 'Ada', typing: true } },
    ]);
  });

  it('tells agents about a colleague\'s availability and visitors whether the team is online', () => {
    events.emit('agent.availability', { accountId: 'acc', agentId: 'a1', availability: 'away' });
    events.emit('team.online', { accountId: 'acc', online: false });
    expect(published).toEqual([
      { channels: ['account:acc'], frame: { type: 'presence', agentId: 'a1', availability: 'away' } },
      { channels: ['team:acc'], frame: { type: 'team', online: false } },
    ]);
  });
});
