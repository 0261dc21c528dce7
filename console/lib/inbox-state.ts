// Everything the inbox knows, as one pure reducer: REST answers and socket frames both become
// actions, so a message that arrives twice (live and in a sync page) lands in one place and is
// merged by seq exactly once.
import type {
  AgentView,
  Availability,
  ConversationListView,
  ConversationStatus,
  ConversationView,
  MessageView,
  NoteView,
} from '../../protocol/index.ts';
import { mergeBySeq } from '../../client/conversation-log.ts';

export interface InboxState {
  me: AgentView;
  agents: Record<string, AgentView>;
  /** Every conversation we know of, whichever list it belongs to; lists are derived from this. */
  conversations: Record<string, ConversationView>;
  /** Loaded transcripts, oldest first, for the open conversation and a few recent ones. */
  transcripts: Record<string, readonly MessageView[]>;
  /** Private notes, oldest first, of the conversations whose transcript is loaded. */
  notes: Record<string, readonly NoteView[]>;
  /** Conversations whose visitor is typing right now. */
  visitorTyping: Record<string, boolean>;
  openId: string | null;
  /** Highest seq seen per conversation; anything from the visitor above it is unread. */
  readSeqs: Record<string, number>;
  /** How far each list (by listKey) has been loaded, page by page; a list not loaded yet is absent. */
  pages: Record<string, ListProgress>;
}

export interface ListProgress {
  /** Where the next page starts; null when the server has nothing older. */
  nextCursor: string | null;
  /** Conversations the loaded pages held: a reload fetches at least this many again. */
  loaded: number;
}

/** One page (or several in a row) of one list, as the server answered it. */
export interface ListPage {
  view: ConversationListView;
  conversations: ConversationView[];
  nextCursor: string | null;
}

export type InboxAction =
  | { type: 'ready'; agent: AgentView; agents: AgentView[] }
  | { type: 'agents'; agents: AgentView[] }
  | { type: 'presence'; agentId: string; availability: Availability }
  /** Every view of one status, from its first page: replaces what we held for that status. */
  | { type: 'listLoaded'; status: ConversationStatus; lists: ListPage[] }
  /** The page after `after`, appended only if the list still ends there. */
  | { type: 'pageLoaded'; status: ConversationStatus; after: string; page: ListPage }
  | { type: 'conversation'; conversation: ConversationView }
  | { type: 'messages'; conversationId: string; messages: MessageView[] }
  | { type: 'message'; message: MessageView }
  | { type: 'notes'; conversationId: string; notes: readonly NoteView[] }
  | { type: 'note'; note: NoteView }
  | { type: 'typing'; conversationId: string; typing: boolean }
  | { type: 'open'; conversationId: string | null };

/** Transcripts kept besides the open one: going back to a recent conversation is instant. */
const CACHED_TRANSCRIPTS = 20;

export function initialInboxState(me: AgentView, readSeqs: Record<string, number>): InboxState {
  return {
    me,
    agents: { [me.id]: me },
    conversations: {},
    transcripts: {},
    notes: {},
    visitorTyping: {},
    openId: null,
    readSeqs,
    pages: {},
  };
}

