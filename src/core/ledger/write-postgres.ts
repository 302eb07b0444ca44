/**
 * Postgres: the whole batch's writes in one statement, one round trip whatever the batch
 * size (so a batch costs four round trips: begin, lock, write, commit; two on the writer's
 * pipelined connection, db/pg-pipeline.ts, where begin travels with the lock and the write with commit). Each table's rows
 * travel as one array per column (`unnest`), so the statement's text and parameter count
 * do not grow with the batch. Data-modifying CTEs all run to completion; none touches a
 * row another one touches (each account, hold, rollup and key appears once, and a rollup's
 * insert leaves out the rows its update found), so their shared snapshot changes nothing.
 */
import { CompiledQuery, type Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { TransactionLink } from '../../db/pg-pipeline.js';
import type { ChangedRows, Pending } from './batch-state.js';

/**
 * The columns a statement writes, in its order, each with the Postgres type of its array, as
 * SQL lists them: `'id text, seq bigint, …'` (names of the rows' properties and of the table's columns).
 */
type Columns = string;
type Column = { name: string; type: string };

/** A Columns list's names and types. */
function parse(columns: Columns): Column[] {
  return columns.split(',').map((c) => {
    const [name = '', type = ''] = c.trim().split(/\s+/);
    return { name, type };
  });
}

/** `"s"`, with `\` and `"` escaped: an element of an array literal (as node-postgres writes one). */
function quote(s: string): string {
  return /["\\]/.test(s) ? `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : `"${s}"`;
}

/**
 * The columns of `rows` as parameters, one each, which Postgres takes as arrays and unnests:
 * each column's array literal (`{"a","b",NULL,12}`), written here in one join. node-postgres
 * writes the same literal from a JS array by adding each element to a string, which made most
 * of what a metered request allocated on PostgreSQL beyond SQLite (bench/analysis.md). A column
 * holding anything but strings, numbers and nulls goes as the array itself, for node-postgres to
 * write; a column a row leaves out (an optional member_id) travels as null.
 *
 * The reader is code of its own for each column list (`new Function`, the names as string
 * literals quoted by JSON.stringify), compiled once: one pass over the rows reads every column
 * by name, so each read sees one table's rows. One shared reader of `row[key]` for every table
 * and column was a megamorphic lookup for each value (bench/analysis.md, "The writer's reads of
 * its rows").
 */
export function columnsReader(columns: readonly Column[]): (rows: readonly object[]) => unknown[] {
  let read = readers.get(columns);
  if (read) return read;
  const name = (c: Column) => JSON.stringify(c.name);
  const decl = columns.map((_, j) => `const a${j} = new Array(n); let x${j} = false;`).join('\n');
  const body = columns
    .map(
      (c, j) => `v = r[${name(c)}];
      if (v === null || v === undefined) a${j}[i] = 'NULL';
      else if (typeof v === 'string') a${j}[i] = quote(v);
      else if (typeof v === 'number') a${j}[i] = String(v);
      else x${j} = true;`,
    )
    .join('\n');
  const out = columns.map((c, j) => `x${j} ? rows.map((r) => r[${name(c)}] ?? null) : '{' + a${j}.join(',') + '}'`).join(',\n');
  read = new Function(
    'quote',
    `return function readColumns(rows) {
      const n = rows.length;
      ${decl}
      for (let i = 0; i < n; i++) {
        const r = rows[i];
        let v;
        ${body}
      }
      return [${out}];
    };`,
  )(quote) as (rows: readonly object[]) => unknown[];
  readers.set(columns, read);
  return read;
}
const readers = new WeakMap<readonly Column[], (rows: readonly object[]) => unknown[]>();

/** A Columns list parsed once (a reader is kept for each parsed list). */
const parsed = new Map<string, Column[]>();
function columnsOf(list: Columns): Column[] {
  let cs = parsed.get(list);
  if (!cs) parsed.set(list, (cs = parse(list)));
  return cs;
}

/**
 * One common table expression of the write: its name (which, with the others present, keys
 * the statement's text), its parameters, and its SQL given their placeholders (`$n`).
 */
interface Part {
  name: string;
  values: unknown[];
  sql: (ph: string[]) => string;
}

/** `unnest($a::text[], $b::bigint[], …)` of `columns`, taking their placeholders from `ph`. */
const unnest = (columns: Column[], ph: string[]) => `unnest(${columns.map((c, i) => `${ph[i]}::${c.type}[]`).join(', ')})`;
const names = (columns: Column[]) => columns.map((c) => c.name).join(', ');

/** The columns of each table the batch inserts into, in the order they are written. */
const INSERTED = {
  credit_transactions: `id text, user_id text, seq bigint, type text, amount_mc bigint, reserved_change_mc bigint,
    balance_after_mc bigint, reserved_after_mc bigint, description text, metadata text, reference_type text,
    reference_id text, idempotency_key text, prev_hash text, hash text, created_at bigint, member_id text`,
  reservations: `id text, user_id text, amount_mc bigint, captured_mc bigint, status text, operation text, unit text,
    rule_id text, rule_credits_mc bigint, forced integer, description text, metadata text, expires_at bigint,
    created_at bigint, settled_at bigint, member_id text`,
  grants: `id text, user_id text, source text, credits_mc bigint, remaining_mc bigint, reserved_mc bigint,
    expired_mc bigint, value_cents bigint, payment_id text, transaction_id text, expires_at bigint, expired_at bigint,
    created_at bigint`,
  reservation_grants: 'reservation_id text, grant_id text, amount_mc bigint',
  grant_movements: 'transaction_id text, grant_id text, user_id text, amount_mc bigint, created_at bigint',
  usage_tracking: `id text, user_id text, operation text, unit text, quantity_milli bigint, cost_mc bigint,
    charged_mc bigint, rule_id text, rule_credits_mc bigint, bypass integer, transaction_id text, reservation_id text,
    metadata text, created_at bigint, reverses_id text, member_id text`,
  usage_rollups: 'user_id text, bucket bigint, operation text, unit text, credits_mc bigint, operations bigint, quantity_milli bigint',
  member_month_usage: 'account_id text, user_id text, month text, used_mc bigint',
  idempotency_keys: 'id text, fingerprint text, result text, created_at bigint',
} satisfies Record<string, Columns>;

/** The columns of each table, parsed once. */
const COLUMNS = Object.fromEntries(Object.entries(INSERTED).map(([t, c]) => [t, parse(c)])) as Record<keyof typeof INSERTED, Column[]>;

/** `name as (insert into table (columns) select * from unnest(…))`. */
function insertRows<T>(name: string, table: keyof typeof INSERTED, rows: readonly T[]): Part {
  const columns = COLUMNS[table];
  return {
    name,
    values: columnsReader(columns)(rows as readonly object[]),
    sql: (ph) => `${name} as (insert into ${table} (${names(columns)}) select * from ${unnest(columns, ph)})`,
  };
}

/**
 * Sets `columns` of the rows of `table` whose text `key` is one of `rows`' to those rows'
 * values (and `stamp`'s column to its value on all of them). Rows are found by
 * `= any(keys)` (index probes), each taking its values from the arrays: a join with the
 * arrays would let the planner pick a hash join over a scan of the table.
 */
function updateRows<T>(
  name: string,
  table: string,
  key: string,
  rows: readonly T[],
  columns: Columns,
  stamp?: { column: string; value: number },
): Part {
  const cs = columnsOf(`${key} text, ${columns}`);
  const set = cs.slice(1).map((c) => c.name);
  return {
    name,
    // The keys' array is the first parameter, read twice (unnest's first column, and `any`).
    values: [...columnsReader(cs)(rows as readonly object[]), ...(stamp ? [stamp.value] : [])],
    sql: (ph) => {
      const values = [...set.map((c) => `v.${c}`), ...(stamp ? [`${ph[cs.length]}::bigint`] : [])].join(', ');
      return `${name} as (update ${table} as x set (${[...set, ...(stamp ? [stamp.column] : [])].join(', ')}) = (
      select ${values} from ${unnest(cs, ph)} as v(${names(cs)})
      where v.${key} = x.${key})
    where x.${key} = any(${ph[0]}::text[]))`;
    },
  };
}

/**
 * Adds the `sums` columns of `rows` to the rows of `table` with the same `key` (its primary
 * key), and inserts the rows no row has yet: an UPDATE of the rows there (`${name}_found`),
 * then an INSERT of the others. `insert … on conflict do update` did both in one, but locks each
 * row it finds before updating it, which wrote a lock record to the WAL and changed the heap
 * page twice (55 B of a metered debit's 2,567, bench/analysis.md). The INSERT keeps its
 * `on conflict` for a row another transaction added after this statement's snapshot. The
 * update joins the arrays on the whole key, which PostgreSQL plans as a probe of the primary
 * key's index for each row (checked with EXPLAIN on 600,000 rollups; an added `= any` on the
 * key's columns made it pick the bucket index and filter every account's rows of the hour).
 */
function accumulateRows<T>(
  name: string,
  table: keyof typeof INSERTED,
  rows: readonly T[],
  key: readonly string[],
  sums: readonly string[],
): Part {
  const columns = COLUMNS[table];
  const same = (a: string, b: string) => key.map((k) => `${a}.${k} = ${b}.${k}`).join(' and ');
  return {
    name,
    values: columnsReader(columns)(rows as readonly object[]),
    sql: (ph) => {
      const v = `${unnest(columns, ph)} as v(${names(columns)})`;
      return `${name}_found as (update ${table} as x set ${sums.map((c) => `${c} = x.${c} + v.${c}`).join(', ')}
      from ${v} where ${same('x', 'v')} returning ${key.map((k) => `x.${k}`).join(', ')}),
    ${name} as (insert into ${table} as x (${names(columns)}) select v.* from ${v}
      where not exists (select from ${name}_found as f where ${same('f', 'v')})
      on conflict (${key.join(', ')}) do update set ${sums.map((c) => `${c} = x.${c} + excluded.${c}`).join(', ')})`;
    },
  };
}

/** The statement's text for each set of parts present (by their names): built once. */
const texts = new Map<string, string>();

function statement(parts: Part[]): CompiledQuery {
  const values = parts.flatMap((p) => p.values);
  const shape = parts.map((p) => p.name).join(',');
  let text = texts.get(shape);
  if (text === undefined) {
    let n = 0;
    const ctes = parts.map((p) => p.sql(p.values.map(() => `$${++n}`)));
    text = `with ${ctes.join(', ')} select 1`;
    texts.set(shape, text);
  }
  return CompiledQuery.raw(text, values);
}

/** Writes what the batch decided, in the open transaction `trx`. */
export async function writePostgres(
  trx: Kysely<DB>,
  pending: Pending,
  rows: ChangedRows,
  now: number,
  /** Given when nothing follows the write in its transaction: it is written ahead of `commit` (db/pg-pipeline.ts). */
  link?: TransactionLink,
): Promise<void> {
  const { accounts, newHolds, settledHolds, newGrants, changedGrants, newAllocations, changedAllocations } = rows;
  const parts: Part[] = [];
  const tx = pending.txRows;
  if (tx.length > 0) parts.push(insertRows('tx', 'credit_transactions', tx));
  if (accounts.length > 0) {
    const figures =
      'balance_mc bigint, reserved_mc bigint, lifetime_purchased_mc bigint, lifetime_used_mc bigint, seq bigint, last_hash text';
    parts.push(updateRows('acc', 'user_credits', 'user_id', accounts, figures, { column: 'updated_at', value: now }));
  }
  if (newHolds.length > 0) parts.push(insertRows('res_new', 'reservations', newHolds));
  if (settledHolds.length > 0)
    parts.push(updateRows('res_settled', 'reservations', 'id', settledHolds, 'status text, captured_mc bigint, settled_at bigint'));
  if (newGrants.length > 0) parts.push(insertRows('grants_new', 'grants', newGrants));
  if (changedGrants.length > 0) {
    const changed = 'remaining_mc bigint, reserved_mc bigint, expired_mc bigint, expired_at bigint';
    parts.push(updateRows('grants_changed', 'grants', 'id', changedGrants, changed));
  }
  if (newAllocations.length > 0) parts.push(insertRows('rg_new', 'reservation_grants', newAllocations));
  if (changedAllocations.length > 0) {
    const columns = COLUMNS.reservation_grants;
    parts.push({
      name: 'rg_changed',
      values: columnsReader(columns)(changedAllocations),
      sql: (ph) => `rg_changed as (update reservation_grants as x set amount_mc = v.amount_mc
      from ${unnest(columns, ph)} as v(reservation_id, grant_id, amount_mc)
      where x.reservation_id = v.reservation_id and x.grant_id = v.grant_id)`,
    });
  }
  if (pending.grantMoves.length > 0) parts.push(insertRows('moves', 'grant_movements', pending.grantMoves));
  if (pending.usageRows.length > 0) parts.push(insertRows('usage', 'usage_tracking', pending.usageRows));
  const rollups = [...pending.rollups.values()];
  if (rollups.length > 0) {
    parts.push(
      accumulateRows(
        'rollups',
        'usage_rollups',
        rollups,
        ['user_id', 'bucket', 'operation', 'unit'],
        ['credits_mc', 'operations', 'quantity_milli'],
      ),
    );
  }
  const memberUsage = [...pending.memberUsage.values()];
  if (memberUsage.length > 0)
    parts.push(accumulateRows('member_usage', 'member_month_usage', memberUsage, ['account_id', 'user_id', 'month'], ['used_mc']));
  if (pending.idemRows.length > 0) parts.push(insertRows('idem', 'idempotency_keys', pending.idemRows));
  if (parts.length === 0) return;
  link?.writeAhead();
  await trx.executeQuery(statement(parts));
}
