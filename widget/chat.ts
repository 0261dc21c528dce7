// The widget's state and what the visitor can do with it. The protocol's client half lives in client/:
// a Connection moves frames, an Outbox delivers what the visitor writes, a ConversationLog holds the
// conversation in seq order. This file wires them to the page, the session and the UI.
import { ErrorCodes, MAX_MESSAGE_LENGTH } from '../protocol/index.ts';
import type {
  AckFrame, ClientFrame, MessageView, ServerFrame, VisitorReady, WidgetSessionResponse, WidgetSettings,
} from '../protocol/index.ts';
import { backoffDelay } from '../client/backoff.ts';
import { Connection, socketUrl } from '../client/connection.ts';
import { ConversationLog } from '../client/conversation-log.ts';
import { Outbox, messageFromAck, type OutboxItem } from '../client/outbox.ts';
import { requestSession, type VisitorIdentity } from './session.ts';
import type { SafeStorage } from './storage.ts';
import { transcriptEntries, type Entry } from './transcript.ts';
import { warnOnce } from './warn.ts';

export interface ChatState {
  settings: WidgetSettings;
  teamOnline: boolean;
  /** Within the site's business hours; when not, opensAt says when the team is back (ISO 8601). */
  teamOpen: boolean;
  opensAt: string | null;
  open: boolean;
  entries: Entry[];
  /** Name of the agent typing right now, if any. */
  typingName: string | null;
  /** Agent messages the visitor has not seen with the panel open. */
  unread: number;
}

export interface ChatOptions {
  base: string;
  siteKey: string;
  storage: SafeStorage;
  /** The first session is in: there is something to show. */
  onMount: () => void;
  /** The site refuses this page: take everything down. */
  onUnmount: () => void;
}

interface SeenMark { conversationId: string; seq: number }

const TYPING_REPEAT_MS = 2_000;
const TYPING_IDLE_MS = 3_000;
/** Clears an agent's typing indicator whose `typing: false` got lost. */
const TYPING_EXPIRY_MS = 10_000;
/** A mobile browser often kills a background tab's socket without telling the page. */
const LONG_HIDDEN_MS = 30_000;
const SESSION_BACKOFF = { firstMs: 1_000, capMs: 30_000 };
/** Storage keys, under the per-site namespace. */
const TOKEN = 'token', VISITOR = 'visitor', CONVERSATION = 'conversation', OUTBOX = 'outbox', SEEN = 'seen';
/** Close reasons after which this page may not show the widget at all. */
const REFUSALS: readonly string[] = [ErrorCodes.ORIGIN_NOT_ALLOWED, ErrorCodes.SITE_NOT_FOUND];

