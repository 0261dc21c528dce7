// Cursor pagination for the REST lists. A cursor is the sort key of the last item a page held,
// opaque to clients (base64url JSON), so pages stay stable while rows are added: unlike offsets,
// nothing is skipped or shown twice. Lists sort by (time, id) descending unless they say otherwise.
import { AppError } from '../errors.ts';

export interface Page<T> { items: T[]; nextCursor: string | null }

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/** A keyset position: the last row's sort values. */
export type CursorKey = (string | number)[];

export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** The key a client sent back; VALIDATION_FAILED for anything this server did not hand out. */
export function decodeCursor(cursor: string | undefined, arity: number): CursorKey | null {
  if (cursor === undefined || cursor === '') return null;
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = null;
  }
  if (!Array.isArray(key) || key.length !== arity || !key.every((v) => typeof v === 'string' || typeof v === 'number')) {
    throw new AppError('VALIDATION_FAILED', 'Invalid cursor');
  }
  return key as CursorKey;
}

/**
 * Rows fetched with `limit + 1` → the page and the cursor of its last row when there is more.
 * @param keyOf the sort values of a row, in the order the query sorts by
 */
export function pageOf<Row, T>(rows: Row[], limit: number, keyOf: (row: Row) => CursorKey, view: (row: Row) => T): Page<T> {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  const last = kept[kept.length - 1];
  return { items: kept.map(view), nextCursor: more && last !== undefined ? encodeCursor(keyOf(last)) : null };
}
