// The inbox's lists, a page at a time. A status's views load their first pages together (each tab's
// count is what we hold of it); the list on screen loads its next page when the agent scrolls or
// moves the cursor near its end. Pages land in inboxReducer, which merges them by id.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ErrorCodes } from '../../protocol/index.ts';
import type { ConversationListView, ConversationStatus, ConversationView } from '../../protocol/index.ts';
import { ApiError, type Api } from './api.ts';
import { listKey, type InboxAction, type InboxState, type ListPage, type ListProgress } from './inbox-state.ts';

export interface ListFilters {
  view: ConversationListView;
  status: ConversationStatus;
}

export interface ConversationLists {
  /** The first pages of the status on screen are on their way. */
  loading: boolean;
  /** Where the next page of the list on screen starts; null when it is loaded to the end. */
  nextCursor: string | null;
  /** Its next page is on its way. */
  loadingMore: boolean;
  /** Loads the next page of the list on screen, unless it is on its way already or there is none. */
  loadMore(): void;
  /**
   * Reloads every view of a status. After a reconnect (`keepDepth`) each list is fetched as deep as
   * it had been loaded, so an agent far down a list keeps their place; otherwise first pages only.
   */
  reload(status: ConversationStatus, keepDepth: boolean): Promise<void>;
  /** One conversation we do not hold (on a page not loaded, or of another status); null if there is none. */
  fetchConversation(conversationId: string): Promise<ConversationView | null>;
}

export function useConversationLists(
  api: Api,
  state: InboxState,
  dispatch: (action: InboxAction) => void,
  filters: ListFilters,
  views: readonly ConversationListView[],
  onError: (err: unknown) => void,
): ConversationLists {
  const [loading, setLoading] = useState(true);
  // Keys of the lists whose next page is on its way: the ref answers at once, the state re-renders.
  const [loadingKeys, setLoadingKeys] = useState<ReadonlySet<string>>(new Set());
  const inFlight = useRef(new Set<string>());
  const fetching = useRef(new Map<string, Promise<ConversationView | null>>());
  const filtersRef = useRef(filters);
  filtersRef.current = filters;
  const onErrorRef = useRef(onError);
  onErrorRef.current = onError;
  // A status's reloads and page loads run one after another: a reload that started before a page
  // landed would replace the list without that page (and a page asked for before a reload would be
  // dropped by it). Between steps the state may not have rendered yet, so each step reads how far
  // its list is loaded from `progress`, which the steps themselves keep, as the reducer does.
  const chains = useRef(new Map<ConversationStatus, Promise<void>>());
  const progress = useRef(new Map<string, ListProgress>());

  // Made once and reading refs: the socket's callbacks, created on the first render, call them too.
  const actions = useMemo(() => {
    const settle = (key: string, busy: boolean) => {
      if (busy) inFlight.current.add(key);
      else inFlight.current.delete(key);
      setLoadingKeys(new Set(inFlight.current));
    };

    const inTurn = (status: ConversationStatus, step: () => Promise<void>): Promise<void> => {
      const run = (chains.current.get(status) ?? Promise.resolve()).then(step);
      chains.current.set(status, run.catch(() => undefined));
      return run;
    };

    return {
      reload(status: ConversationStatus, keepDepth: boolean) {
        return inTurn(status, async () => {
          try {
            // One request per view: each is paged on its own, so deriving one view from another's
            // pages could miss conversations.
            const lists = await Promise.all(views.map((view) => {
              const depth = keepDepth ? progress.current.get(listKey(view, status))?.loaded ?? 0 : 0;
              return fetchListPages(api, view, status, depth);
            }));
            for (const list of lists) {
              progress.current.set(listKey(list.view, status), { nextCursor: list.nextCursor, loaded: list.conversations.length });
            }
            dispatch({ type: 'listLoaded', status, lists });
          } catch (err) {
            onErrorRef.current(err);
          } finally {
            if (filtersRef.current.status === status) setLoading(false);
          }
        });
      },

      loadMore() {
        const { view, status } = filtersRef.current;
        const key = listKey(view, status);
        if (!progress.current.get(key)?.nextCursor || inFlight.current.has(key)) return;
        settle(key, true);
        void inTurn(status, async () => {
          // Read when its turn comes: a reload before it may have moved the list's end.
          const held = progress.current.get(key);
          if (!held?.nextCursor) return;
          const after = held.nextCursor;
          try {
            const { conversations, nextCursor } = await api.conversations(view, status, after);
            progress.current.set(key, { nextCursor, loaded: held.loaded + conversations.length });
            dispatch({ type: 'pageLoaded', status, after, page: { view, conversations, nextCursor } });
          } catch (err) {
            onErrorRef.current(err);
          }
        }).finally(() => settle(key, false));
      },

      fetchConversation(conversationId: string) {
        let pending = fetching.current.get(conversationId);
        if (!pending) {
          pending = api.conversation(conversationId).then(
            (conversation) => {
              dispatch({ type: 'conversation', conversation });
              return conversation;
            },
            (err: unknown) => {
              if (err instanceof ApiError && err.code === ErrorCodes.NOT_FOUND) return null;
              throw err;
            },
          ).finally(() => fetching.current.delete(conversationId));
          fetching.current.set(conversationId, pending);
        }
        return pending;
      },
    };
  }, []);

  useEffect(() => {
    setLoading(true);
    void actions.reload(filters.status, false);
  }, [filters.status]);

  const key = listKey(filters.view, filters.status);
  return {
    ...actions,
    loading,
    nextCursor: state.pages[key]?.nextCursor ?? null,
    loadingMore: loadingKeys.has(key),
  };
}

/** A list's pages from the first on, until they hold `depth` conversations or the list ends. */
export async function fetchListPages(
  api: Pick<Api, 'conversations'>,
  view: ConversationListView,
  status: ConversationStatus,
  depth: number,
): Promise<ListPage> {
  const conversations: ConversationView[] = [];
  let cursor: string | null = null;
  do {
    const page = await api.conversations(view, status, cursor ?? undefined);
    conversations.push(...page.conversations);
    cursor = page.nextCursor;
  } while (cursor !== null && conversations.length < depth);
  return { view, conversations, nextCursor: cursor };
}
