// The conversation list. Items are buttons with a roving tabindex: Tab enters the list once, the
// arrow keys and j/k move within it, Enter opens.
import type { RefObject } from 'preact';
import type { AgentView, ConversationView } from '../../../protocol/index.ts';
import { dayAndTime, initials, relativeTime } from '../../lib/format.ts';

interface ConversationListProps {
  conversations: readonly ConversationView[];
  agents: Readonly<Record<string, AgentView>>;
  meId: string;
  openId: string | null;
  /** The keyboard selection; the open conversation when there is none. */
  cursorId: string | null;
  isUnread(conversation: ConversationView): boolean;
  now: number;
  loading: boolean;
  listRef: RefObject<HTMLUListElement | null>;
  onOpen(id: string): void;
  onCursor(id: string): void;
}

export function ConversationList(props: ConversationListProps) {
  const { conversations, cursorId } = props;
  if (conversations.length === 0) {
    return <p class="muted list-empty">{props.loading ? 'Loading…' : 'No conversations here.'}</p>;
  }
  const focusable = conversations.some((c) => c.id === cursorId) ? cursorId : conversations[0]?.id;

  return (
    <ul class="conversation-list" ref={props.listRef} aria-label="Conversations">
      {conversations.map((conversation) => {
        const unread = props.isUnread(conversation);
        const assignee = conversation.assigneeId ? props.agents[conversation.assigneeId] : undefined;
        const last = conversation.lastMessage;
        const prefix = last?.authorKind === 'agent' ? 'Agent: ' : '';
        const classes = ['conversation-item'];
        if (conversation.id === props.openId) classes.push('open');
        if (conversation.id === cursorId) classes.push('cursor');
        if (unread) classes.push('unread');
        return (
          <li key={conversation.id}>
            <button
              type="button"
              class={classes.join(' ')}
              data-testid="conversation-item"
              data-id={conversation.id}
              data-unread={unread ? 'true' : undefined}
              aria-current={conversation.id === props.openId ? 'true' : undefined}
              tabIndex={conversation.id === focusable ? 0 : -1}
              onClick={() => props.onOpen(conversation.id)}
              onFocus={() => props.onCursor(conversation.id)}
            >
              <span class="item-top">
                {unread && <span class="unread-dot" aria-label="Unread" />}
                <span class="item-name">{conversation.visitorName}</span>
                <time class="item-time" dateTime={conversation.updatedAt}>
                  {relativeTime(conversation.updatedAt, props.now)}
                </time>
              </span>
              {conversation.status === 'snoozed' && conversation.snoozedUntil && (
                <span class="item-snooze">Snoozed until {dayAndTime(conversation.snoozedUntil)}</span>
              )}
              <span class="item-bottom">
                <span class="item-preview">{last ? prefix + last.body : 'No messages yet'}</span>
                {conversation.assigneeId && (
                  <span
                    class={conversation.assigneeId === props.meId ? 'avatar mine' : 'avatar'}
                    title={`Assigned to ${assignee?.name ?? 'an unknown agent'}`}
                  >
                    {assignee ? initials(assignee.name) : '?'}
                  </span>
                )}
              </span>
            </button>
          </li>
        );
      })}
    </ul>
  );
}
