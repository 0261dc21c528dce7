// Canned responses for the composer's "/" picker: fetched once per site when first wanted, kept a
// few minutes (they change rarely), and matched against what the agent types after the "/".
import type { CannedResponseView } from '../../protocol/index.ts';
import type { Api } from './api.ts';

const KEEP_MS = 5 * 60 * 1000;
/** The picker stays small: a shortcut's first letters narrow it quickly. */
const MAX_SHOWN = 8;

const cache = new Map<string, { at: number; list: Promise<CannedResponseView[]> }>();

export type LoadCanned = () => Promise<CannedResponseView[]>;

export function cannedResponsesOf(api: Api, siteId: string): LoadCanned {
  return () => {
    const held = cache.get(siteId);
    if (held && Date.now() - held.at < KEEP_MS) return held.list;
    const list = api.cannedResponses(siteId);
    cache.set(siteId, { at: Date.now(), list });
    // A failure is shown once and asked again next time, never kept.
    list.catch(() => cache.delete(siteId));
    return list;
  };
}

/** The text after a leading "/" while it could still be a shortcut; null otherwise. */
export function shortcutQuery(text: string): string | null {
  const match = /^\/([\p{L}\p{N}_-]*)$/u.exec(text);
  return match ? match[1]!.toLowerCase() : null;
}

/** Shortcuts starting with the query first, then those containing it; each group alphabetical. */
export function matchCanned(list: readonly CannedResponseView[], query: string): CannedResponseView[] {
  const byShortcut = (a: CannedResponseView, b: CannedResponseView) => a.shortcut.localeCompare(b.shortcut);
  const lower = (c: CannedResponseView) => c.shortcut.trim().toLowerCase();
  const starts = list.filter((c) => lower(c).startsWith(query)).sort(byShortcut);
  const contains = list.filter((c) => !lower(c).startsWith(query) && lower(c).includes(query)).sort(byShortcut);
  return starts.concat(contains).slice(0, MAX_SHOWN);
}
