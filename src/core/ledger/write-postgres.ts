/**
 * Postgres: the whole batch's writes in one statement, one round trip whatever the batch
 * size (so a batch costs four round trips: begin, lock, write, commit). Each table's rows
 * travel as one array per column (`unnest`), so the statement's text and parameter count
 * do not grow with the batch. Data-modifying CTEs all run to completion; none touches a
 * row another one touches (each account, hold, rollup and key appears once), so their
 * shared snapshot changes nothing.
 */
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { ChangedRows, Pending } from './batch-state.js';

/** One column of `rows` as an array: Postgres takes it as one parameter and unnests it. */
function col<T, K extends keyof T>(rows: readonly T[], key: K): T[K][] {
  return rows.map((r) => r[key]);
}

/** Writes what the batch decided, in the open transaction `trx`. */
export async function writePostgres(trx: Kysely<DB>, pending: Pending, rows: ChangedRows, now: number): Promise<void> {
  const { accounts: dirty, newHolds: newRes, settledHolds: settled, newGrants, changedGrants, newAllocations, changedAllocations } = rows;
  const parts: RawBuilder<unknown>[] = [];
  const tx = pending.txRows;
  if (tx.length > 0) {
    parts.push(sql`tx as (insert into credit_transactions (id, user_id, seq, type, amount_mc, reserved_change_mc,
        balance_after_mc, reserved_after_mc, description, metadata, reference_type, reference_id,
        idempotency_key, prev_hash, hash, created_at, member_id)
      select * from unnest(${col(tx, 'id')}::text[], ${col(tx, 'user_id')}::text[], ${col(tx, 'seq')}::bigint[],
        ${col(tx, 'type')}::text[], ${col(tx, 'amount_mc')}::bigint[], ${col(tx, 'reserved_change_mc')}::bigint[],
        ${col(tx, 'balance_after_mc')}::bigint[], ${col(tx, 'reserved_after_mc')}::bigint[],
        ${col(tx, 'description')}::text[], ${col(tx, 'metadata')}::text[], ${col(tx, 'reference_type')}::text[],
        ${col(tx, 'reference_id')}::text[], ${col(tx, 'idempotency_key')}::text[], ${col(tx, 'prev_hash')}::text[],
        ${col(tx, 'hash')}::text[], ${col(tx, 'created_at')}::bigint[], ${col(tx, 'member_id')}::text[]))`);
  }
  if (dirty.length > 0) {
    // Rows found by `= any(ids)` (index probes), each taking its values from the arrays: a
    // join with the arrays would let the planner pick a hash join over a scan of the table.
    const ids = col(dirty, 'user_id');
    parts.push(sql`acc as (update user_credits as u set (balance_mc, reserved_mc, lifetime_purchased_mc,
        lifetime_used_mc, seq, last_hash, updated_at) = (
        select v.b, v.r, v.lp, v.lu, v.s, v.h, ${now}::bigint
        from unnest(${ids}::text[], ${col(dirty, 'balance_mc')}::bigint[], ${col(dirty, 'reserved_mc')}::bigint[],
          ${col(dirty, 'lifetime_purchased_mc')}::bigint[], ${col(dirty, 'lifetime_used_mc')}::bigint[],
          ${col(dirty, 'seq')}::bigint[], ${col(dirty, 'last_hash')}::text[]) as v(id, b, r, lp, lu, s, h)
        where v.id = u.user_id)
      where u.user_id = any(${ids}::text[]))`);
  }
  if (newRes.length > 0) {
    const r = newRes;
    parts.push(sql`res_new as (insert into reservations (id, user_id, amount_mc, captured_mc, status, operation, unit,
        rule_id, rule_credits_mc, forced, description, metadata, expires_at, created_at, settled_at, member_id)
      select * from unnest(${col(r, 'id')}::text[], ${col(r, 'user_id')}::text[], ${col(r, 'amount_mc')}::bigint[],
        ${col(r, 'captured_mc')}::bigint[], ${col(r, 'status')}::text[], ${col(r, 'operation')}::text[],
        ${col(r, 'unit')}::text[], ${col(r, 'rule_id')}::text[], ${col(r, 'rule_credits_mc')}::bigint[],
        ${col(r, 'forced')}::integer[], ${col(r, 'description')}::text[], ${col(r, 'metadata')}::text[],
        ${col(r, 'expires_at')}::bigint[], ${col(r, 'created_at')}::bigint[], ${col(r, 'settled_at')}::bigint[],
        ${col(r, 'member_id')}::text[]))`);
  }
  if (settled.length > 0) {
    const r = settled;
    const ids = col(r, 'id');
    parts.push(sql`res_settled as (update reservations as x set (status, captured_mc, settled_at) = (
        select v.st, v.c, v.sa
        from unnest(${ids}::text[], ${col(r, 'status')}::text[], ${col(r, 'captured_mc')}::bigint[],
          ${col(r, 'settled_at')}::bigint[]) as v(id, st, c, sa)
        where v.id = x.id)
      where x.id = any(${ids}::text[]))`);
  }
  if (newGrants.length > 0) {
    const g = newGrants;
    parts.push(sql`grants_new as (insert into grants (id, user_id, source, credits_mc, remaining_mc, reserved_mc, expired_mc,
        value_cents, payment_id, transaction_id, expires_at, expired_at, created_at)
      select * from unnest(${col(g, 'id')}::text[], ${col(g, 'user_id')}::text[], ${col(g, 'source')}::text[],
        ${col(g, 'credits_mc')}::bigint[], ${col(g, 'remaining_mc')}::bigint[], ${col(g, 'reserved_mc')}::bigint[],
        ${col(g, 'expired_mc')}::bigint[], ${col(g, 'value_cents')}::bigint[], ${col(g, 'payment_id')}::text[],
        ${col(g, 'transaction_id')}::text[], ${col(g, 'expires_at')}::bigint[], ${col(g, 'expired_at')}::bigint[],
        ${col(g, 'created_at')}::bigint[]))`);
  }
  if (changedGrants.length > 0) {
    const g = changedGrants;
    const ids = col(g, 'id');
    parts.push(sql`grants_changed as (update grants as x set (remaining_mc, reserved_mc, expired_mc, expired_at) = (
        select v.r, v.rs, v.e, v.ea
        from unnest(${ids}::text[], ${col(g, 'remaining_mc')}::bigint[], ${col(g, 'reserved_mc')}::bigint[],
          ${col(g, 'expired_mc')}::bigint[], ${col(g, 'expired_at')}::bigint[]) as v(id, r, rs, e, ea)
        where v.id = x.id)
      where x.id = any(${ids}::text[]))`);
  }
  if (newAllocations.length > 0) {
    const a = newAllocations;
    parts.push(sql`rg_new as (insert into reservation_grants (reservation_id, grant_id, amount_mc)
      select * from unnest(${col(a, 'reservation_id')}::text[], ${col(a, 'grant_id')}::text[], ${col(a, 'amount_mc')}::bigint[]))`);
  }
  if (changedAllocations.length > 0) {
    const a = changedAllocations;
    parts.push(sql`rg_changed as (update reservation_grants as x set amount_mc = v.m
      from unnest(${col(a, 'reservation_id')}::text[], ${col(a, 'grant_id')}::text[], ${col(a, 'amount_mc')}::bigint[]) as v(r, g, m)
      where x.reservation_id = v.r and x.grant_id = v.g)`);
  }
  const m = pending.grantMoves;
  if (m.length > 0) {
    parts.push(sql`moves as (insert into grant_movements (transaction_id, grant_id, user_id, amount_mc, created_at)
      select * from unnest(${col(m, 'transaction_id')}::text[], ${col(m, 'grant_id')}::text[], ${col(m, 'user_id')}::text[],
        ${col(m, 'amount_mc')}::bigint[], ${col(m, 'created_at')}::bigint[]))`);
  }
  const u = pending.usageRows;
  if (u.length > 0) {
    parts.push(sql`usage as (insert into usage_tracking (id, user_id, operation, unit, quantity_milli, cost_mc,
        charged_mc, rule_id, rule_credits_mc, bypass, transaction_id, reservation_id, metadata, created_at, reverses_id,
        member_id)
      select * from unnest(${col(u, 'id')}::text[], ${col(u, 'user_id')}::text[], ${col(u, 'operation')}::text[],
        ${col(u, 'unit')}::text[], ${col(u, 'quantity_milli')}::bigint[], ${col(u, 'cost_mc')}::bigint[],
        ${col(u, 'charged_mc')}::bigint[], ${col(u, 'rule_id')}::text[], ${col(u, 'rule_credits_mc')}::bigint[],
        ${col(u, 'bypass')}::integer[], ${col(u, 'transaction_id')}::text[], ${col(u, 'reservation_id')}::text[],
        ${col(u, 'metadata')}::text[], ${col(u, 'created_at')}::bigint[], ${col(u, 'reverses_id')}::text[],
        ${col(u, 'member_id')}::text[]))`);
  }
  const ro = [...pending.rollups.values()];
  if (ro.length > 0) {
    parts.push(sql`rollups as (insert into usage_rollups as x (user_id, bucket, operation, unit, credits_mc,
        operations, quantity_milli)
      select * from unnest(${col(ro, 'user_id')}::text[], ${col(ro, 'bucket')}::bigint[], ${col(ro, 'operation')}::text[],
        ${col(ro, 'unit')}::text[], ${col(ro, 'credits_mc')}::bigint[], ${col(ro, 'operations')}::bigint[],
        ${col(ro, 'quantity_milli')}::bigint[])
      on conflict (user_id, bucket, operation, unit) do update set
        credits_mc = x.credits_mc + excluded.credits_mc, operations = x.operations + excluded.operations,
        quantity_milli = x.quantity_milli + excluded.quantity_milli)`);
  }
  const mu = [...pending.memberUsage.values()];
  if (mu.length > 0) {
    parts.push(sql`member_usage as (insert into member_month_usage as x (account_id, user_id, month, used_mc)
      select * from unnest(${col(mu, 'account_id')}::text[], ${col(mu, 'user_id')}::text[], ${col(mu, 'month')}::text[],
        ${col(mu, 'used_mc')}::bigint[])
      on conflict (account_id, user_id, month) do update set used_mc = x.used_mc + excluded.used_mc)`);
  }
  const k = pending.idemRows;
  if (k.length > 0) {
    parts.push(sql`idem as (insert into idempotency_keys (id, fingerprint, result, created_at)
      select * from unnest(${col(k, 'id')}::text[], ${col(k, 'fingerprint')}::text[], ${col(k, 'result')}::text[],
        ${col(k, 'created_at')}::bigint[]))`);
  }
  if (parts.length === 0) return;
  await sql`with ${sql.join(parts)} select 1`.execute(trx);
}
