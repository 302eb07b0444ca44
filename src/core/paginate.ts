/**
 * Keyset pagination, the one way every list pages: newest first by a unique column (an
 * id, a sequence number) or by two (a time, then a unique id to break ties), each page after
 * the last key of the one before. No offsets, so rows written meanwhile never shift a page.
 */
import { type SelectQueryBuilder, sql } from 'kysely';

/** A row's place in the order: one column's value, or two columns' (the second breaks ties). */
export type PageKey = string | number | readonly [string | number, string | number];

/** Which page: at most `limit` rows whose key is below `after` (absent: the first page). */
export interface PageRequest<K extends PageKey = string> {
  limit: number;
  after?: K | undefined;
}

/** One page, and the key to ask the next one after (null: this is the last). */
export interface Page<T, K extends PageKey = string> {
  rows: T[];
  next: K | null;
}

/**
 * The page of `query` ordered by `column` descending (or by two columns, both descending):
 * one row more than the limit is read to tell whether another page follows. `key` reads a
 * row's value of the column (a pair of values for two).
 */
export async function paginate<DB, TB extends keyof DB, O, K extends PageKey>(
  query: SelectQueryBuilder<DB, TB, O>,
  column: K extends readonly unknown[] ? readonly [string, string] : string,
  key: (row: O) => K,
  page: PageRequest<K>,
): Promise<Page<O, K>> {
  const [first, second] = typeof column === 'string' ? [column, undefined] : column;
  const ref = sql.ref<never>(first);
  let q = query;
  if (page.after !== undefined) {
    if (second === undefined) q = q.where(ref, '<', page.after as never);
    else {
      const [a, b] = page.after as readonly [never, never];
      const tie = sql.ref<never>(second);
      q = q.where((eb) => eb.or([eb(ref, '<', a), eb.and([eb(ref, '=', a), eb(tie, '<', b)])]) as never);
    }
  }
  q = q.orderBy(ref, 'desc');
  if (second !== undefined) q = q.orderBy(sql.ref(second), 'desc');
  const rows = (await q.limit(page.limit + 1).execute()) as O[];
  const more = rows.length > page.limit;
  if (more) rows.length = page.limit;
  return { rows, next: more ? key(rows[rows.length - 1] as O) : null };
}

/** The same page with its rows turned into something else (the key stays). */
export function mapPage<T, U, K extends PageKey>(page: Page<T, K>, f: (row: T) => U): Page<U, K> {
  return { rows: page.rows.map((r) => f(r)), next: page.next };
}
