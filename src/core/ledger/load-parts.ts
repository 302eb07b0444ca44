/** The id lists of load-batch.ts's statements, by dialect, and its reads compiled once from them. */
import { CompiledQuery, type Kysely, type RawBuilder, sql } from 'kysely';
import type { Dialect, SqliteHandle } from '../../db/open.js';
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
 * Where a batch's reads run: the query builder's open transaction and, on SQLite, the raw
 * better-sqlite3 connection under it (Database.sqlite), whose statements run in that transaction.
 */
export interface ReadScope {
  readonly trx: Kysely<DB>;
  readonly dialect: Dialect;
  readonly sqlite?: SqliteHandle | undefined;
}

/**
 * A function that makes a row object of a statement's values in column order: an object
 * literal of the columns, so every row it makes has one shape and no property is looked up
 * to be added. better-sqlite3 (under Node 20's V8) builds each row object by setting its
 * columns one by one through V8's API, internalising each column's name again for every row
 * (2,400 instructions a column: bench/analysis.md, "A batch's reads as raw rows"); its raw
 * mode gives the values as an array instead. A name that repeats keeps its last value, as
 * better-sqlite3's rows do. The names are the statement's columns (the schema's), quoted.
 */
export function rowMaker(names: readonly string[]): (values: unknown[]) => Record<string, unknown> {
  const fields = names.map((n, i) => `${JSON.stringify(n)}: v[${i}]`).join(', ');
  return new Function('v', `return { ${fields} };`) as (values: unknown[]) => Record<string, unknown>;
}

type Statement = ReturnType<SqliteHandle['prepare']>;
/** A statement in raw mode and the maker of its rows, by SQL text, for each connection. */
const rawReads = new WeakMap<SqliteHandle, Map<string, { stmt: Statement; make: (values: unknown[]) => unknown }>>();

/** Runs `text` with `parameters` on the raw connection, its rows made by rowMaker. */
function readRaw(raw: SqliteHandle, text: string, parameters: readonly unknown[]): unknown[] {
  let byText = rawReads.get(raw);
  if (!byText) rawReads.set(raw, (byText = new Map()));
  let read = byText.get(text);
  if (!read) {
    const stmt = raw.prepareOwn(text).raw(true);
    read = { stmt, make: rowMaker(stmt.columns().map((c) => c.name)) };
    byText.set(text, read);
  }
  const rows = read.stmt.all(...parameters) as unknown[][];
  const out = new Array<unknown>(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = read.make(rows[i] as unknown[]);
  return out;
}

/**
 * SQLite: `ids` with its last id repeated up to the next power of two (at most CHUNK), so a read
 * has at most ten texts and statements however many ids its batches have: an id twice in an
 * `in (...)` list matches its rows once.
 */
function padded(ids: string[]): string[] {
  let n = 1;
  while (n < ids.length) n *= 2;
  n = Math.min(n, Math.max(CHUNK, ids.length));
  if (n === ids.length || ids.length === 0) return ids;
  const out = ids.slice();
  const last = ids[ids.length - 1] as string;
  while (out.length < n) out.push(last);
  return out;
}

/**
 * A read whose only parameters are the ids of its `oneOf` (one array on PostgreSQL, one
 * parameter each on SQLite), built and compiled by the query builder once for each dialect and
 * number of ids, then run as that text (on SQLite, when the scope has the raw connection, there,
 * its rows made by rowMaker). Building and compiling it again for each batch (frozen nodes, the
 * compiler's visits, a fresh text whose hash the statement cache computes) cost more than
 * running it (bench/analysis.md, "A batch's fixed cost on SQLite: the query builder").
 */
export function readByIds<R>(
  build: (trx: Kysely<DB>, dialect: Dialect, ids: string[]) => CompiledQuery,
): (scope: ReadScope, ids: string[]) => Promise<R[]> {
  // By number of ids on SQLite, -1 on PostgreSQL: a number, not a string made and hashed for each call.
  const texts = new Map<number, string>();
  return async ({ trx, dialect, sqlite }, ids) => {
    const list = dialect === 'postgres' ? ids : padded(ids);
    const parameters = dialect === 'postgres' ? [ids] : list;
    const key = dialect === 'postgres' ? -1 : list.length;
    let text = texts.get(key);
    if (text === undefined) {
      const compiled = build(trx, dialect, list);
      if (compiled.parameters.length !== parameters.length || compiled.parameters.some((p, i) => p !== parameters[i]))
        throw new Error('readByIds: the statement takes parameters other than its ids');
      text = compiled.sql;
      texts.set(key, text);
    }
    if (sqlite) return readRaw(sqlite, text, parameters) as R[];
    return (await trx.executeQuery(CompiledQuery.raw(text, parameters))).rows as R[];
  };
}

/**
 * PostgreSQL: a statement whose only parameters are id lists (each one array parameter, so
 * its text is the same for any number of ids), built and compiled by the query builder once;
 * later calls give the same text with their lists in the positions the first compile put
 * them. The first compile checks that every parameter is one of the lists.
 */
export function compiledOnce(
  build: (trx: Kysely<DB>, lists: string[][]) => CompiledQuery,
): (trx: Kysely<DB>, lists: string[][]) => CompiledQuery {
  let made: { text: string; positions: number[] } | undefined;
  return (trx, lists) => {
    if (!made) {
      const compiled = build(trx, lists);
      const positions = compiled.parameters.map((p) => lists.indexOf(p as string[]));
      if (positions.some((i) => i < 0)) throw new Error('compiledOnce: the statement takes parameters other than its id lists');
      made = { text: compiled.sql, positions };
    }
    const { text, positions } = made;
    return CompiledQuery.raw(
      text,
      positions.map((i) => lists[i]),
    );
  };
}
