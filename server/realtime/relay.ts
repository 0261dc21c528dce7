// Domain events → frames for the sockets. The services announce what happened (services/events.ts);
// this decides who hears it: agents of the account, the visitor's tabs, or every visitor of the
// account's sites. The hub serialises each frame once and the broker carries it to every node.
import type { DomainEventMap, DomainEvents } from '../services/events.ts';
import { channels, type Disconnector, type Publisher } from './hub.ts';

export function relayToClients(events: DomainEvents, hub: Publisher): void {
  events.on('message.created', ({ accountId, visitorId, message }) => {
    hub.publish([channels.account(accountId), channels.visitor(visitorId)], { type: 'message', message });
  });

  // Notes are the account's business: agents only, never a visitor's channel.
  events.on('note.created', ({ accountId, note }) => {
    hub.publish([channels.account(accountId)], { type: 'note', note });
  });

  // Created, assigned or with a new status: agents get the conversation's new view, visitors nothing.
  const conversationChanged = ({ accountId, conversation }: DomainEventMap['conversation.created']) => {
    hub.publish([channels.account(accountId)], { type: 'conversation', conversation });
  };
  events.on('conversation.created', conversationChanged);
  events.on('conversation.assigned', conversationChanged);
  events.on('conversation.status', conversationChanged);

  // Agents see everyone typing; a visitor sees only agents (their own typing is theirs).
  events.on('typing', ({ accountId, visitorId, conversationId, author, typing }) => {
    const targets = [channels.account(accountId)];
    if (author.kind === 'agent') targets.push(channels.visitor(visitorId));
    hub.publish(targets, {
      type: 'typing', conversationId, authorKind: author.kind, authorId: author.id, authorName: author.name, typing,
    });
  });

  events.on('agent.availability', ({ accountId, agentId, availability }) => {
    hub.publish([channels.account(accountId)], { type: 'presence', agentId, availability });
  });
  events.on('team.online', ({ accountId, online }) => {
    hub.publish([channels.team(accountId)], { type: 'team', online });
  });
}

/**
 * A deactivated agent's tokens already fail, and so do the older tokens of one whose password
 * changed; their open consoles, on whichever node holds them, are closed now with AUTH_INVALID
 * (4001), which tells the console its token is no good.
 */
export function disconnectRevokedSessions(events: DomainEvents, hub: Disconnector): void {
  const signOut = ({ agentId }: { agentId: string }) => hub.disconnect(channels.agent(agentId), 'AUTH_INVALID');
  events.on('agent.deactivated', signOut);
  events.on('agent.password_changed', signOut);
  // An erased visitor's open tabs hold nothing any more: they close, and a widget that comes back
  // starts afresh as a new visitor (its token names a visitor that no longer exists).
  events.on('visitor.erased', ({ visitorId }) => {
    hub.disconnect(channels.visitor(visitorId), 'AUTH_INVALID');
  });
}
