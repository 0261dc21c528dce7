// The widget's state and what the visitor can do with it. It speaks the protocol over a Connection,
// keeps undelivered messages in a persisted outbox, and tells the UI when anything changed.
import { ErrorCodes, MAX_MESSAGE_LENGTH, isTemporary } from '../protocol/index.ts';
import type {
  ClientFrame, ErrorFrame, MessageView, ServerFrame, VisitorReady, WidgetSessionResponse, WidgetSettings,
} from '../protocol/index.ts';
import { Connection, backoffDelay } from './connection.ts';
import { requestSession } from './session.ts';
import type { SafeStorage } from './storage.ts';
import {
  acknowledge, highestSeq, mergeMessages, pendingEntries, pendingEntry, setStatus, type Entry,
} from './transcript.ts';
import { warnOnce } from './warn.ts';

export interface ChatState {
  settings: WidgetSettings;
  teamOnline: boolean;
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

interface OutboxItem { clientId: string; body: string }
interface SeenMark { conversationId: string; seq: number }

const TYPING_REPEAT_MS = 2_000;
const TYPING_IDLE_MS = 3_000;
/** Clears an agent's typing indicator whose `typing: false` got lost. */
const TYPING_EXPIRY_MS = 10_000;
const DEFAULT_RETRY_MS = 2_000;
/** Storage keys, under the per-site namespace. */
const TOKEN = 'token', VISITOR = 'visitor', CONVERSATION = 'conversation', OUTBOX = 'outbox', SEEN = 'seen';
/** Close reasons after which this page may not show the widget at all. */
const REFUSALS: readonly string[] = [ErrorCodes.ORIGIN_NOT_ALLOWED, ErrorCodes.SITE_NOT_FOUND];

export class Chat {
  state: ChatState = {
    settings: { title: 'Chat', greeting: '', color: '#4f46e5', position: 'right' },
    teamOnline: false,
    open: false,
    entries: [],
    typingName: null,
    unread: 0,
  };
  private readonly listeners = new Set<() => void>();
  private readonly storage: SafeStorage;
  private token: string | null;
  private conversationId: string | null;
  private seenSeq: number | null = null;
  private connection: Connection | null = null;
  private hasSession = false;
  private stopped = false;
  /** Someone asked for the socket (panel opened, message written) before the session was in. */
  private socketWanted = false;
  private typingSentAt = 0;
  private typingIdleTimer: ReturnType<typeof setTimeout> | undefined;
  private typingExpiryTimer: ReturnType<typeof setTimeout> | undefined;
  private typingAgentId: string | null = null;
  /** The message sent and not yet answered. One at a time, so messages are stored in the order written. */
  private inFlight: string | null = null;

  constructor(private readonly options: ChatOptions) {
    this.storage = options.storage;
    this.token = this.storage.get<string>(TOKEN);
    this.conversationId = this.storage.get<string>(CONVERSATION);
    this.seenSeq = this.loadSeenSeq();
    this.state.entries = this.storedOutbox().map((item) => pendingEntry(item.clientId, item.body));
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
    if (this.conversationId || pendingEntries(this.state.entries).length || this.socketWanted) {
      this.connect();
    }
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
    const item: OutboxItem = { clientId: newClientId(), body };
    this.changeStoredOutbox((stored) => [...stored, item]);
    this.update({ entries: [...this.state.entries, pendingEntry(item.clientId, body)] });
    this.stopTyping();
    this.pump();
    return true;
  }

  retry(clientId: string): void {
    const entry = this.state.entries.find((candidate) => candidate.seq === null && candidate.clientId === clientId);
    if (!entry) return;
    const item = { clientId, body: entry.body };
    this.changeStoredOutbox((stored) => [...stored.filter((other) => other.clientId !== clientId), item]);
    this.update({ entries: setStatus(this.state.entries, clientId, 'sending') });
    this.pump();
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
      const result = await requestSession(this.options.base, this.options.siteKey, this.token);
      if (this.stopped) return false;
      if (result.kind === 'ok') {
        this.applySession(result.session);
        return true;
      }
      if (result.kind === 'refused') {
        this.shutDown(result.message ? `${result.code}: ${result.message}` : result.code);
        return false;
      }
      await new Promise((resolve) => setTimeout(resolve, backoffDelay(attempt, 1_000)));
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
    this.update({ settings: session.settings, teamOnline: session.team?.online === true });
    if (!this.hasSession) {
      this.hasSession = true;
      this.options.onMount();
    }
  }

