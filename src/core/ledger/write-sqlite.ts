/**
 * SQLite: the batch's writes as prepared statements on the raw better-sqlite3 connection,
 * one execution per row. better-sqlite3 runs in-process, so a statement costs microseconds
 * and there is no round trip to save; going through the query builder (build, compile,
 * prepare) cost more than the writes themselves in the metered path's profile. The
 * statements run inside the transaction the writer has open on that connection.
 */
import type { SqliteHandle } from '../../db/open.js';
import type { ChangedRows, Pending } from './batch-state.js';

/**
 * `insert into table (keys of row) values (?, ...)` for each row, statements cached by their
 * text. The rows of one call nearly always have the same defined keys: the statement and
 * its column list are made again only when a row's keys differ from the row before's
 * (compared key by key, so a row whose keys are the same allocates nothing but its values).
 */
function insertEach(raw: SqliteHandle, table: string, rows: readonly object[], suffix = '') {
  let cols: string[] = [];
  let stmt: ReturnType<SqliteHandle['prepare']> | null = null;
  for (const row of rows) {
    const r = row as Record<string, unknown>;
    if (!stmt || !sameKeys(r, cols)) {
      cols = [];
      for (const k in r) if (r[k] !== undefined) cols.push(k);
      stmt = raw.prepare(`insert into "${table}" ("${cols.join('", "')}") values (${cols.map(() => '?').join(', ')})${suffix}`);
    }
    const values = new Array<unknown>(cols.length);
    for (let i = 0; i < cols.length; i++) values[i] = r[cols[i] as string];
    // Spread, not the array: better-sqlite3 binds an array's values by reading each through
    // V8's API (v8::Object::Get, about 430 instructions a value), its arguments directly
    // (bench/analysis.md: 6,400 instructions less per 15-column row).
    stmt.run(...values);
  }
}

/** Whether the row's defined keys are `cols`, in that order. */
function sameKeys(r: Record<string, unknown>, cols: readonly string[]): boolean {
  let i = 0;
  for (const k in r) {
    if (r[k] === undefined) continue;
    if (cols[i] !== k) return false;
    i++;
  }
  return i === cols.length;
}

/** Writes what the batch decided. */
export function writeSqlite(raw: SqliteHandle, pending: Pending, rows: ChangedRows, now: number): void {
  insertEach(raw, 'credit_transactions', pending.txRows);
  const account = raw.prepare(`update user_credits set balance_mc = ?, reserved_mc = ?, lifetime_purchased_mc = ?,
      lifetime_used_mc = ?, seq = ?, last_hash = ?, updated_at = ? where user_id = ?`);
  for (const r of rows.accounts) {
    account.run(r.balance_mc, r.reserved_mc, r.lifetime_purchased_mc, r.lifetime_used_mc, r.seq, r.last_hash, now, r.user_id);
  }
  insertEach(raw, 'reservations', rows.newHolds);
  const settle = raw.prepare('update reservations set status = ?, captured_mc = ?, settled_at = ? where id = ?');
  for (const r of rows.settledHolds) settle.run(r.status, r.captured_mc, r.settled_at, r.id);
  insertEach(raw, 'grants', rows.newGrants);
  if (rows.changedGrants.length > 0) {
    const grant = raw.prepare('update grants set remaining_mc = ?, reserved_mc = ?, expired_mc = ?, expired_at = ? where id = ?');
    for (const g of rows.changedGrants) grant.run(g.remaining_mc, g.reserved_mc, g.expired_mc, g.expired_at, g.id);
  }
  insertEach(raw, 'reservation_grants', rows.newAllocations);
  if (rows.changedAllocations.length > 0) {
    const allocation = raw.prepare('update reservation_grants set amount_mc = ? where reservation_id = ? and grant_id = ?');
    for (const a of rows.changedAllocations) allocation.run(a.amount_mc, a.reservation_id, a.grant_id);
  }
  if (pending.grantMoves.length > 0) {
    const move = raw.prepare(
      'insert into grant_movements (transaction_id, grant_id, user_id, amount_mc, created_at) values (?, ?, ?, ?, ?)',
    );
    for (const x of pending.grantMoves) move.run(x.transaction_id, x.grant_id, x.user_id, x.amount_mc, x.created_at);
  }
  insertEach(raw, 'usage_tracking', pending.usageRows);
  const rollup = raw.prepare(`insert into usage_rollups (user_id, bucket, operation, unit, credits_mc, operations, quantity_milli)
      values (?, ?, ?, ?, ?, ?, ?)
      on conflict (user_id, bucket, operation, unit) do update set
        credits_mc = usage_rollups.credits_mc + excluded.credits_mc,
        operations = usage_rollups.operations + excluded.operations,
        quantity_milli = usage_rollups.quantity_milli + excluded.quantity_milli`);
  for (const r of pending.rollups.values()) {
    rollup.run(r.user_id, r.bucket, r.operation, r.unit, r.credits_mc, r.operations, r.quantity_milli);
  }
  if (pending.memberUsage.size > 0) {
    const member = raw.prepare(`insert into member_month_usage (account_id, user_id, month, used_mc) values (?, ?, ?, ?)
        on conflict (account_id, user_id, month) do update set used_mc = member_month_usage.used_mc + excluded.used_mc`);
    for (const r of pending.memberUsage.values()) member.run(r.account_id, r.user_id, r.month, r.used_mc);
  }
  insertEach(raw, 'idempotency_keys', pending.idemRows);
}
