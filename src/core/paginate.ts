/**
 * Keyset pagination, the one way every list pages: newest first by a unique column (an
 * id, a sequence number), each page after the last key of the one before. No offsets, so
 * rows written meanwhile never shift a page.
 */
import { type SelectQueryBuilder, sql } from 'kysely';

/** Which page: at most `limit` rows whose key is below `after` (absent: the first page). */
export interface PageRequest<K extends string | number = string> {
  limit: number;
  after?: K | undefined;
}

/** One page, and the key to ask the next one after (null: this is the last). */
export interface Page<T, K extends string | number = string> {
  rows: T[];
  next: K | null;
}

/**
 * The page of `query` ordered by `column` descending: one row more than the limit is read
 * to tell whether another page follows. `key` reads a row's value of `column`.
 */
export async function paginate<DB, TB extends keyof DB, O, K extends string | number>(
  query: SelectQueryBuilder<DB, TB, O>,
  column: string,
  key: (row: O) => K,
  page: PageRequest<K>,
): Promise<Page<O, K>> {
  const ref = sql.ref<K>(column);
  const q = page.after === undefined ? query : query.where(ref, '<', page.after as never);
  const rows = (await q
    .orderBy(ref, 'desc')
    .limit(page.limit + 1)
    .execute()) as O[];
  const more = rows.length > page.limit;
  if (more) rows.length = page.limit;
  return { rows, next: more ? key(rows[rows.length - 1] as O) : null };
}

/** The same page with its rows turned into something else (the key stays). */
export function mapPage<T, U, K extends string | number>(page: Page<T, K>, f: (row: T) => U): Page<U, K> {
  return { rows: page.rows.map((r) => f(r)), next: page.next };
}
