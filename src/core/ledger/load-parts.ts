/** The id lists of load-batch.ts's statements, by dialect. */
import { CompiledQuery, type Kysely, type RawBuilder, sql } from 'kysely';
import type { Dialect } from '../../db/open.js';
import type { DB } from '../../db/schema.js';

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

/**
 * A read whose only parameters are the ids of its `oneOf` (one array on PostgreSQL, one
 * parameter each on SQLite), built and compiled by the query builder once for each dialect and
 * number of ids, then run as that text. Building and compiling it again for each batch (frozen
 * nodes, the compiler's visits, a fresh text whose hash the statement cache computes) cost more
 * than running it (bench/analysis.md, "A batch's fixed cost on SQLite: the query builder").
 */
export function readByIds<R>(
  build: (trx: Kysely<DB>, dialect: Dialect, ids: string[]) => CompiledQuery,
): (trx: Kysely<DB>, dialect: Dialect, ids: string[]) => Promise<R[]> {
  const texts = new Map<string, string>();
  return async (trx, dialect, ids) => {
    const key = dialect === 'postgres' ? dialect : `${dialect}:${ids.length}`;
    const parameters = dialect === 'postgres' ? [ids] : ids;
    let text = texts.get(key);
    if (text === undefined) {
      const compiled = build(trx, dialect, ids);
      if (compiled.parameters.length !== parameters.length || compiled.parameters.some((p, i) => p !== parameters[i]))
        throw new Error('readByIds: the statement takes parameters other than its ids');
      text = compiled.sql;
      texts.set(key, text);
    }
    return (await trx.executeQuery(CompiledQuery.raw(text, parameters))).rows as R[];
  };
}
