/**
 * Postgres: the whole batch's writes in one statement, one round trip whatever the batch
 * size (so a batch costs four round trips: begin, lock, write, commit; two on the writer's
 * pipelined connection, db/pg-pipeline.ts, where begin travels with the lock and the write with commit). Each table's rows
 * travel as one array per column (`unnest`), so the statement's text and parameter count
 * do not grow with the batch. Data-modifying CTEs all run to completion; none touches a
 * row another one touches (each account, hold, rollup and key appears once), so their
 * shared snapshot changes nothing.
 */
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { TransactionLink } from '../../db/pg-pipeline.js';
import type { ChangedRows, Pending } from './batch-state.js';

/**
 * The columns a statement writes, in its order, each with the Postgres type of its array, as
 * SQL lists them: `'id text, seq bigint, …'` (names of the rows' properties and of the table's columns).
 */
type Columns = string;

/** One column of `rows` as an array: Postgres takes it as one parameter and unnests it. */
function col<T>(rows: readonly T[], key: string): unknown[] {
  // A column a row leaves out (an optional member_id) travels as null.
  return rows.map((r) => r[key as keyof T]);
}

/** A Columns list's names and types. */
function parse(columns: Columns): { name: string; type: string }[] {
  return columns.split(',').map((c) => {
    const [name = '', type = ''] = c.trim().split(/\s+/);
    return { name, type };
  });
}

const names = (columns: string[]) => sql.raw(columns.join(', '));

/** `unnest(…)` of one typed array per column of `rows`: `$1::text[], $2::bigint[], …`. */
function unnest<T>(rows: readonly T[], columns: Columns): RawBuilder<unknown> {
  return sql`unnest(${sql.join(parse(columns).map((c) => sql`${col(rows, c.name)}::${sql.raw(`${c.type}[]`)}`))})`;
}

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

/** Inserts `rows` into `table` (aliased `x` for an `on conflict` that follows): `insert into table (columns) select * from unnest(…)`. */
function insertRows<T>(table: keyof typeof INSERTED, rows: readonly T[], alias = false): RawBuilder<unknown> {
  const columns = INSERTED[table];
  const into = sql.raw(alias ? `${table} as x` : table);
  return sql`insert into ${into} (${names(parse(columns).map((c) => c.name))}) select * from ${unnest(rows, columns)}`;
}

/**
 * Sets `columns` of the rows of `table` whose text `key` is one of `rows`' to those rows'
 * values (and `stamp`'s column to its value on all of them). Rows are found by
 * `= any(keys)` (index probes), each taking its values from the arrays: a join with the
 * arrays would let the planner pick a hash join over a scan of the table.
 */
function updateRows<T>(
  table: string,
  key: string,
  rows: readonly T[],
  columns: Columns,
  stamp?: { column: string; value: number },
): RawBuilder<unknown> {
  const cs = parse(columns).map((c) => c.name);
  const set = stamp ? [...cs, stamp.column] : cs;
  const values = sql.join([...cs.map((c) => sql.raw(`v.${c}`)), ...(stamp ? [sql`${stamp.value}::bigint`] : [])]);
  return sql`update ${sql.raw(table)} as x set (${names(set)}) = (
      select ${values} from ${unnest(rows, `${key} text, ${columns}`)} as v(${names([key, ...cs])})
      where v.${sql.raw(key)} = x.${sql.raw(key)})
    where x.${sql.raw(key)} = any(${col(rows, key)}::text[])`;
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
  const parts: RawBuilder<unknown>[] = [];
  const tx = pending.txRows;
  if (tx.length > 0) parts.push(sql`tx as (${insertRows('credit_transactions', tx)})`);
  if (accounts.length > 0) {
    const figures =
      'balance_mc bigint, reserved_mc bigint, lifetime_purchased_mc bigint, lifetime_used_mc bigint, seq bigint, last_hash text';
    parts.push(sql`acc as (${updateRows('user_credits', 'user_id', accounts, figures, { column: 'updated_at', value: now })})`);
  }
  if (newHolds.length > 0) parts.push(sql`res_new as (${insertRows('reservations', newHolds)})`);
  if (settledHolds.length > 0) {
    const settled = 'status text, captured_mc bigint, settled_at bigint';
    parts.push(sql`res_settled as (${updateRows('reservations', 'id', settledHolds, settled)})`);
  }
  if (newGrants.length > 0) parts.push(sql`grants_new as (${insertRows('grants', newGrants)})`);
  if (changedGrants.length > 0) {
    const changed = 'remaining_mc bigint, reserved_mc bigint, expired_mc bigint, expired_at bigint';
    parts.push(sql`grants_changed as (${updateRows('grants', 'id', changedGrants, changed)})`);
  }
  if (newAllocations.length > 0) parts.push(sql`rg_new as (${insertRows('reservation_grants', newAllocations)})`);
  if (changedAllocations.length > 0) {
    parts.push(sql`rg_changed as (update reservation_grants as x set amount_mc = v.amount_mc
      from ${unnest(changedAllocations, INSERTED.reservation_grants)} as v(reservation_id, grant_id, amount_mc)
      where x.reservation_id = v.reservation_id and x.grant_id = v.grant_id)`);
  }
  if (pending.grantMoves.length > 0) parts.push(sql`moves as (${insertRows('grant_movements', pending.grantMoves)})`);
  if (pending.usageRows.length > 0) parts.push(sql`usage as (${insertRows('usage_tracking', pending.usageRows)})`);
  const rollups = [...pending.rollups.values()];
  if (rollups.length > 0) {
    parts.push(sql`rollups as (${insertRows('usage_rollups', rollups, true)}
      on conflict (user_id, bucket, operation, unit) do update set
        credits_mc = x.credits_mc + excluded.credits_mc, operations = x.operations + excluded.operations,
        quantity_milli = x.quantity_milli + excluded.quantity_milli)`);
  }
  const memberUsage = [...pending.memberUsage.values()];
  if (memberUsage.length > 0) {
    parts.push(sql`member_usage as (${insertRows('member_month_usage', memberUsage, true)}
      on conflict (account_id, user_id, month) do update set used_mc = x.used_mc + excluded.used_mc)`);
  }
  if (pending.idemRows.length > 0) parts.push(sql`idem as (${insertRows('idempotency_keys', pending.idemRows)})`);
  if (parts.length === 0) return;
  link?.writeAhead();
  await sql`with ${sql.join(parts)} select 1`.execute(trx);
}
