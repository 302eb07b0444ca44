/**
 * Recomputes every balance, hold total and usage rollup from the ledger and checks the
 * hash chains. Read-only and exact on a live database: every read happens in one
 * snapshot (a REPEATABLE READ READ ONLY transaction on Postgres; one read transaction on
 * SQLite, whose WAL snapshot is fixed by its first read), so debits committed while it
 * runs can never show as a false difference between a balance and its ledger.
 */
import { type Kysely, sql } from 'kysely';
import type { DB, TransactionRow } from '../../db/schema.js';
import { USAGE_REVERSAL_REF } from './apply-batch.js';
import { GENESIS_HASH, hashRow } from './hash.js';

export interface VerifyReport {
  ok: boolean;
  accounts: number;
  transactions: number;
  activeHolds: number;
  usageRows: number;
  rollupRows: number;
  violations: string[];
}

const PAGE = 5000;
const PURCHASED = new Set(['purchase', 'bonus', 'auto_recharge']);
const CLAWBACK = new Set(['refund', 'dispute']);
const MAX_REPORTED = 200;

interface Running {
  seq: number;
  hash: string;
  balance: number;
  reserved: number;
  purchased: number;
  used: number;
}

export function verifyLedger(db: Kysely<DB>): Promise<VerifyReport> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute((trx) => verifySnapshot(trx));
}

