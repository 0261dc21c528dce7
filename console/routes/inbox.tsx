// The inbox: owns the socket, the inbox state and the keyboard. REST answers and live frames both
// go through inboxReducer, so whichever arrives first, each message is shown once, in seq order.
// The settings screen (#/settings) takes the workspace's place here, so the socket stays open.
import { useEffect, useMemo, useReducer, useRef, useState } from 'preact/hooks';
import { ErrorCodes, errorEntry } from '../../protocol/index.ts';
import type { AgentView, ConversationStatus, ConversationView, ServerFrame } from '../../protocol/index.ts';
import type { ConnectionStatus } from '../../client/connection.ts';
import { contiguousSeq, nextPageAfter } from '../../client/conversation-log.ts';
import { messageFromAck, type OutboxItem } from '../../client/outbox.ts';
import { ApiError, type Api } from '../lib/api.ts';
import { inboxReducer, initialInboxState, isUnread, listFor, listKey } from '../lib/inbox-state.ts';
import { useConversationLists, type ListFilters } from '../lib/use-conversation-lists.ts';
import { openConsoleSocket, type ConsoleSocket } from '../lib/socket.ts';
import { isRecord, keys, readJson, readText, writeJson, writeText } from '../lib/storage.ts';
import { isEditable, useKeydown } from '../lib/shortcuts.ts';
import { useNotes } from '../lib/use-notes.ts';
import { cannedResponsesOf } from '../lib/canned-responses.ts';
import { useHash } from '../lib/use-hash.ts';
import { SETTINGS_HASH, Settings, canManage } from './settings.tsx';
import { Conversation } from '../components/conversation/conversation.tsx';
import type { ComposeMode } from '../components/composer/composer.tsx';
import { ConversationList } from '../components/conversation-list/conversation-list.tsx';
import { Sidebar, VIEWS } from '../components/sidebar/sidebar.tsx';
import { TopBar } from '../components/top-bar/top-bar.tsx';
import { ShortcutsHelp } from '../components/shortcuts-help/shortcuts-help.tsx';
import { SearchBox } from '../components/search-box/search-box.tsx';
import { searchResults, useConversationSearch } from '../lib/conversation-search.ts';

interface InboxProps {
  api: Api;
  getToken: () => string;
  agent: AgentView;
  onSignOut(notice?: string): void;
}

const STATUSES: readonly ConversationStatus[] = ['open', 'pending', 'snoozed', 'resolved'];
/** After this many failed connection attempts in a row, the token is checked over REST. */
const FAILURES_BEFORE_AUTH_CHECK = 3;
/** A visitor's typing:true that is never followed by false (tab closed) fades after this. */
const TYPING_TIMEOUT_MS = 8_000;
/** Read markers kept in localStorage; the oldest fall off first. */
const MAX_READ_MARKERS = 1_000;
const TITLE = 'Parley console';
/** Routing hands new conversations to online agents, so an agent's own queue is the place to start. */
const DEFAULT_FILTERS: ListFilters = { view: 'mine', status: 'open' };
/** The cursor this close to the end of the loaded conversations starts loading the next page. */
const PRELOAD_ITEMS = 5;
const VIEW_IDS = VIEWS.map(([view]) => view);

