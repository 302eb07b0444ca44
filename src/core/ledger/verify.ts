/**
 * Proves the ledger, read-only: recomputes every balance, hold total and usage rollup
 * from the ledger rows; checks every row's keyed hash and every chain's links, so a row
 * edited, removed, reordered or forged (appended with a hash computed without the key)
 * shows; against chain heads exported earlier (`credits verify --export-heads`, kept
 * away from the database) proves nothing before those heads changed, so a chain cut back
 * together with its balance, or history rewritten even with the key, shows too; and
 * cross-checks the ledger against what caused it: every succeeded payment granted
 * exactly once (package plus bonus), its refund and dispute rows adding up to what the
 * payment says was clawed back (never more than it granted), and every `usage` row
 * having its usage record and back.
 *
 * Exact on a live database: every read happens in one snapshot (a REPEATABLE READ READ
 * ONLY transaction on Postgres; one read transaction on SQLite, whose WAL snapshot is
 * fixed by its first read), so debits committed while it runs can never show as a false
 * difference between a balance and its ledger.
 */
import { type Kysely, sql } from 'kysely';
import type { DB, PaymentRow, TransactionRow } from '../../db/schema.js';
import { USAGE_REVERSAL_REF } from './apply-batch.js';
import { GENESIS_HASH, KEYED_SCHEME, type LedgerKey, hashRow, legacyHashRow } from './hash.js';

/** An account's chain head: its last row's seq and hash. */
export interface ChainHead {
  account: string;
  seq: number;
  hash: string;
}

export interface VerifyOptions {
  /** Heads exported earlier: each chain must still hold that row, unchanged. */
  heads?: ChainHead[] | undefined;
}

export interface VerifyReport {
  ok: boolean;
  accounts: number;
  transactions: number;
  activeHolds: number;
  usageRows: number;
  rollupRows: number;
  payments: number;
  /** The heads checked against (0 without `heads`). */
  anchors: number;
  /**
   * False for chains the release before wrote and this one has not re-hashed yet (the
   * service's start or `credits migrate` does it): checked with the old, unkeyed hash.
   */
  keyed: boolean;
  /** Every chain's head now (accounts with at least one row), to export. */
  heads: ChainHead[];
  violations: string[];
}

const PAGE = 5000;
const PURCHASED = new Set(['purchase', 'bonus', 'auto_recharge']);
const CLAWBACK = new Set(['refund', 'dispute']);
const MAX_REPORTED = 200;
const SAMPLE = 20;

interface Running {
  seq: number;
  hash: string;
  balance: number;
  reserved: number;
  purchased: number;
  used: number;
}

/** Every ledger row, a page at a time, in chain order (account, then seq). */
export async function* ledgerPages(db: Kysely<DB>): AsyncGenerator<TransactionRow[]> {
  let after: { user: string; seq: number } | null = null;
  for (;;) {
    let q = db.selectFrom('credit_transactions').selectAll().orderBy('user_id').orderBy('seq').limit(PAGE);
    if (after) {
      const a = after;
      q = q.where((eb) => eb.or([eb('user_id', '>', a.user), eb.and([eb('user_id', '=', a.user), eb('seq', '>', a.seq)])]));
    }
    const rows: TransactionRow[] = await q.execute();
    if (rows.length > 0) yield rows;
    if (rows.length < PAGE) return;
    const last = rows[rows.length - 1] as TransactionRow;
    after = { user: last.user_id, seq: last.seq };
  }
}

export async function verifyLedger(db: Kysely<DB>, key: LedgerKey, opts: VerifyOptions = {}): Promise<VerifyReport> {
  // A database of a release before the keyed ledger has no ledger_state (a backup, say). Asked
  // here, outside the snapshot: a failed statement would end a Postgres transaction.
  const keyedRelease = await db
    .selectFrom('ledger_state')
    .select('id')
    .limit(1)
    .execute()
    .then(() => true)
    .catch(() => false);
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute((trx) => verifySnapshot(trx, key, opts, keyedRelease));
}