async function verifySnapshot(db: Kysely<DB>): Promise<VerifyReport> {
  const violations: string[] = [];
  const flag = (msg: string) => {
    if (violations.length < MAX_REPORTED) violations.push(msg);
    else if (violations.length === MAX_REPORTED) violations.push('... more violations not shown');
  };
  const running = new Map<string, Running>();
  let transactions = 0;

  // 1. Walk every account's chain in order.
  let after: { user: string; seq: number } | null = null;
  for (;;) {
    let q = db.selectFrom('credit_transactions').selectAll().orderBy('user_id').orderBy('seq').limit(PAGE);
    if (after) {
      const a = after;
      q = q.where((eb) =>
        eb.or([
          eb('user_id', '>', a.user),
          eb.and([eb('user_id', '=', a.user), eb('seq', '>', a.seq)]),
        ]),
      );
    }
    const rows: TransactionRow[] = await q.execute();
    for (const r of rows) {
      transactions++;
      let s = running.get(r.user_id);
      if (!s) {
        s = { seq: 0, hash: GENESIS_HASH, balance: 0, reserved: 0, purchased: 0, used: 0 };
        running.set(r.user_id, s);
      }
      const where = `account ${r.user_id} row ${r.seq} (${r.id})`;
      if (r.seq !== s.seq + 1) flag(`${where}: sequence gap, expected ${s.seq + 1}`);
      if (r.prev_hash !== s.hash) flag(`${where}: prev_hash does not match the previous row`);
      if (hashRow(r.prev_hash, r) !== r.hash) flag(`${where}: hash does not match the row (edited?)`);
      s.balance += r.amount_mc;
      s.reserved += r.reserved_change_mc;
      if (s.balance !== r.balance_after_mc) flag(`${where}: balance_after ${r.balance_after_mc}, recomputed ${s.balance}`);
      if (s.reserved !== r.reserved_after_mc) flag(`${where}: reserved_after ${r.reserved_after_mc}, recomputed ${s.reserved}`);
      if (s.reserved < 0) flag(`${where}: reserved credits below zero`);
      // Only claw-backs may push available credits below zero. (Settling a hold never
      // lowers available credits, so a capture after a claw-back is fine.)
      const availableDelta = r.amount_mc - r.reserved_change_mc;
      if (r.amount_mc < 0 && !CLAWBACK.has(r.type) && availableDelta < 0 && r.balance_after_mc - r.reserved_after_mc < 0) {
        flag(`${where}: a ${r.type} took the available credits below zero (only claw-backs may)`);
      }
      if (PURCHASED.has(r.type)) s.purchased += r.amount_mc;
      // A usage reversal gives a charge back and takes it out of lifetime used.
      if (r.type === 'usage' || (r.type === 'adjustment' && r.reference_type === USAGE_REVERSAL_REF)) s.used -= r.amount_mc;
      s.seq = r.seq;
      s.hash = r.hash;
    }
    if (rows.length < PAGE) break;
    const last = rows[rows.length - 1] as TransactionRow;
    after = { user: last.user_id, seq: last.seq };
  }

  // 2. Every account's stored state equals its recomputed state.
  const accounts = await db.selectFrom('user_credits').selectAll().execute();
  const holds = await db
    .selectFrom('reservations')
    .select(['user_id'])
    .select((eb) => [eb.fn.sum<number>('amount_mc').as('total'), eb.fn.countAll<number>().as('n')])
    .where('status', '=', 'active')
    .groupBy('user_id')
    .execute();
  const holdByUser = new Map(holds.map((h) => [h.user_id, Number(h.total)]));
  const activeHolds = holds.reduce((s, h) => s + Number(h.n), 0);
  for (const a of accounts) {
    const s = running.get(a.user_id) ?? {
      seq: 0,
      hash: GENESIS_HASH,
      balance: 0,
      reserved: 0,
      purchased: 0,
      used: 0,
    };
    const where = `account ${a.user_id}`;
    if (a.balance_mc !== s.balance) flag(`${where}: balance ${a.balance_mc}, ledger sums to ${s.balance}`);
    if (a.reserved_mc !== s.reserved) flag(`${where}: reserved ${a.reserved_mc}, ledger sums to ${s.reserved}`);
    if (a.available_mc !== a.balance_mc - a.reserved_mc) flag(`${where}: available is not balance - reserved`);
    if (a.seq !== s.seq) flag(`${where}: seq ${a.seq}, ledger has ${s.seq} rows`);
    if (a.last_hash !== s.hash) flag(`${where}: chain head does not match the last row`);
    if (a.lifetime_purchased_mc !== s.purchased) flag(`${where}: lifetime purchased ${a.lifetime_purchased_mc}, ledger ${s.purchased}`);
    if (a.lifetime_used_mc !== s.used) flag(`${where}: lifetime used ${a.lifetime_used_mc}, ledger ${s.used}`);
    const held = holdByUser.get(a.user_id) ?? 0;
    if (a.reserved_mc !== held) flag(`${where}: reserved ${a.reserved_mc}, active holds total ${held}`);
    running.delete(a.user_id);
  }
  for (const id of running.keys()) flag(`ledger rows for ${id}, which has no account`);

  // 3. Usage rows agree with their ledger rows.
  const mismatched = await db
    .selectFrom('usage_tracking as u')
    .innerJoin('credit_transactions as t', 't.id', 'u.transaction_id')
    .select(['u.id', 'u.charged_mc', 't.amount_mc'])
    .where('u.bypass', '=', 0)
    .whereRef('t.amount_mc', '!=', (eb) => eb.neg(eb.ref('u.charged_mc')))
    .limit(20)
    .execute();
  for (const m of mismatched) flag(`usage ${m.id}: charged ${m.charged_mc} but its ledger row moved ${m.amount_mc}`);
  const orphan = await db
    .selectFrom('usage_tracking as u')
    .leftJoin('credit_transactions as t', 't.id', 'u.transaction_id')
    .select('u.id')
    .where('u.bypass', '=', 0)
    .where('t.id', 'is', null)
    .limit(20)
    .execute();
  for (const o of orphan) flag(`usage ${o.id}: charged usage without its ledger row`);
  const bypassCharged = await db
    .selectFrom('usage_tracking')
    .select('id')
    .where('bypass', '=', 1)
    .where('charged_mc', '!=', 0)
    .limit(20)
    .execute();
  for (const b of bypassCharged) flag(`usage ${b.id}: a bypassed operation was charged`);
  // A reversal negates exactly the usage row it names, of the same account, never another reversal.
  const badReversals = await db
    .selectFrom('usage_tracking as r')
    .leftJoin('usage_tracking as o', 'o.id', 'r.reverses_id')
    .select(['r.id', 'r.reverses_id'])
    .where('r.reverses_id', 'is not', null)
    .where((eb) =>
      eb.or([
        eb('o.id', 'is', null),
        eb('o.reverses_id', 'is not', null),
        eb('o.user_id', '!=', eb.ref('r.user_id')),
        eb('o.charged_mc', '!=', eb.neg(eb.ref('r.charged_mc'))),
        eb('o.quantity_milli', '!=', eb.neg(eb.ref('r.quantity_milli'))),
        eb('o.operation', '!=', eb.ref('r.operation')),
        eb('o.unit', '!=', eb.ref('r.unit')),
        eb('o.bypass', '!=', eb.ref('r.bypass')),
      ]),
    )
    .limit(20)
    .execute();
  for (const b of badReversals) flag(`usage ${b.id}: a reversal that does not negate usage ${b.reverses_id}`);
  const reversalWithoutRow = await db
    .selectFrom('credit_transactions as t')
    .leftJoin('usage_tracking as u', 'u.transaction_id', 't.id')
    .select('t.id')
    .where('t.reference_type', '=', USAGE_REVERSAL_REF)
    .where((eb) => eb.or([eb('u.id', 'is', null), eb('u.reverses_id', 'is', null), eb('t.type', '!=', 'adjustment')]))
    .limit(20)
    .execute();
  for (const t of reversalWithoutRow) flag(`transaction ${t.id}: a usage reversal without its reversal usage row`);

  // 4. Rollups equal the usage rows they summarise.
  const HOUR = 3_600_000;
  const recomputed = await db
    .selectFrom('usage_tracking')
    .select((eb) => [
      'user_id',
      'operation',
      'unit',
      eb(eb('created_at', '-', eb('created_at', '%', HOUR)), '+', 0).as('bucket'),
      eb.fn.sum<number>('charged_mc').as('credits'),
      // A reversal row counts minus one operation: it takes its original out of the report.
      eb.fn.sum<number>(sql<number>`case when reverses_id is null then 1 else -1 end`).as('ops'),
      eb.fn.sum<number>('quantity_milli').as('qty'),
      eb.fn.countAll<number>().as('rows'),
    ])
    .groupBy(['user_id', 'operation', 'unit', 'bucket'])
    .execute();
  const rollups = await db.selectFrom('usage_rollups').selectAll().execute();
  const key = (u: string, b: number, o: string, n: string) => `${u}|${b}|${o}|${n}`;
  const stored = new Map(rollups.map((r) => [key(r.user_id, r.bucket, r.operation, r.unit), r]));
  let usageRows = 0;
  for (const r of recomputed) {
    usageRows += Number(r.rows);
    const k = key(r.user_id, Number(r.bucket), r.operation, r.unit);
    const s = stored.get(k);
    if (!s) {
      flag(`rollup missing for ${k}`);
      continue;
    }
    if (s.credits_mc !== Number(r.credits) || s.operations !== Number(r.ops) || s.quantity_milli !== Number(r.qty)) {
      flag(`rollup ${k}: stored ${s.credits_mc}/${s.operations}/${s.quantity_milli}, usage sums to ${r.credits}/${r.ops}/${r.qty}`);
    }
    stored.delete(k);
  }
  for (const k of stored.keys()) flag(`rollup ${k} has no usage rows`);

  return {
    ok: violations.length === 0,
    accounts: accounts.length,
    transactions,
    activeHolds,
    usageRows,
    rollupRows: rollups.length,
    violations,
  };
}