export function Inbox({ api, getToken, agent, onSignOut }: InboxProps) {
  const [state, dispatch] = useReducer(inboxReducer, agent, (me) =>
    initialInboxState(me, readJson(keys.readSeqs(me.id), isSeqMap) ?? {}),
  );
  const [filters, setFilters] = useState<ListFilters>(() => readJson(keys.filters, isFilters) ?? DEFAULT_FILTERS);
  const [connection, setConnection] = useState<ConnectionStatus>('connecting');
  const [outbox, setOutbox] = useState<readonly OutboxItem[]>([]);
  const [transcriptLoad, setTranscriptLoad] = useState<{ loading: boolean; error: string | null; attempt: number }>({
    loading: false,
    error: null,
    attempt: 0,
  });
  const [notice, setNotice] = useState<string | null>(null);
  const [cursorId, setCursorId] = useState<string | null>(null);
  // The results have a cursor of their own, so the list's is where the agent left it after a search.
  const [searchCursorId, setSearchCursorId] = useState<string | null>(null);
  const [helpOpen, setHelpOpen] = useState(false);
  const [now, setNow] = useState(Date.now);
  const [composeMode, setComposeMode] = useState<ComposeMode>('reply');
  const [snoozeMenuOpen, setSnoozeMenuOpen] = useState(false);

  const socket = useRef<ConsoleSocket | null>(null);
  const composerRef = useRef<HTMLTextAreaElement>(null);
  const listRef = useRef<HTMLUListElement>(null);
  const searchListRef = useRef<HTMLUListElement>(null);
  const searchInputRef = useRef<HTMLInputElement>(null);
  /** Escape left the search: focus goes back to the list's cursor once the list is shown again. */
  const refocusList = useRef(false);
  /** j pressed on the last loaded conversation: the cursor steps past it once the next page lands. */
  const stepAfterLoad = useRef<string | null>(null);
  // Socket callbacks are created once; they read the current state through these refs.
  const stateRef = useRef(state);
  stateRef.current = state;
  const filtersRef = useRef(filters);
  filtersRef.current = filters;

  const notes = useNotes(api, state.openId, dispatch);
  // Settings take the workspace's place; the socket and the inbox state stay, so nothing is missed.
  const screen = useHash() === SETTINGS_HASH ? 'settings' : 'inbox';
  const notesRef = useRef(notes);
  notesRef.current = notes;

  const me = state.me;
  const myAvailability = me.availability === 'away' ? 'away' : 'online';

  const showError = (err: unknown) => {
    if (err instanceof ApiError && err.status === 401) return; // already signed out
    setNotice(err instanceof Error ? err.message : String(err));
  };

  const lists = useConversationLists(api, state, dispatch, filters, VIEW_IDS, showError);
  const search = useConversationSearch(api);
  const searchActiveRef = useRef(search.active);
  searchActiveRef.current = search.active;

  /** Highest seq held with nothing missing below it: where a sync or a page load resumes from. */
  const resumeSeq = (conversationId: string): number => contiguousSeq(stateRef.current.transcripts[conversationId] ?? []);

  // ---- the socket ---------------------------------------------------------------------------------

  useEffect(() => {
    const typingTimers = new Map<string, ReturnType<typeof setTimeout>>();

    /** Whatever happened while we were away: the lists and the open transcript catch up. */
    const catchUp = () => {
      const openId = stateRef.current.openId;
      if (openId) {
        socket.current?.connection.send({ type: 'sync', conversationId: openId, afterSeq: resumeSeq(openId) });
        notesRef.current.reload();
      }
      void lists.reload(filtersRef.current.status, true);
    };

    const onFrame = (frame: ServerFrame) => {
      const live = socket.current?.connection;
      switch (frame.type) {
        case 'ready': {
          if (frame.role !== 'agent') return;
          dispatch({ type: 'ready', agent: frame.agent, agents: frame.agents });
          const chosen = readText(keys.availability(frame.agent.id));
          if ((chosen === 'online' || chosen === 'away') && chosen !== frame.agent.availability) {
            live?.send({ type: 'presence.set', availability: chosen });
            dispatch({ type: 'presence', agentId: frame.agent.id, availability: chosen });
          }
          catchUp();
          return;
        }
        case 'resync':
          // Frames may have been lost between server nodes: catch up as after a reconnect, colleagues too.
          catchUp();
          api.agents().then((agents) => dispatch({ type: 'agents', agents }), showError);
          return;
        case 'message': {
          dispatch({ type: 'message', message: frame.message });
          // Activity in a conversation we do not hold (on a page not loaded yet) puts it at the top
          // of its list, where no page we load later would find it. A new conversation's own
          // `conversation` frame comes first, so it is held by now; a failure waits for the next reload.
          const id = frame.message.conversationId;
          if (!stateRef.current.conversations[id]) lists.fetchConversation(id).catch(() => undefined);
          return;
        }
        case 'messages': {
          dispatch({ type: 'messages', conversationId: frame.conversationId, messages: frame.messages });
          const next = nextPageAfter(frame);
          if (next !== null) live?.send({ type: 'sync', conversationId: frame.conversationId, afterSeq: next });
          return;
        }
        case 'conversation':
          dispatch({ type: 'conversation', conversation: frame.conversation });
          return;
        case 'note':
          dispatch({ type: 'note', note: frame.note });
          return;
        case 'typing': {
          if (frame.authorKind !== 'visitor') return;
          const id = frame.conversationId;
          dispatch({ type: 'typing', conversationId: id, typing: frame.typing });
          clearTimeout(typingTimers.get(id));
          if (frame.typing) {
            typingTimers.set(id, setTimeout(() => dispatch({ type: 'typing', conversationId: id, typing: false }), TYPING_TIMEOUT_MS));
          }
          return;
        }
        case 'presence':
          dispatch({ type: 'presence', agentId: frame.agentId, availability: frame.availability });
          return;
        case 'error':
          // Errors answering a reply are shown on that reply; a failed sync is retried by the next one.
          if (frame.clientId) return;
          if (frame.code === ErrorCodes.NOT_FOUND) setNotice('That conversation no longer exists.');
          else console.warn('[parley] server error', frame.code, frame.message);
          return;
      }
    };

    const connection = openConsoleSocket({
      agentId: agent.id,
      token: getToken,
      onFrame,
      onStatus: setConnection,
      onOutbox: setOutbox,
      onAcknowledged: (item, ack) => {
        const author = stateRef.current.me;
        const message = messageFromAck(item, ack, { authorKind: 'agent', authorId: author.id, authorName: author.name });
        dispatch({ type: 'message', message });
      },
      onStop: (reason) => {
        // The server refused the token (forged, or expired): a new login is needed.
        if (errorEntry(reason)?.renewToken) onSignOut('Your session has ended. Please sign in again.');
      },
      onFailure: (failures) => {
        // A 401 here signs out through the api client; other failures are the network's.
        if (failures % FAILURES_BEFORE_AUTH_CHECK === 0) api.me().catch(() => undefined);
      },
    });
    socket.current = connection;
    api.agents().then((agents) => dispatch({ type: 'agents', agents }), showError);

    return () => {
      connection.close();
      socket.current = null;
      for (const timer of typingTimers.values()) clearTimeout(timer);
    };
  }, []);

  // ---- lists, filters, read markers, title ------------------------------------------------------

  useEffect(() => writeJson(keys.filters, filters), [filters]);

  useEffect(() => {
    const entries = Object.entries(state.readSeqs);
    writeJson(keys.readSeqs(me.id), Object.fromEntries(entries.slice(-MAX_READ_MARKERS)));
  }, [state.readSeqs]);

  // Relative times in the list stay true without re-rendering on every frame.
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(timer);
  }, []);

  const list = useMemo(() => listFor(state, filters.view, filters.status), [state.conversations, state.me.id, filters]);
  // Results are read through the inbox's conversations, so a status or assignee changed live shows.
  const results = useMemo(() => searchResults(search.matches, state.conversations), [search.matches, state.conversations]);
  // Whichever of the two the sidebar shows: the keyboard acts on that one.
  const inSearch = search.active;
  const shown = inSearch ? results : list;
  const shownListRef = inSearch ? searchListRef : listRef;
  const setShownCursor = inSearch ? setSearchCursorId : setCursorId;
  const counts = useMemo(
    () => ({
      unassigned: listFor(state, 'unassigned', filters.status).length,
      mine: listFor(state, 'mine', filters.status).length,
      all: listFor(state, 'all', filters.status).length,
    }),
    [state.conversations, state.me.id, filters.status],
  );
  const unreadCount = useMemo(
    () => Object.values(state.conversations).filter((c) => c.status !== 'resolved' && isUnread(state, c)).length,
    [state.conversations, state.readSeqs, state.openId],
  );

  useEffect(() => {
    document.title = unreadCount > 0 ? `(${unreadCount}) ${TITLE}` : TITLE;
    return () => {
      document.title = TITLE;
    };
  }, [unreadCount]);

  // ---- the open conversation ----------------------------------------------------------------------

  const open = (id: string | null) => {
    // Every conversation opens on "Reply": a note mode carried over unseen would be worse than a click.
    if (id !== stateRef.current.openId) {
      setComposeMode('reply');
      setSnoozeMenuOpen(false);
    }
    dispatch({ type: 'open', conversationId: id });
    if (searchActiveRef.current) setSearchCursorId(id);
    else setCursorId(id);
    const hash = id ? `#/c/${encodeURIComponent(id)}` : '';
    if (location.hash !== hash) history.replaceState(null, '', hash || location.pathname + location.search);
  };

  // The open conversation lives in the URL, so a reload comes back to it.
  useEffect(() => {
    const fromHash = () => {
      const match = /^#\/c\/(.+)$/.exec(location.hash);
      if (match?.[1]) open(decodeURIComponent(match[1]));
    };
    fromHash();
    window.addEventListener('hashchange', fromHash);
    return () => window.removeEventListener('hashchange', fromHash);
  }, []);

  const openId = state.openId;
  const openConversation = openId ? state.conversations[openId] : undefined;
  /** The keyboard selection in the list on screen; the open conversation when there is none. */
  const cursor = (inSearch ? searchCursorId : cursorId) ?? openId;

  useEffect(() => {
    if (!openId) return;
    const controller = new AbortController();
    const held = stateRef.current.transcripts[openId];
    setTranscriptLoad((load) => ({ ...load, loading: !held?.length, error: null }));
    api.messagesAfter(openId, resumeSeq(openId), controller.signal).then(
      (messages) => {
        dispatch({ type: 'messages', conversationId: openId, messages });
        if (!controller.signal.aborted) setTranscriptLoad((load) => ({ ...load, loading: false }));
      },
      (err: unknown) => {
        if (controller.signal.aborted) return;
        setTranscriptLoad((load) => ({ ...load, loading: false, error: err instanceof Error ? err.message : String(err) }));
      },
    );
    // A conversation opened from the URL may not be in the lists we hold (another status, or a
    // page not loaded yet).
    if (!stateRef.current.conversations[openId]) {
      lists.fetchConversation(openId).then((found) => {
        if (!found && stateRef.current.openId === openId && !stateRef.current.conversations[openId]) {
          setNotice('That conversation could not be found.');
          open(null);
        }
      }, showError);
    }
    return () => controller.abort();
  }, [openId, transcriptLoad.attempt]);

  // ---- actions --------------------------------------------------------------------------------------

  const assign = (agentId: string | null) => {
    if (!openId) return;
    api.assign(openId, agentId).then((conversation) => dispatch({ type: 'conversation', conversation }), showError);
  };

  const setStatus = (status: ConversationStatus, snoozedUntil?: Date) => {
    if (!openId) return;
    api.setStatus(openId, status, snoozedUntil?.toISOString()).then((conversation) => dispatch({ type: 'conversation', conversation }), showError);
  };

  const setAvailability = (availability: 'online' | 'away') => {
    writeText(keys.availability(me.id), availability);
    dispatch({ type: 'presence', agentId: me.id, availability });
    // When offline, the choice is sent on the next `ready`.
    socket.current?.connection.send({ type: 'presence.set', availability });
  };

  const sendTyping = (conversationId: string, typing: boolean) => {
    socket.current?.connection.send({ type: 'typing', conversationId, typing });
  };

  const focusListItem = (id: string | null | undefined) => {
    if (!id) return;
    const item = shownListRef.current?.querySelector<HTMLElement>(`[data-id="${CSS.escape(id)}"]`);
    item?.focus();
  };

  const moveCursor = (delta: number) => {
    stepAfterLoad.current = null;
    if (shown.length === 0) return;
    const from = shown.findIndex((c) => c.id === cursor);
    const index = from === -1 ? (delta > 0 ? 0 : shown.length - 1) : Math.min(shown.length - 1, Math.max(0, from + delta));
    const next = shown[index];
    if (!next) return;
    // Going down near the end of what is loaded fetches the next page before the cursor gets there.
    // Search results are one page per status: there is nothing more to load.
    if (!inSearch && delta > 0 && lists.nextCursor !== null && index >= list.length - 1 - PRELOAD_ITEMS) {
      lists.loadMore();
      if (index === from) stepAfterLoad.current = next.id;
    }
    setShownCursor(next.id);
    focusListItem(next.id);
  };

  /** Opens a list item or a result; a result the inbox does not hold is added so the view has it. */
  const openShown = (id: string) => {
    const match = inSearch ? results.find((c) => c.id === id) : undefined;
    if (match && !stateRef.current.conversations[id]) dispatch({ type: 'conversation', conversation: match });
    open(id);
  };

  const clearSearch = () => {
    search.setQuery('');
    setSearchCursorId(null);
  };

  // After Escape in the search box, the list is back on screen only after this render.
  useEffect(() => {
    if (inSearch || !refocusList.current) return;
    refocusList.current = false;
    searchInputRef.current?.blur();
    focusListItem(cursorId ?? openId ?? list[0]?.id);
  }, [inSearch]);

  useEffect(() => {
    const from = stepAfterLoad.current;
    if (!from) return;
    const at = list.findIndex((c) => c.id === from);
    const next = at === -1 ? undefined : list[at + 1];
    if (next && (cursorId ?? openId) === from) {
      setCursorId(next.id);
      focusListItem(next.id);
    }
    if (at === -1 || next || lists.nextCursor === null) stepAfterLoad.current = null;
  }, [list]);

  useKeydown((event) => {
    if (event.defaultPrevented) return;
    // Alt+N works from anywhere, the composer included. e.code: on a Mac, Option+N is a dead key.
    if (event.altKey && !event.ctrlKey && !event.metaKey && event.code === 'KeyN' && !helpOpen && screen === 'inbox' && composerRef.current) {
      event.preventDefault();
      setComposeMode((mode) => (mode === 'note' ? 'reply' : 'note'));
      composerRef.current.focus();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (helpOpen) {
      if (event.key === 'Escape' || event.key === '?') {
        event.preventDefault();
        setHelpOpen(false);
      }
      return;
    }
    // The inbox's keys act on conversations the settings screen does not show.
    if (screen === 'settings') return;
    const target = event.target;
    if (event.key === 'Escape') {
      if (isEditable(target)) {
        (target as HTMLElement).blur();
        focusListItem(cursor);
      }
      return;
    }
    if (isEditable(target)) return;

    const inList = target instanceof Node && Boolean(shownListRef.current?.contains(target));
    switch (event.key) {
      case 'j':
        moveCursor(1);
        break;
      case 'k':
        moveCursor(-1);
        break;
      case 'ArrowDown':
      case 'ArrowUp':
        if (!inList) return;
        moveCursor(event.key === 'ArrowDown' ? 1 : -1);
        break;
      case 'Enter':
        // On a list item (or any button) Enter already clicks it.
        if (target instanceof HTMLButtonElement || target instanceof HTMLAnchorElement) return;
        if (cursor) openShown(cursor);
        break;
      case 'o':
        if (cursor) openShown(cursor);
        break;
      case 's':
        searchInputRef.current?.focus();
        searchInputRef.current?.select();
        break;
      case 'r':
      case '/':
      case 'n':
        if (!composerRef.current) return;
        if (event.key !== '/') setComposeMode(event.key === 'n' ? 'note' : 'reply');
        composerRef.current.focus();
        break;
      case 'e':
        if (!openConversation || openConversation.status === 'resolved') return;
        setStatus('resolved');
        break;
      case 'z':
        if (!openConversation || openConversation.status === 'resolved') return;
        setSnoozeMenuOpen(true);
        break;
      case 'a':
        if (!openConversation || openConversation.assigneeId === me.id) return;
        assign(me.id);
        break;
      case '1':
      case '2':
      case '3': {
        const view = VIEWS[Number(event.key) - 1]?.[0];
        if (!view) return;
        clearSearch();
        setFilters((f) => ({ ...f, view }));
        break;
      }
      case '?':
        setHelpOpen(true);
        break;
      default:
        return;
    }
    event.preventDefault();
  });

  // ---- render -------------------------------------------------------------------------------------

  const agents = useMemo(
    () => Object.values(state.agents).sort((a, b) => a.name.localeCompare(b.name)),
    [state.agents],
  );
  const offline = connection !== 'open';
  /** What the list's rows and the results' rows show alike. */
  const rowProps = { agents: state.agents, meId: me.id, openId, now, isUnread: (c: ConversationView) => isUnread(state, c) };

  return (
    <div class="app">
      <TopBar
        me={me}
        availability={myAvailability}
        onAvailability={setAvailability}
        onHelp={() => setHelpOpen(true)}
        onSignOut={() => onSignOut()}
        screen={screen}
        inboxHref={openId ? `#/c/${encodeURIComponent(openId)}` : '#/'}
        settingsHref={canManage(me) ? SETTINGS_HASH : undefined}
      />
      {connection === 'reconnecting' && (
        <div class="connection-bar" role="status" data-testid="reconnecting">
          Reconnecting…
        </div>
      )}
      {connection === 'stopped' && (
        <div class="connection-bar stopped" role="alert">
          Disconnected.{' '}
          <button type="button" class="link" onClick={() => location.reload()}>Reload</button>
        </div>
      )}
      {notice && (
        <div class="notice-bar" role="alert">
          {notice}
          <button type="button" class="link" onClick={() => setNotice(null)} aria-label="Dismiss">
            ✕
          </button>
        </div>
      )}
      {screen === 'settings' ? (
        <Settings api={api} me={me} />
      ) : (
        <div class="workspace">
          <Sidebar
            view={filters.view}
            status={filters.status}
            counts={counts}
            // Asking for a list leaves the search.
            onView={(view) => {
              clearSearch();
              setFilters((f) => ({ ...f, view }));
            }}
            onStatus={(status) => {
              clearSearch();
              setFilters((f) => ({ ...f, status }));
            }}
          >
            <SearchBox
              query={search.query}
              inputRef={searchInputRef}
              onQuery={search.setQuery}
              onClear={() => {
                clearSearch();
                // The list is on screen already unless results were: then it is focused once shown.
                if (inSearch) refocusList.current = true;
                else {
                  searchInputRef.current?.blur();
                  focusListItem(cursor ?? list[0]?.id);
                }
              }}
              onEnterResults={() => {
                const first = inSearch ? shown[0] : shown.find((c) => c.id === cursor) ?? shown[0];
                if (!first) return;
                setShownCursor(first.id);
                focusListItem(first.id);
              }}
            />
            {/* Hidden, not unmounted, during a search: its pages, cursor and scroll are there after. */}
            <div class="list-pane" hidden={inSearch}>
              <ConversationList
                // A new list starts at its top, with an observer of its own.
                key={listKey(filters.view, filters.status)}
                conversations={list}
                {...rowProps}
                cursorId={cursorId ?? openId}
                loading={lists.loading}
                nextCursor={lists.nextCursor}
                loadingMore={lists.loadingMore}
                listRef={listRef}
                onOpen={open}
                onCursor={setCursorId}
                onLoadMore={lists.loadMore}
              />
            </div>
            {inSearch && (
              <div class="list-pane" data-testid="search-results">
                {search.error ? (
                  <p class="list-empty form-error" role="alert" data-testid="search-error">{search.error}</p>
                ) : search.searching || results.length === 0 ? (
                  <p class="muted list-empty" role="status" data-testid="search-status">
                    {search.searching ? 'Searching…' : 'No conversations match'}
                  </p>
                ) : (
                  <ConversationList
                    key="search"
                    conversations={results}
                    {...rowProps}
                    cursorId={searchCursorId ?? openId}
                    loading={false}
                    nextCursor={null}
                    loadingMore={false}
                    listRef={searchListRef}
                    onOpen={openShown}
                    onCursor={setSearchCursorId}
                    onLoadMore={() => undefined}
                    showStatus
                  />
                )}
              </div>
            )}
          </Sidebar>
          <main class="main">
            {openConversation ? (
              <Conversation
                key={openConversation.id}
                conversation={openConversation}
                messages={state.transcripts[openConversation.id] ?? []}
                notes={state.notes[openConversation.id] ?? []}
                pending={outbox.filter((item) => item.conversationId === openConversation.id)}
                agents={agents}
                me={me}
                loading={transcriptLoad.loading}
                error={transcriptLoad.error ?? notes.error}
                offline={offline}
                visitorTyping={Boolean(state.visitorTyping[openConversation.id])}
                composerRef={composerRef}
                composeMode={composeMode}
                onComposeMode={setComposeMode}
                onReload={() => {
                  setTranscriptLoad((load) => ({ ...load, attempt: load.attempt + 1 }));
                  notes.reload();
                }}
                onAssign={assign}
                onStatus={(status) => setStatus(status)}
                snoozeMenuOpen={snoozeMenuOpen}
                onSnoozeMenu={setSnoozeMenuOpen}
                onSnooze={(until) => setStatus('snoozed', until)}
                onSend={(body) => socket.current?.outbox.add(body, openConversation.id)}
                onNote={(body) => notes.add(openConversation.id, body)}
                loadCanned={cannedResponsesOf(api, openConversation.siteId)}
                onTyping={sendTyping}
                onRetry={(clientId) => socket.current?.outbox.retry(clientId)}
                onDiscard={(clientId) => socket.current?.outbox.discard(clientId)}
              />
            ) : (
              <div class="empty-state">
                <p>{openId ? 'Loading conversation…' : 'Select a conversation.'}</p>
                <p class="muted">
                  Press <kbd>?</kbd> for keyboard shortcuts.
                </p>
              </div>
            )}
          </main>
        </div>
      )}
      {helpOpen && <ShortcutsHelp onClose={() => setHelpOpen(false)} />}
    </div>
  );
}

function isSeqMap(value: unknown): value is Record<string, number> {
  return isRecord(value) && Object.values(value).every((v) => typeof v === 'number');
}

function isFilters(value: unknown): value is ListFilters {
  return (
    isRecord(value) &&
    VIEWS.some(([view]) => view === value.view) &&
    STATUSES.includes(value.status as ConversationStatus)
  );
}