export function inboxReducer(state: InboxState, action: InboxAction): InboxState {
  switch (action.type) {
    case 'ready':
      return { ...state, me: action.agent, agents: byId(action.agents.concat(action.agent)) };

    case 'agents':
      return { ...state, agents: { ...byId(action.agents), [state.me.id]: state.agents[state.me.id] ?? state.me } };

    case 'presence': {
      const agent = state.agents[action.agentId];
      if (!agent || agent.availability === action.availability) return state;
      const updated = { ...agent, availability: action.availability };
      return {
        ...state,
        me: agent.id === state.me.id ? updated : state.me,
        agents: { ...state.agents, [agent.id]: updated },
      };
    }

    case 'listLoaded': {
      // The server's lists replace what we held for that status (a conversation may have been
      // resolved while we were offline), except the open one, which stays on screen. A reload
      // after a reconnect asks for as many conversations as each list had loaded (see `loaded`),
      // so pages the agent scrolled to stay; switching status asks for first pages only.
      const conversations: Record<string, ConversationView> = {};
      for (const c of Object.values(state.conversations)) {
        if (c.status !== action.status || c.id === state.openId) conversations[c.id] = c;
      }
      const pages = { ...state.pages };
      for (const list of action.lists) {
        for (const c of list.conversations) conversations[c.id] = newer(conversations[c.id], c);
        pages[listKey(list.view, action.status)] = { nextCursor: list.nextCursor, loaded: list.conversations.length };
      }
      return { ...state, conversations, pages };
    }

    case 'pageLoaded': {
      const key = listKey(action.page.view, action.status);
      const held = state.pages[key];
      // A page asked for before a reload (or asked for twice) no longer continues the list.
      if (held?.nextCursor !== action.after) return state;
      const conversations = { ...state.conversations };
      for (const c of action.page.conversations) conversations[c.id] = newer(conversations[c.id], c);
      const loaded = held.loaded + action.page.conversations.length;
      return { ...state, conversations, pages: { ...state.pages, [key]: { nextCursor: action.page.nextCursor, loaded } } };
    }

    case 'conversation': {
      const { conversation } = action;
      const held = state.conversations[conversation.id];
      const next = newer(held, conversation);
      if (next === held) return state;
      return { ...state, conversations: { ...state.conversations, [next.id]: next } };
    }

    case 'messages': {
      if (action.messages.length === 0 && state.transcripts[action.conversationId]) return state;
      const held = state.transcripts[action.conversationId] ?? [];
      let next: InboxState = {
        ...state,
        transcripts: { ...state.transcripts, [action.conversationId]: mergeBySeq(held, action.messages) },
      };
      const last = action.messages[action.messages.length - 1];
      if (last) next = noteMessage(next, last);
      return next;
    }

    case 'message': {
      const { message } = action;
      // Transcripts we have not loaded stay unloaded: opening the conversation fetches them whole.
      // The open one always takes the message, even while its first page is still on its way.
      const held =
        state.transcripts[message.conversationId] ?? (message.conversationId === state.openId ? [] : undefined);
      const next = held
        ? { ...state, transcripts: { ...state.transcripts, [message.conversationId]: mergeBySeq(held, [message]) } }
        : state;
      return noteMessage(next, message);
    }

    case 'notes': {
      const held = state.notes[action.conversationId] ?? [];
      return { ...state, notes: { ...state.notes, [action.conversationId]: mergeNotes(held, action.notes) } };
    }

    case 'note': {
      const { note } = action;
      // Like messages: notes of conversations not loaded are fetched whole when opened. The sender
      // gets their note twice (the POST's answer and the frame); merging by id keeps one.
      const held = state.notes[note.conversationId] ?? (note.conversationId === state.openId ? [] : undefined);
      if (!held) return state;
      return { ...state, notes: { ...state.notes, [note.conversationId]: mergeNotes(held, [note]) } };
    }

    case 'typing': {
      if (Boolean(state.visitorTyping[action.conversationId]) === action.typing) return state;
      return { ...state, visitorTyping: { ...state.visitorTyping, [action.conversationId]: action.typing } };
    }

    case 'open': {
      const id = action.conversationId;
      if (id === state.openId) return state;
      const transcripts = trimTranscripts(state.transcripts, id);
      const notes: Record<string, readonly NoteView[]> = {};
      for (const key of Object.keys(state.notes)) if (transcripts[key] || key === id) notes[key] = state.notes[key]!;
      const next = { ...state, openId: id, transcripts, notes };
      const conversation = id ? state.conversations[id] : undefined;
      return conversation ? markRead(next, conversation.id, conversation.lastSeq) : next;
    }
  }
}

