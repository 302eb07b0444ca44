/**
 * verify's cross-check of the ledger against usage: every charged usage record has its
 * ledger row (a `usage` row; a `release` for a settled hold that charged nothing; the
 * reversal's adjustment for a reversal), every `usage` ledger row its one usage record,
 * reversals negate exactly what they name, and the rollups equal the usage rows they
 * summarise. Runs inside verify's snapshot.
 */
import { type Kysely, sql } from 'kysely';
import type { DB } from '../../db/schema.js';
import { USAGE_REVERSAL_REF } from './decide.js';

/** At most this many rows of one kind of mismatch are listed. */
const SAMPLE = 20;
const HOUR = 3_600_000;

/** Flags every usage mismatch; returns the number of usage rows and of rollups. */
export async function verifyUsage(db: Kysely<DB>, flag: (msg: string) => void): Promise<{ usageRows: number; rollupRows: number }> {
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
  for (const m of mismatched)
    flag(`usage ${m.id}: charged ${m.charged_mc} but its ledger row (a ${m.type} of ${m.tx_user}) moved ${m.amount_mc}`);
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
  // A bypassed operation charges nothing: no ledger row (before the rows of amount 0), or a `usage` row of amount 0.
  const bypassCharged = await db
    .selectFrom('usage_tracking as u')
    .leftJoin('credit_transactions as t', 't.id', 'u.transaction_id')
    .select('u.id')
    .where('u.bypass', '=', 1)
    .where((eb) =>
      eb.or([
        eb('u.charged_mc', '!=', 0),
        eb.and([
          eb('u.transaction_id', 'is not', null),
          eb.or([eb('t.id', 'is', null), eb('t.amount_mc', '!=', 0), eb('t.type', '!=', 'usage')]),
        ]),
      ]),
    )
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

  // Rollups equal the usage rows they summarise.
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

  return { usageRows, rollupRows: rollups.length };
}