  private connect(): void {
    this.socketWanted = true;
    if (this.connection || !this.hasSession || this.stopped) return;
    this.connection = new Connection({
      base: this.options.base,
      token: () => this.token ?? '',
      refreshToken: async () => ((await this.establishSession()) ? this.token : null),
      onFrame: (frame) => this.receiveFrame(frame),
      onWake: () => this.catchUp(),
      onStop: (reason) => this.connectionStopped(reason),
    });
    this.connection.start();
  }

  private connectionStopped(reason: string): void {
    this.connection = null;
    if (this.stopped) return;
    if (REFUSALS.includes(reason)) return this.shutDown(reason);
    // The socket cannot come back by itself; the visitor's Retry (or next message) tries again.
    warnOnce(`connection closed (${reason})`);
    this.showAgentTyping(null);
    this.inFlight = null;
    let entries = this.state.entries;
    for (const entry of pendingEntries(entries)) entries = setStatus(entries, entry.clientId, 'failed');
    this.update({ entries });
  }

  private shutDown(reason: string): void {
    warnOnce(reason);
    this.stopped = true;
    this.connection?.stop();
    this.connection = null;
    if (this.hasSession) this.options.onUnmount();
  }

  private sendFrame(frame: ClientFrame): boolean {
    return this.connection?.send(frame) ?? false;
  }

  /**
   * Sends the oldest undelivered message if none is awaiting its answer. Without a ready socket it
   * asks for one; the outbox is flushed on the next `ready`.
   */
  private pump(): void {
    if (this.inFlight) return;
    const undelivered = new Set(this.storedOutbox().map((item) => item.clientId));
    const next = pendingEntries(this.state.entries).find((entry) => entry.status === 'sending' && undelivered.has(entry.clientId));
    if (!next) return;
    if (this.sendFrame({ type: 'message.send', clientId: next.clientId, body: next.body })) this.inFlight = next.clientId;
    else this.connect();
  }

  /** The message in flight got its answer (ack, echo or refusal): the next one may go. */
  private answered(clientId: string): void {
    if (this.inFlight !== clientId) return;
    this.inFlight = null;
    this.pump();
  }

  // ---- frames ----------------------------------------------------------------------------------

