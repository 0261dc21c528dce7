// The main pane: who the visitor is, who owns the conversation and its status, the transcript,
// the visitor's typing indicator and the composer.
import type { RefObject } from 'preact';
import type { AgentView, Availability, ConversationStatus, ConversationView, MessageView, NoteView } from '../../../protocol/index.ts';
import type { OutboxItem } from '../../../client/outbox.ts';
import type { LoadCanned } from '../../lib/canned-responses.ts';
import { dayAndTime } from '../../lib/format.ts';
import { Composer, type ComposeMode } from '../composer/composer.tsx';
import { SnoozeMenu } from '../snooze-menu/snooze-menu.tsx';
import { Transcript } from '../transcript/transcript.tsx';

interface ConversationProps {
  conversation: ConversationView;
  messages: readonly MessageView[];
  notes: readonly NoteView[];
  pending: readonly OutboxItem[];
  agents: readonly AgentView[];
  me: AgentView;
  loading: boolean;
  error: string | null;
  offline: boolean;
  visitorTyping: boolean;
  composerRef: RefObject<HTMLTextAreaElement | null>;
  composeMode: ComposeMode;
  onComposeMode(mode: ComposeMode): void;
  onReload(): void;
  onAssign(agentId: string | null): void;
  onStatus(status: ConversationStatus): void;
  snoozeMenuOpen: boolean;
  onSnoozeMenu(open: boolean): void;
  onSnooze(until: Date): void;
  onSend(body: string): void;
  onNote(body: string): Promise<void>;
  loadCanned: LoadCanned;
  onTyping(conversationId: string, typing: boolean): void;
  onRetry(clientId: string): void;
  onDiscard(clientId: string): void;
}

const STATUS_LABELS: Record<ConversationStatus, string> = { open: 'Open', pending: 'Pending', snoozed: 'Snoozed', resolved: 'Resolved' };
export const PRESENCE_DOTS: Record<Availability, string> = { online: '●', away: '◐', offline: '○' };

export function Conversation(props: ConversationProps) {
  const { conversation, agents, me } = props;
  const assigneeKnown = conversation.assigneeId === null || agents.some((a) => a.id === conversation.assigneeId);
  const assignee = agents.find((a) => a.id === conversation.assigneeId);

  return (
    <section class="conversation" aria-labelledby="conversation-title">
      <header class="conversation-head">
        <div class="conversation-title">
          <h2 id="conversation-title">{conversation.visitorName}</h2>
          <span class={`badge status-${conversation.status}`} data-testid="conversation-status">
            {STATUS_LABELS[conversation.status]}
          </span>
          {conversation.status === 'snoozed' && conversation.snoozedUntil && (
            <span class="muted snoozed-until" data-testid="snoozed-until">
              Snoozed until {dayAndTime(conversation.snoozedUntil)}
            </span>
          )}
        </div>
        <div class="conversation-actions">
          <label class="assignee">
            <span>Assignee</span>
            {assignee && (
              <span class={`dot ${assignee.availability}`} title={assignee.availability} aria-hidden="true" />
            )}
            <select
              data-testid="assignee"
              value={conversation.assigneeId ?? ''}
              onChange={(e) => props.onAssign(e.currentTarget.value || null)}
            >
              <option value="">Unassigned</option>
              {!assigneeKnown && <option value={conversation.assigneeId ?? ''}>Unknown agent</option>}
              {agents.map((agent) => (
                <option key={agent.id} value={agent.id}>
                  {PRESENCE_DOTS[agent.availability]} {agent.name}
                  {agent.id === me.id ? ' (you)' : ''} — {agent.availability}
                </option>
              ))}
            </select>
          </label>
          {conversation.status === 'open' && (
            <button type="button" data-testid="mark-pending" onClick={() => props.onStatus('pending')}>
              Mark pending
            </button>
          )}
          {conversation.status !== 'resolved' && (
            <SnoozeMenu open={props.snoozeMenuOpen} onOpen={props.onSnoozeMenu} onSnooze={props.onSnooze} />
          )}
          {conversation.status !== 'open' && (
            <button type="button" data-testid="reopen" onClick={() => props.onStatus('open')}>
              Reopen
            </button>
          )}
          {conversation.status !== 'resolved' && (
            <button
              type="button"
              class="primary"
              data-testid="resolve"
              title="Resolve (e)"
              onClick={() => props.onStatus('resolved')}
            >
              Resolve
            </button>
          )}
        </div>
      </header>
      <Transcript
        messages={props.messages}
        notes={props.notes}
        pending={props.pending}
        loading={props.loading}
        error={props.error}
        offline={props.offline}
        onReload={props.onReload}
        onRetry={props.onRetry}
        onDiscard={props.onDiscard}
      />
      <p class="typing" aria-live="polite" data-testid="typing">
        {props.visitorTyping ? 'Visitor is typing…' : ''}
      </p>
      <Composer
        conversationId={conversation.id}
        inputRef={props.composerRef}
        mode={props.composeMode}
        onMode={props.onComposeMode}
        onSend={props.onSend}
        onNote={props.onNote}
        loadCanned={props.loadCanned}
        onTyping={props.onTyping}
      />
    </section>
  );
}
