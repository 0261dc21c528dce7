// The left column: view tabs with their counts, the status filter, then the list.
import type { ComponentChildren } from 'preact';
import type { ConversationListView, ConversationStatus } from '../../../protocol/index.ts';

interface SidebarProps {
  view: ConversationListView;
  status: ConversationStatus;
  counts: Readonly<Record<ConversationListView, number>>;
  onView(view: ConversationListView): void;
  onStatus(status: ConversationStatus): void;
  children: ComponentChildren;
}

export const VIEWS: ReadonlyArray<readonly [ConversationListView, string]> = [
  ['unassigned', 'Unassigned'],
  ['mine', 'Mine'],
  ['all', 'All'],
];

const STATUSES: ReadonlyArray<readonly [ConversationStatus, string]> = [
  ['open', 'Open'],
  ['pending', 'Pending'],
  ['snoozed', 'Snoozed'],
  ['resolved', 'Resolved'],
];

export function Sidebar({ view, status, counts, onView, onStatus, children }: SidebarProps) {
  return (
    <nav class="sidebar" aria-label="Inbox">
      <div class="tabs" role="group" aria-label="View">
        {VIEWS.map(([id, label], index) => (
          <button
            key={id}
            type="button"
            aria-pressed={view === id}
            data-testid={`view-${id}`}
            title={`${label} (${index + 1})`}
            class={view === id ? 'tab active' : 'tab'}
            onClick={() => onView(id)}
          >
            {label} <span class="count">{counts[id]}</span>
          </button>
        ))}
      </div>
      <div class="status-filter" role="group" aria-label="Status">
        {STATUSES.map(([id, label]) => (
          <button
            key={id}
            type="button"
            aria-pressed={status === id}
            data-testid={`status-${id}`}
            class={status === id ? 'chip active' : 'chip'}
            onClick={() => onStatus(id)}
          >
            {label}
          </button>
        ))}
      </div>
      {children}
    </nav>
  );
}