/** A message moves its conversation to the top of the list and, when open, counts as read. */
function noteMessage(state: InboxState, message: MessageView): InboxState {
  let next = state;
  const conversation = state.conversations[message.conversationId];
  if (conversation && message.seq > conversation.lastSeq) {
    const updated: ConversationView = {
      ...conversation,
      lastSeq: message.seq,
      updatedAt: latest(conversation.updatedAt, message.createdAt),
      lastMessage: { body: message.body, authorKind: message.authorKind, createdAt: message.createdAt },
    };
    next = { ...next, conversations: { ...next.conversations, [updated.id]: updated } };
  }
  if (message.authorKind === 'visitor' && next.visitorTyping[message.conversationId]) {
    next = { ...next, visitorTyping: { ...next.visitorTyping, [message.conversationId]: false } };
  }
  if (message.conversationId === next.openId) next = markRead(next, message.conversationId, message.seq);
  return next;
}

function markRead(state: InboxState, conversationId: string, seq: number): InboxState {
  if ((state.readSeqs[conversationId] ?? 0) >= seq) return state;
  return { ...state, readSeqs: { ...state.readSeqs, [conversationId]: seq } };
}

/** Keeps whichever copy of a conversation is more recent; a late REST answer never undoes a frame. */
/** Of two copies of one conversation, what the inbox keeps: the newer, with the later last message. */
export function newer(held: ConversationView | undefined, incoming: ConversationView): ConversationView {
  if (!held) return incoming;
  if (incoming.updatedAt < held.updatedAt) return held;
  if (incoming.lastSeq < held.lastSeq) {
    return { ...incoming, lastSeq: held.lastSeq, lastMessage: held.lastMessage, updatedAt: held.updatedAt };
  }
  return incoming;
}

function trimTranscripts(transcripts: Record<string, readonly MessageView[]>, openId: string | null) {
  const ids = Object.keys(transcripts);
  if (ids.length <= CACHED_TRANSCRIPTS) return transcripts;
  // Object keys keep insertion order, so the first ones were loaded longest ago.
  const kept: Record<string, readonly MessageView[]> = {};
  for (const id of ids.slice(-CACHED_TRANSCRIPTS)) kept[id] = transcripts[id]!;
  if (openId && transcripts[openId]) kept[openId] = transcripts[openId];
  return kept;
}

/** Notes by id, oldest first: a note that arrives twice is kept once. */
export function mergeNotes(held: readonly NoteView[], incoming: readonly NoteView[]): readonly NoteView[] {
  const fresh = incoming.filter((note) => !held.some((h) => h.id === note.id));
  if (fresh.length === 0) return held;
  return [...held, ...fresh].sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
}

function byId(agents: AgentView[]): Record<string, AgentView> {
  const map: Record<string, AgentView> = {};
  for (const agent of agents) map[agent.id] = agent;
  return map;
}

function latest(a: string, b: string): string {
  return a > b ? a : b;
}

// ---- derived views -------------------------------------------------------------------------------

export function listKey(view: ConversationListView, status: ConversationStatus): string {
  return `${view}:${status}`;
}

export function matchesView(
  conversation: ConversationView,
  view: ConversationListView,
  status: ConversationStatus,
  meId: string,
): boolean {
  if (conversation.status !== status) return false;
  if (view === 'unassigned') return conversation.assigneeId === null;
  if (view === 'mine') return conversation.assigneeId === meId;
  return true;
}

/** Newest activity first, like the server's lists. */
export function listFor(
  state: InboxState,
  view: ConversationListView,
  status: ConversationStatus,
): ConversationView[] {
  return Object.values(state.conversations)
    .filter((c) => matchesView(c, view, status, state.me.id))
    .sort(byActivity);
}

/** The lists' order: newest activity first. */
export function byActivity(a: ConversationView, b: ConversationView): number {
  return a.updatedAt === b.updatedAt ? 0 : a.updatedAt < b.updatedAt ? 1 : -1;
}

export function isUnread(state: InboxState, conversation: ConversationView): boolean {
  return (
    conversation.id !== state.openId &&
    conversation.lastMessage?.authorKind === 'visitor' &&
    conversation.lastSeq > (state.readSeqs[conversation.id] ?? 0)
  );
}
