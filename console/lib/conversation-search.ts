// Searching conversations by what was said in them. The server searches one status at a time (and
// unresolved ones only without a status), so every status is asked for in parallel and the answers
// merged into one list, newest activity first.
import { useEffect, useState } from 'preact/hooks';
import type { ConversationStatus, ConversationView } from '../../protocol/index.ts';
import { messageOf, type Api } from './api.ts';
import { byActivity, newer } from './inbox-state.ts';

export const SEARCHED_STATUSES: readonly ConversationStatus[] = ['open', 'pending', 'snoozed', 'resolved'];
/** Shorter queries match too much to be worth a request per keystroke. */
export const MIN_QUERY_LENGTH = 2;
const DEBOUNCE_MS = 250;

/**
 * Every status's first page of matches. The first page (100 conversations) is enough: an agent
 * who gets that many matches refines the query rather than scrolling.
 */
export async function searchEveryStatus(
  api: Pick<Api, 'searchConversations'>,
  query: string,
  signal?: AbortSignal,
): Promise<ConversationView[]> {
  const pages = await Promise.all(SEARCHED_STATUSES.map((status) => api.searchConversations(query, status, signal)));
  return pages.flat();
}

/**
 * The results to show: each match once, as the inbox holds it when its copy is newer (a status or
 * assignee changed live since the search), newest activity first, like the lists.
 */
export function searchResults(
  matches: readonly ConversationView[],
  held: Readonly<Record<string, ConversationView>>,
): ConversationView[] {
  const byId = new Map<string, ConversationView>();
  for (const match of matches) byId.set(match.id, newer(held[match.id], match));
  return [...byId.values()].sort(byActivity);
}

export interface ConversationSearch {
  /** What is typed in the box, as typed. */
  query: string;
  setQuery(query: string): void;
  /** The query is long enough: results (or their absence) take the list's place. */
  active: boolean;
  /** The answer for the current query is on its way (or waits for typing to pause). */
  searching: boolean;
  /** Matches of the current query, as the server answered them. */
  matches: readonly ConversationView[];
  /** The server's message when the search failed (a malformed query, the network). */
  error: string | null;
}

export function useConversationSearch(api: Pick<Api, 'searchConversations'>): ConversationSearch {
  const [query, setQuery] = useState('');
  const [answer, setAnswer] = useState<{ query: string; matches: ConversationView[]; error: string | null } | null>(null);
  const terms = query.trim();
  const active = terms.length >= MIN_QUERY_LENGTH;

  useEffect(() => {
    if (!active) return;
    // A new keystroke cancels the search of the previous one, whether sent already or not.
    const controller = new AbortController();
    const timer = setTimeout(() => {
      searchEveryStatus(api, terms, controller.signal).then(
        (matches) => setAnswer({ query: terms, matches, error: null }),
        (err: unknown) => {
          if (!controller.signal.aborted) setAnswer({ query: terms, matches: [], error: messageOf(err) });
        },
      );
    }, DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [terms]);

  // An answer to an earlier query is never shown for the current one.
  const current = active && answer?.query === terms ? answer : null;
  return {
    query,
    setQuery,
    active,
    searching: active && !current,
    matches: current?.matches ?? [],
    error: current?.error ?? null,
  };
}