async function verifySnapshot(db: Kysely<DB>, key: LedgerKey, opts: VerifyOptions, keyedRelease: boolean): Promise<VerifyReport> {
  const violations: string[] = [];
  const flag = (msg: string) => {
    if (violations.length < MAX_REPORTED) violations.push(msg);
    else if (violations.length === MAX_REPORTED) violations.push('... more violations not shown');
  };

  // 0. How the chains are hashed: with this key; or, written by the release before and not
  // re-hashed yet, the old way (checked as such, and said: they are not keyed yet).
  const state = keyedRelease ? await db.selectFrom('ledger_state').selectAll().where('id', '=', 'chains').executeTakeFirst() : undefined;
  const keyed = state?.hash_scheme === KEYED_SCHEME;
  let hashOf: ((prev: string, r: TransactionRow) => string) | null = keyed ? (prev, r) => hashRow(key, prev, r) : legacyHashRow;
  if (keyed && state?.key_check !== key.check) {
    flag('the ledger key given is not the key the ledger is hashed with: row hashes not checked');
    hashOf = null;
  }

  const anchors = new Map((opts.heads ?? []).map((h) => [h.account, h]));
  const anchored = new Set<string>();
  const running = new Map<string, Running>();
  let transactions = 0;

  // 1. Walk every account's chain in order.
  for await (const rows of ledgerPages(db)) {
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
      if (hashOf && hashOf(r.prev_hash, r) !== r.hash) flag(`${where}: hash does not match the row (edited, or written without the ledger key)`);
      const anchor = anchors.get(r.user_id);
      if (anchor && anchor.seq === r.seq) {
        anchored.add(r.user_id);
        if (anchor.hash !== r.hash) flag(`${where}: differs from the exported head at seq ${anchor.seq}: history up to it was rewritten`);
      }
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
  }
  const heads: ChainHead[] = [...running.entries()].map(([account, s]) => ({ account, seq: s.seq, hash: s.hash }));

  // 2. Anchors: no chain is shorter than its exported head.
  for (const [account, h] of anchors) {
    if (anchored.has(account)) continue;
    const s = running.get(account);
    flag(`account ${account}: its chain has ${s?.seq ?? 0} rows, cut back below the exported head at seq ${h.seq}`);
  }

  // 3. Every account's stored state equals its recomputed state.
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
  const unaccounted = new Set(running.keys());
  for (const a of accounts) {
    const s = running.get(a.user_id) ?? { seq: 0, hash: GENESIS_HASH, balance: 0, reserved: 0, purchased: 0, used: 0 };
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
    unaccounted.delete(a.user_id);
  }
  for (const id of unaccounted) flag(`ledger rows for ${id}, which has no account`);

  // 4. Usage: every charged usage record has its ledger row (a `usage` row; a `release` for a
  // settled hold that charged nothing; the reversal's adjustment for a reversal), and every
  // `usage` ledger row its one usage record.
  const mismatched = await db
    .selectFrom('usage_tracking as u')
    .innerJoin('credit_transactions as t', 't.id', 'u.transaction_id')
    .select(['u.id', 'u.charged_mc', 't.amount_mc', 't.type', 't.user_id as tx_user', 'u.user_id'])
    .where('u.bypass', '=', 0)
    .where((eb) =>
      eb.or([
        eb('t.amount_mc', '!=', eb.neg(eb.ref('u.charged_mc'))),
        eb('t.user_id', '!=', eb.ref('u.user_id')),
        eb.not(
          eb.or([
            eb('t.type', '=', 'usage'),
            eb.and([eb('t.type', '=', 'release'), eb('u.charged_mc', '=', 0)]),
            eb.and([eb('t.type', '=', 'adjustment'), eb('t.reference_type', '=', USAGE_REVERSAL_REF), eb('u.reverses_id', 'is not', null)]),
          ]),
        ),
      ]),
    )
    .limit(SAMPLE)
    .execute();
  for (const m of mismatched) flag(`usage ${m.id}: charged ${m.charged_mc} but its ledger row (a ${m.type} of ${m.tx_user}) moved ${m.amount_mc}`);
  const orphan = await db
    .selectFrom('usage_tracking as u')
    .leftJoin('credit_transactions as t', 't.id', 'u.transaction_id')
    .select('u.id')
    .where('u.bypass', '=', 0)
    .where('t.id', 'is', null)
    // The reversal of a charge of nothing moves nothing and has no ledger row.
    .where((eb) => eb.or([eb('u.reverses_id', 'is', null), eb('u.charged_mc', '!=', 0)]))
    .limit(SAMPLE)
    .execute();
  for (const o of orphan) flag(`usage ${o.id}: charged usage without its ledger row`);
  const unrecorded = await db
    .selectFrom('credit_transactions as t')
    .leftJoin('usage_tracking as u', 'u.transaction_id', 't.id')
    .select(['t.id', 't.user_id', 't.seq'])
    .where('t.type', '=', 'usage')
    .where('u.id', 'is', null)
    .limit(SAMPLE)
    .execute();
  for (const t of unrecorded) flag(`account ${t.user_id} row ${t.seq} (${t.id}): a usage row without its usage record`);
  const doubled = await db
    .selectFrom('usage_tracking')
    .select(['transaction_id'])
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('transaction_id', 'is not', null)
    .groupBy('transaction_id')
    .having((eb) => eb.fn.countAll(), '>', 1)
    .limit(SAMPLE)
    .execute();
  for (const d of doubled) flag(`ledger row ${d.transaction_id}: ${d.n} usage records for one charge`);
  const bypassCharged = await db
    .selectFrom('usage_tracking')
    .select('id')
    .where('bypass', '=', 1)
    .where((eb) => eb.or([eb('charged_mc', '!=', 0), eb('transaction_id', 'is not', null)]))
    .limit(SAMPLE)
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
    .limit(SAMPLE)
    .execute();
  for (const b of badReversals) flag(`usage ${b.id}: a reversal that does not negate usage ${b.reverses_id}`);
  const reversalWithoutRow = await db
    .selectFrom('credit_transactions as t')
    .leftJoin('usage_tracking as u', 'u.transaction_id', 't.id')
    .select('t.id')
    .where('t.reference_type', '=', USAGE_REVERSAL_REF)
    .where((eb) => eb.or([eb('u.id', 'is', null), eb('u.reverses_id', 'is', null), eb('t.type', '!=', 'adjustment')]))
    .limit(SAMPLE)
    .execute();
  for (const t of reversalWithoutRow) flag(`transaction ${t.id}: a usage reversal without its reversal usage row`);

  // 5. Rollups equal the usage rows they summarise.
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
      eb.fn.countAll<number>().as('rows'),
      eb.fn.sum<number>('quantity_milli').as('qty'),
    ])
    .groupBy(['user_id', 'operation', 'unit', 'bucket'])
    .execute();
  const rollups = await db.selectFrom('usage_rollups').selectAll().execute();
  const rollupKey = (u: string, b: number, o: string, n: string) => `${u}|${b}|${o}|${n}`;
  const stored = new Map(rollups.map((r) => [rollupKey(r.user_id, r.bucket, r.operation, r.unit), r]));
  let usageRows = 0;
  for (const r of recomputed) {
    usageRows += Number(r.rows);
    const k = rollupKey(r.user_id, Number(r.bucket), r.operation, r.unit);
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

  // 6. Payments: each granted exactly once, its claw-backs what its rows add up to.
  const payments = await verifyPayments(db, flag);

  return {
    ok: violations.length === 0,
    accounts: accounts.length,
    transactions,
    activeHolds,
    usageRows,
    rollupRows: rollups.length,
    payments,
    anchors: anchors.size,
    keyed,
    heads,
    violations,
  };
}

