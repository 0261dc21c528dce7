// The conversation list. Items are buttons with a roving tabindex: Tab enters the list once, the
// arrow keys and j/k move within it, Enter opens. Older pages load when the end of the list comes
// near; the "Load more" button after the items does the same for the keyboard, or without
// IntersectionObserver.
import type { RefObject } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import type { AgentView, ConversationStatus, ConversationView } from '../../../protocol/index.ts';
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
  /** Where the next page starts; null when every conversation of the list is loaded. */
  nextCursor: string | null;
  loadingMore: boolean;
  listRef: RefObject<HTMLUListElement | null>;
  onOpen(id: string): void;
  onCursor(id: string): void;
  onLoadMore(): void;
  /** Search results mix statuses, so each row says which it has. */
  showStatus?: boolean;
}

const STATUS_LABELS: Readonly<Record<ConversationStatus, string>> = {
  open: 'Open',
  pending: 'Pending',
  snoozed: 'Snoozed',
  resolved: 'Resolved',
};

/** How far below the visible end of the list the next page starts loading, in pixels. */
const PRELOAD_MARGIN_PX = 400;

export function ConversationList(props: ConversationListProps) {
  const { conversations, cursorId, nextCursor, listRef } = props;
  const endRef = useRef<HTMLLIElement>(null);
  const loadMore = useRef(props.onLoadMore);
  loadMore.current = props.onLoadMore;

  // Observed afresh for each page: a new observation reports at once, so a page that leaves the
  // end of the list in sight loads the next one. A failed page keeps its cursor and is not retried
  // until the agent scrolls back to the end or presses the button.
  useEffect(() => {
    const end = endRef.current;
    if (!end || typeof IntersectionObserver === 'undefined') return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((entry) => entry.isIntersecting)) loadMore.current();
      },
      { root: listRef.current, rootMargin: `0px 0px ${PRELOAD_MARGIN_PX}px 0px` },
    );
    observer.observe(end);
    return () => observer.disconnect();
  }, [nextCursor]);

  if (conversations.length === 0 && nextCursor === null) {
    return <p class="muted list-empty">{props.loading ? 'Loading…' : 'No conversations here.'}</p>;
  }
  const focusable = conversations.some((c) => c.id === cursorId) ? cursorId : conversations[0]?.id;

  return (
    <ul class="conversation-list" ref={listRef} aria-label="Conversations">
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
                {props.showStatus && (
                  <span class={`badge status-${conversation.status}`} data-testid="item-status">
                    {STATUS_LABELS[conversation.status]}
                  </span>
                )}
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
      {nextCursor !== null && (
        <li class="list-more" ref={endRef} aria-live="polite">
          {/* One button throughout, so keyboard focus stays on it while its page loads. */}
          <button
            type="button"
            data-testid="load-more"
            aria-disabled={props.loadingMore ? 'true' : undefined}
            onClick={() => props.onLoadMore()}
          >
            {props.loadingMore ? 'Loading…' : 'Load more'}
          </button>
        </li>
      )}
    </ul>
  );
}
