/** The id lists of load-batch.ts's statements, by dialect. */
import { type RawBuilder, sql } from 'kysely';
import type { Dialect } from '../../db/open.js';

/** SQLite's limit on the parameters of one statement is kept well clear of. */
export const CHUNK = 400;

/** `column in (ids)`; on Postgres `= any($1)`, one parameter and one statement text for any number of ids. */
export function oneOf(dialect: Dialect, column: string, ids: string[]): RawBuilder<boolean> {
  return dialect === 'postgres'
    ? sql<boolean>`${sql.ref(column)} = any(${ids}::text[])`
    : sql<boolean>`${sql.ref(column)} in (${sql.join(ids)})`;
}

/** `items` in parts a statement can take: by default on Postgres all at once (one array parameter). */
export function* parts<T>(dialect: Dialect, items: T[], size = dialect === 'postgres' ? Number.MAX_SAFE_INTEGER : CHUNK): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