const GRANTED_STATUSES = new Set(['succeeded', 'partially_refunded', 'refunded', 'disputed']);
const DISPUTE_HOLD = 'dispute_';

interface PaymentRows {
  grants: { type: string; amount: number; user: string }[];
  refunds: number;
  disputes: number;
}

async function verifyPayments(db: Kysely<DB>, flag: (msg: string) => void): Promise<number> {
  // Every ledger row that names a payment (or a dispute's hold): grants, claw-backs, the hold's own rows.
  const rows = await db
    .selectFrom('credit_transactions')
    .select(['id', 'user_id', 'type', 'amount_mc', 'reference_type', 'reference_id'])
    .where((eb) =>
      eb.or([
        eb('reference_type', '=', 'payment'),
        eb.and([eb('reference_type', '=', 'reservation'), eb('reference_id', 'like', `${DISPUTE_HOLD}%`)]),
      ]),
    )
    .execute();
  const byPayment = new Map<string, PaymentRows>();
  const of = (id: string) => {
    let p = byPayment.get(id);
    if (!p) {
      p = { grants: [], refunds: 0, disputes: 0 };
      byPayment.set(id, p);
    }
    return p;
  };
  for (const r of rows) {
    const id = r.reference_type === 'payment' ? (r.reference_id as string) : (r.reference_id as string).slice(DISPUTE_HOLD.length);
    const p = of(id);
    if (PURCHASED.has(r.type)) p.grants.push({ type: r.type, amount: r.amount_mc, user: r.user_id });
    else if (r.type === 'refund') p.refunds -= r.amount_mc;
    else if (r.type === 'dispute') p.disputes -= r.amount_mc;
  }
  const payments: PaymentRow[] = await db.selectFrom('stripe_payments').selectAll().execute();
  for (const p of payments) {
    const where = `payment ${p.id}`;
    const got = byPayment.get(p.id) ?? { grants: [], refunds: 0, disputes: 0 };
    byPayment.delete(p.id);
    const granted = GRANTED_STATUSES.has(p.status);
    const mainType = p.kind === 'auto_recharge' ? 'auto_recharge' : 'purchase';
    const main = got.grants.filter((g) => g.type === mainType || g.type === 'purchase' || g.type === 'auto_recharge');
    const bonus = got.grants.filter((g) => g.type === 'bonus');
    if (!granted) {
      if (got.grants.length > 0) flag(`${where}: ${p.status}, yet ${got.grants.length} grant row(s) name it`);
    } else {
      if (main.length !== 1 || main[0]?.amount !== p.credits_mc || main[0]?.type !== mainType) {
        flag(`${where}: ${p.status}, granted ${main.length} time(s) (${main.map((g) => `${g.type} ${g.amount}`).join(', ') || 'never'}), expected one ${mainType} of ${p.credits_mc}`);
      }
      const wantBonus = p.bonus_credits_mc > 0 ? 1 : 0;
      if (bonus.length !== wantBonus || (wantBonus === 1 && bonus[0]?.amount !== p.bonus_credits_mc)) {
        flag(`${where}: bonus granted ${bonus.length} time(s) (${bonus.map((g) => g.amount).join(', ') || 'never'}), expected ${wantBonus === 1 ? `one of ${p.bonus_credits_mc}` : 'none'}`);
      }
    }
    if (got.grants.some((g) => g.user !== p.user_id)) flag(`${where}: granted to an account other than its payer's`);
    if (got.refunds !== p.clawed_back_mc) flag(`${where}: refund rows take ${got.refunds}, the payment says ${p.clawed_back_mc} was clawed back`);
    // A database not migrated to this release yet (a backup of the release before) records no dispute_clawed_mc.
    const disputeTook = (p as Partial<PaymentRow>).dispute_clawed_mc ?? got.disputes;
    if (got.disputes !== disputeTook) flag(`${where}: dispute rows take ${got.disputes}, the payment says its lost dispute took ${disputeTook}`);
    if (p.clawed_back_mc + disputeTook > p.credits_mc + p.bonus_credits_mc) {
      flag(`${where}: claw-backs of ${p.clawed_back_mc + disputeTook} are more than the ${p.credits_mc + p.bonus_credits_mc} it granted`);
    }
  }
  for (const id of byPayment.keys()) flag(`ledger rows name payment ${id}, which does not exist`);
  return payments.length;
}