  private receiveFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case 'ready':
        if (frame.role === 'visitor') this.receiveReady(frame);
        break;
      case 'ack':
        this.adoptConversation(frame.conversationId);
        this.changeStoredOutbox((stored) => stored.filter((item) => item.clientId !== frame.clientId));
        this.update({ entries: acknowledge(this.state.entries, frame.clientId, frame.seq) });
        this.answered(frame.clientId);
        break;
      case 'message':
        // Live messages to a visitor are always about their current conversation, even one just
        // started from another tab.
        this.adoptConversation(frame.message.conversationId);
        this.receiveMessages([frame.message]);
        break;
      case 'messages':
        if (frame.conversationId !== this.conversationId) break;
        this.receiveMessages(frame.messages);
        // Continue from this page's end, not from the highest seq held: live messages may already
        // sit beyond a gap that the next pages fill.
        if (frame.hasMore && frame.messages.length) this.sync(frame.messages[frame.messages.length - 1]!.seq);
        break;
      case 'typing':
        if (frame.authorKind === 'agent' && frame.conversationId === this.conversationId) {
          this.showAgentTyping(frame.typing ? frame.authorId : null, frame.authorName);
        }
        break;
      case 'team':
        this.update({ teamOnline: frame.online });
        break;
      case 'error':
        this.receiveError(frame);
        break;
    }
  }

  private receiveReady(ready: VisitorReady): void {
    const heldConversation = this.conversationId;
    const resumeFrom = highestSeq(this.state.entries);
    this.update({ settings: ready.settings, teamOnline: ready.team.online });
    this.adoptConversation(ready.conversation?.id ?? null);
    this.receiveMessages(ready.messages);
    // `ready` carries only the latest messages; whatever came between them and what we hold is fetched.
    if (heldConversation && heldConversation === this.conversationId && resumeFrom > 0) this.sync(resumeFrom);
    this.flushOutbox();
  }

  /**
   * Resends, in order and with their original clientIds, the messages still in the stored outbox (the
   * server acknowledges a duplicate without storing it twice). Messages the server refused are no
   * longer there: they wait for the visitor's Retry, since resending them unasked would fail again.
   */
  private flushOutbox(): void {
    const undelivered = new Set(this.storedOutbox().map((item) => item.clientId));
    let entries = this.state.entries;
    for (const entry of pendingEntries(entries)) {
      if (undelivered.has(entry.clientId)) entries = setStatus(entries, entry.clientId, 'sending');
    }
    this.update({ entries });
    // A new connection: whatever was in flight on the old one is sent again (the server dedupes).
    this.inFlight = null;
    this.pump();
  }

  private receiveMessages(messages: readonly MessageView[]): void {
    const ours = messages.filter((message) => message.conversationId === this.conversationId);
    const entries = mergeMessages(this.state.entries, ours);
    if (entries === this.state.entries) return;
    // A message of ours can come back without its ack (the socket dropped in between): it is delivered.
    const delivered = new Set(ours.map((message) => message.clientId));
    if (pendingEntries(this.state.entries).some((entry) => delivered.has(entry.clientId))) {
      this.changeStoredOutbox((stored) => stored.filter((item) => !delivered.has(item.clientId)));
    }
    const inFlight = this.inFlight;
    const stoppedTyping = ours.some((message) => message.authorId !== null && message.authorId === this.typingAgentId);
    if (stoppedTyping) this.showAgentTyping(null);
    this.update({ entries });
    if (inFlight && delivered.has(inFlight)) this.answered(inFlight);
  }

  private receiveError(error: ErrorFrame): void {
    const clientId = error.clientId;
    if (!clientId) return;
    const entry = this.state.entries.find((candidate) => candidate.seq === null && candidate.clientId === clientId);
    if (!entry) return;
    if (isTemporary(error.code)) {
      // It stays first in line: after the wait it is sent again, before anything written since.
      setTimeout(() => this.answered(clientId), error.retryAfterMs ?? DEFAULT_RETRY_MS);
      return;
    }
    // The server will refuse this message again (too long, forbidden…): forget it once the page goes.
    this.changeStoredOutbox((stored) => stored.filter((item) => item.clientId !== clientId));
    this.update({ entries: setStatus(this.state.entries, clientId, 'failed') });
    this.answered(clientId);
  }

  private sync(afterSeq: number): void {
    if (this.conversationId) this.sendFrame({ type: 'sync', conversationId: this.conversationId, afterSeq });
  }

  private catchUp(): void {
    this.sync(highestSeq(this.state.entries));
  }

  /** Switches the transcript to another conversation (or none), keeping undelivered messages. */
  private adoptConversation(conversationId: string | null): void {
    if (conversationId === this.conversationId) return;
    this.conversationId = conversationId;
    if (conversationId) this.storage.set(CONVERSATION, conversationId);
    else this.storage.remove(CONVERSATION);
    this.seenSeq = this.loadSeenSeq();
    this.showAgentTyping(null);
    this.update({ entries: pendingEntries(this.state.entries) });
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

  /**
   * Read-modify-write, so that two tabs of the same site add and remove their own items without
   * erasing each other's.
   */
  private changeStoredOutbox(change: (stored: OutboxItem[]) => OutboxItem[]): void {
    const next = change(this.storedOutbox());
    if (next.length) this.storage.set(OUTBOX, next);
    else this.storage.remove(OUTBOX);
  }

  private storedOutbox(): OutboxItem[] {
    const stored = this.storage.get<OutboxItem[]>(OUTBOX);
    return Array.isArray(stored)
      ? stored.filter((item) => typeof item?.clientId === 'string' && typeof item.body === 'string')
      : [];
  }

  private loadSeenSeq(): number | null {
    const mark = this.storage.get<SeenMark>(SEEN);
    return mark && mark.conversationId === this.conversationId && typeof mark.seq === 'number' ? mark.seq : null;
  }

  private update(patch: Partial<ChatState>): void {
    const next = { ...this.state, ...patch };
    const newest = highestSeq(next.entries);
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

/** crypto.randomUUID exists only in secure contexts and recent browsers; the server needs a UUID either way. */
function newClientId(): string {
  const cryptoApi = globalThis.crypto;
  if (typeof cryptoApi?.randomUUID === 'function') return cryptoApi.randomUUID();
  const bytes = new Uint8Array(16);
  if (cryptoApi?.getRandomValues) cryptoApi.getRandomValues(bytes);
  else for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