export class Chat {
  state: ChatState = {
    settings: { title: 'Chat', greeting: '', color: '#4f46e5', position: 'right' },
    teamOnline: false,
    teamOpen: true,
    opensAt: null,
    open: false,
    entries: [],
    typingName: null,
    unread: 0,
  };
  private readonly listeners = new Set<() => void>();
  private readonly storage: SafeStorage;
  private readonly outbox: Outbox;
  private token: string | null;
  private conversationId: string | null = null;
  private log: ConversationLog | null = null;
  private seenSeq: number | null = null;
  private connection: Connection | null = null;
  private unwatchPage: (() => void) | null = null;
  /** The connection gave up for good: pending messages show as failed until the visitor retries. */
  private connectionLost = false;
  private hasSession = false;
  private stopped = false;
  /** Someone asked for the socket (panel opened, message written) before the session was in. */
  private socketWanted = false;
  private typingSentAt = 0;
  private typingIdleTimer: ReturnType<typeof setTimeout> | undefined;
  private typingExpiryTimer: ReturnType<typeof setTimeout> | undefined;
  private typingAgentId: string | null = null;
  private identity: VisitorIdentity | null = null;
  private reopenTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly options: ChatOptions) {
    this.storage = options.storage;
    this.token = this.storage.get<string>(TOKEN);
    this.outbox = new Outbox({
      storage: this.storage,
      key: OUTBOX,
      transport: { send: (frame) => this.sendFrame(frame) },
      // The server would refuse such a message again (too long, forbidden…): forget it once the page goes.
      persistFailed: false,
      onChange: () => this.showTranscript(),
      onAcknowledged: (item, ack) => this.acknowledged(item, ack),
    });
    this.adoptConversation(this.storage.get<string>(CONVERSATION));
    this.showTranscript();
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async start(): Promise<void> {
    if (!(await this.establishSession())) return;
    // A conversation survives the session only when the stored token still named the same visitor.
    // Such a returning visitor (or one with words still to deliver) gets replies live; anyone else
    // gets a socket only once they open the panel.
    if (this.conversationId || this.outbox.items.length || this.socketWanted) this.connect();
  }

  setOpen(open: boolean): void {
    if (this.stopped || open === this.state.open) return;
    this.update({ open });
    if (open) this.connect();
  }

  /** Returns whether the text was taken (and the composer may clear). */
  send(text: string): boolean {
    const body = text.trim();
    if (!body || body.length > MAX_MESSAGE_LENGTH || this.stopped) return false;
    this.outbox.add(body);
    this.stopTyping();
    this.connect();
    return true;
  }

  retry(clientId: string): void {
    this.outbox.retry(clientId);
    this.connect();
  }

  /**
   * The host page's signed-in user. Before the first session (data-user-*, or a queued
   * Parley('identify', …)) it rides on that session; later, it trades the session for the user's.
   */
  identify(identity: VisitorIdentity): void {
    this.identity = identity;
    if (!this.hasSession || this.stopped) return;
    void this.establishSession().then((ok) => {
      if (ok && this.connection) {
        this.dropConnection();
        this.connect();
      }
    });
  }

  /** Call on every keystroke in the composer; the chat decides what reaches the wire. */
  noteTyping(): void {
    const now = Date.now();
    if (now - this.typingSentAt >= TYPING_REPEAT_MS && this.sendTyping(true)) this.typingSentAt = now;
    clearTimeout(this.typingIdleTimer);
    this.typingIdleTimer = setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
  }

  // ---- session and socket ----------------------------------------------------------------------

  /** Gets a token, retrying network failures quietly; false when the server refused this page. */
  private async establishSession(): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      const result = await requestSession(this.options.base, this.options.siteKey, this.token, this.identity);
      if (this.stopped) return false;
      if (result.kind === 'ok') {
        this.applySession(result.session);
        return true;
      }
      if (result.kind === 'refused') {
        this.shutDown(result.message ? `${result.code}: ${result.message}` : result.code);
        return false;
      }
      await new Promise((resolve) => setTimeout(resolve, backoffDelay(attempt, SESSION_BACKOFF)));
    }
  }

  private applySession(session: WidgetSessionResponse): void {
    this.token = session.token;
    this.storage.set(TOKEN, session.token);
    // The old token was no longer valid and the server made a new visitor: the conversation held
    // here belongs to someone the server no longer recognises.
    if (this.storage.get<string>(VISITOR) !== session.visitorId) {
      this.storage.set(VISITOR, session.visitorId);
      this.adoptConversation(null);
    }
    const team = session.team;
    this.update({ settings: session.settings, teamOnline: team?.online === true, teamOpen: team?.open !== false, opensAt: team?.opensAt ?? null });
    // The away notice ends by itself when the team is back, without another session.
    clearTimeout(this.reopenTimer);
    const backInMs = team?.opensAt ? Date.parse(team.opensAt) - Date.now() : NaN;
    if (backInMs > 0 && backInMs < 2 ** 31) this.reopenTimer = setTimeout(() => this.update({ teamOpen: true, opensAt: null }), backInMs);
    if (!this.hasSession) {
      this.hasSession = true;
      this.options.onMount();
    }
  }

  private connect(): void {
    this.socketWanted = true;
    if (this.connection || !this.hasSession || this.stopped) return;
    if (this.connectionLost) {
      this.connectionLost = false;
      this.showTranscript();
    }
    const connection = new Connection({
      url: socketUrl(this.options.base),
      token: () => this.token ?? '',
      openSocket: (url, protocols) => new WebSocket(url, protocols),
      renewToken: () => this.establishSession(),
      onFrame: (frame) => this.receiveFrame(frame),
      onStop: (reason) => this.connectionStopped(reason),
    });
    this.connection = connection;
    this.unwatchPage = this.watchPage(connection);
    connection.start();
  }

  /** Back online, or back in a tab hidden long enough for the socket to have died unnoticed. */
  private watchPage(connection: Connection): () => void {
    let hiddenSince = 0;
    const wake = () => connection.wake();
    const onVisibilityChange = () => {
      if (document.visibilityState === 'hidden') {
        hiddenSince = Date.now();
      } else if (hiddenSince && Date.now() - hiddenSince > LONG_HIDDEN_MS) {
        if (connection.ready) this.log?.resume();
        else wake();
      }
    };
    addEventListener('online', wake);
    document.addEventListener('visibilitychange', onVisibilityChange);
    return () => {
      removeEventListener('online', wake);
      document.removeEventListener('visibilitychange', onVisibilityChange);
    };
  }

  private dropConnection(): void {
    this.connection?.stop();
    this.connection = null;
    this.unwatchPage?.();
    this.unwatchPage = null;
  }

  private connectionStopped(reason: string): void {
    this.dropConnection();
    if (this.stopped) return;
    if (REFUSALS.includes(reason)) return this.shutDown(reason);
    // The socket cannot come back by itself; the visitor's Retry (or next message) tries again.
    warnOnce(`connection closed (${reason})`);
    this.showAgentTyping(null);
    this.connectionLost = true;
    this.showTranscript();
  }

  private shutDown(reason: string): void {
    warnOnce(reason);
    this.stopped = true;
    clearTimeout(this.reopenTimer);
    this.dropConnection();
    this.outbox.stop();
    this.log?.stop();
    if (this.hasSession) this.options.onUnmount();
  }

  private sendFrame(frame: ClientFrame): boolean {
    return this.connection?.send(frame) ?? false;
  }

  // ---- frames ----------------------------------------------------------------------------------

  private receiveFrame(frame: ServerFrame): void {
    // First, so that a message the server stored leaves the outbox before the transcript shows it.
    this.outbox.receive(frame);
    switch (frame.type) {
      case 'ready':
        if (frame.role === 'visitor') this.receiveReady(frame);
        break;
      case 'message':
        // Live messages to a visitor are always about their current conversation, even one just
        // started from another tab.
        this.adoptConversation(frame.message.conversationId);
        this.receiveMessages([frame.message]);
        break;
      case 'messages':
        if (frame.conversationId !== this.conversationId || !this.log) break;
        this.log.receivePage(frame);
        this.showTranscript();
        break;
      case 'typing':
        if (frame.authorKind === 'agent' && frame.conversationId === this.conversationId) {
          this.showAgentTyping(frame.typing ? frame.authorId : null, frame.authorName);
        }
        break;
      case 'team':
        this.update({ teamOnline: frame.online });
        break;
      case 'resync':
        // Live frames may have been lost between server nodes: fetch whatever came after what we hold.
        this.log?.resume();
        break;
    }
  }

  private receiveReady(ready: VisitorReady): void {
    this.update({ settings: ready.settings, teamOnline: ready.team.online });
    this.adoptConversation(ready.conversation?.id ?? null);
    const log = this.log;
    if (!log || !ready.conversation) return;
    // A fresh page shows the latest messages `ready` carries, not the whole history before them.
    const first = ready.messages[0];
    if (first && !log.messages.length) log.skipTo(first.seq - 1);
    this.receiveMessages(ready.messages);
    // Whatever came between what we held and those latest messages is fetched.
    if (log.contiguousSeq < ready.conversation.lastSeq) log.resume();
  }

  private acknowledged(item: OutboxItem, ack: AckFrame): void {
    this.adoptConversation(ack.conversationId);
    const author = { authorKind: 'visitor', authorId: this.storage.get<string>(VISITOR), authorName: null } as const;
    this.receiveMessages([messageFromAck(item, ack, author)]);
  }

  private receiveMessages(messages: readonly MessageView[]): void {
    if (!this.log) return;
    const ours = messages.filter((message) => message.conversationId === this.conversationId);
    this.log.merge(ours);
    if (ours.some((message) => message.authorId !== null && message.authorId === this.typingAgentId)) {
      this.showAgentTyping(null);
    }
    this.showTranscript();
  }

  /** Switches the transcript to another conversation (or none), keeping undelivered messages. */
  private adoptConversation(conversationId: string | null): void {
    if (conversationId === this.conversationId) return;
    this.conversationId = conversationId;
    if (conversationId) this.storage.set(CONVERSATION, conversationId);
    else this.storage.remove(CONVERSATION);
    this.log?.stop();
    this.log = conversationId
      ? new ConversationLog(conversationId, {
        requestSync: (afterSeq) => this.sendFrame({ type: 'sync', conversationId, afterSeq }),
      })
      : null;
    this.seenSeq = this.loadSeenSeq();
    this.showAgentTyping(null);
    this.showTranscript();
  }

  // ---- typing ----------------------------------------------------------------------------------

  private sendTyping(typing: boolean): boolean {
    if (!this.conversationId) return false;
    return this.sendFrame({ type: 'typing', conversationId: this.conversationId, typing });
  }

  private stopTyping(): void {
    clearTimeout(this.typingIdleTimer);
    if (!this.typingSentAt) return;
    this.typingSentAt = 0;
    this.sendTyping(false);
  }

  private showAgentTyping(agentId: string | null, name: string | null = null): void {
    clearTimeout(this.typingExpiryTimer);
    this.typingAgentId = agentId;
    if (agentId) this.typingExpiryTimer = setTimeout(() => this.showAgentTyping(null), TYPING_EXPIRY_MS);
    const typingName = agentId ? name ?? this.agentName(agentId) : null;
    if (typingName !== this.state.typingName) this.update({ typingName });
  }

  private agentName(agentId: string): string {
    const byAgent = this.state.entries.filter((entry) => entry.authorId === agentId && entry.authorName);
    return byAgent[byAgent.length - 1]?.authorName ?? 'Support';
  }

  // ---- persistence and notification -------------------------------------------------------------

  private loadSeenSeq(): number | null {
    const mark = this.storage.get<SeenMark>(SEEN);
    return mark && mark.conversationId === this.conversationId && typeof mark.seq === 'number' ? mark.seq : null;
  }

  private showTranscript(): void {
    this.update({ entries: transcriptEntries(this.log?.messages ?? [], this.outbox.items, this.connectionLost) });
  }

  private update(patch: Partial<ChatState>): void {
    const next = { ...this.state, ...patch };
    const newest = next.entries.reduce((highest, entry) => Math.max(highest, entry.seq ?? 0), 0);
    // The first time a conversation's messages show up here, its history counts as read; after that,
    // only what arrives while the panel is open does.
    const firstSight = this.seenSeq === null;
    if (this.conversationId && newest > (this.seenSeq ?? 0) && (next.open || firstSight)) {
      this.seenSeq = newest;
      this.storage.set(SEEN, { conversationId: this.conversationId, seq: this.seenSeq } satisfies SeenMark);
    }
    const seen = this.seenSeq ?? newest;
    next.unread = next.entries.filter((entry) => entry.authorKind === 'agent' && (entry.seq ?? 0) > seen).length;
    this.state = next;
    for (const listener of this.listeners) listener();
  }
}
