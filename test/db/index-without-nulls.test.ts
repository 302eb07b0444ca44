/**
 * Migration 024: usage_tracking_reverses and credit_transactions_reference keep no entry for
 * a row whose key is null (a metered request's usage row and ledger row), and every query
 * that reads by those columns still reads by the index, on both databases. The queries are
 * built here as src/ builds them (load-batch.ts, reconcile-call.ts, verify-usage.ts,
 * verify-payments.ts, get-liability.ts); their plans are compared with the names of the indexes.
 */
import { type CompiledQuery, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { oneOf } from '../../src/core/ledger/load-parts.js';
import { activeDialects } from '../support/db.js';
import { migratedDbForPlans } from '../support/query-plans.js';

describe.each(await activeDialects())('indexes without null keys (%s)', (dialect) => {
  const planned = migratedDbForPlans(dialect);
  /** The plan of the compiled query, its parameters bound. */
  const plan = (query: { compile(): CompiledQuery }) => {
    const { sql: text, parameters } = query.compile();
    return planned.plan(text, parameters);
  };
  const db = () => planned.db;

  it('both indexes are partial: their key is not null', async () => {
    const defs =
      dialect === 'sqlite'
        ? (
            await sql<{
              d: string;
            }>`select sql as d from sqlite_master where name in ('usage_tracking_reverses', 'credit_transactions_reference') order by name`.execute(
              db(),
            )
          ).rows
        : (
            await sql<{
              d: string;
            }>`select indexdef as d from pg_indexes where schemaname = current_schema() and indexname in ('usage_tracking_reverses', 'credit_transactions_reference') order by indexname`.execute(
              db(),
            )
          ).rows;
    expect(defs.map((r) => r.d)).toEqual([
      expect.stringMatching(/\(reference_type, reference_id\) where \(?reference_type is not null\)?$/i),
      expect.stringMatching(/^create unique index usage_tracking_reverses .*\(reverses_id\) where \(?reverses_id is not null\)?$/i),
    ]);
  });

  it('a reversal is refused twice and usage rows without one do not collide', async () => {
    await db().insertInto('accounts').values({ id: 'acct', kind: 'personal', name: 'A', created_at: 1, updated_at: 1 }).execute();
    const usage = (id: string, reverses: string | null) => ({
      id,
      user_id: 'acct',
      operation: 'op',
      unit: 'u',
      quantity_milli: 1,
      cost_mc: 1,
      charged_mc: 1,
      rule_credits_mc: 0,
      bypass: 0,
      created_at: 1,
      reverses_id: reverses,
    });
    await db()
      .insertInto('usage_tracking')
      .values([usage('u1', null), usage('u2', null), usage('r1', 'u1')])
      .execute();
    await expect(db().insertInto('usage_tracking').values(usage('r2', 'u1')).execute()).rejects.toThrow(/unique/i);
    await db().insertInto('usage_tracking').values(usage('r3', 'u2')).execute();
    await db().deleteFrom('usage_tracking').execute();
    await db().deleteFrom('accounts').execute();
  });

  it('the reads of reverses_id use usage_tracking_reverses', async () => {
    // load-batch.ts: which usage rows are already reversed (one id, several).
    for (const ids of [['a'], ['a', 'b', 'c']]) {
      expect(
        await plan(
          db()
            .selectFrom('usage_tracking')
            .select('reverses_id')
            .where(oneOf(dialect, 'reverses_id', ids)),
        ),
      ).toContain('usage_tracking_reverses');
    }
    // verify-usage.ts: every reversal and the row it names.
    expect(
      await plan(
        db()
          .selectFrom('usage_tracking as r')
          .leftJoin('usage_tracking as o', 'o.id', 'r.reverses_id')
          .select(['r.id', 'r.reverses_id'])
          .where('r.reverses_id', 'is not', null)
          .where('o.id', 'is', null),
      ),
    ).toContain('usage_tracking_reverses');
    // reconcile-call.ts: a legacy call's start row (`reverses_id is null`) is read by the account's rows.
    expect(
      await plan(
        db()
          .selectFrom('usage_tracking')
          .select('id')
          .where('user_id', '=', 'u')
          .where('operation', '=', 'vapi_call')
          .where('unit', '=', 'per_call')
          .where('reverses_id', 'is', null)
          .where('metadata', '=', '{}'),
      ),
    ).toContain('usage_tracking_user_time');
  });

  it('the reads by reference use credit_transactions_reference', async () => {
    // verify-payments.ts: the rows naming a payment or a dispute's hold.
    expect(
      await plan(
        db()
          .selectFrom('credit_transactions')
          .select(['id', 'reference_type', 'reference_id'])
          .where((eb) =>
            eb.or([
              eb('reference_type', '=', 'payment'),
              eb.and([eb('reference_type', '=', 'reservation'), eb('reference_id', 'like', 'dispute_%')]),
            ]),
          ),
      ),
    ).toContain('credit_transactions_reference');
    // verify-usage.ts: the usage reversals' ledger rows.
    expect(
      await plan(
        db()
          .selectFrom('credit_transactions as t')
          .leftJoin('usage_tracking as u', 'u.transaction_id', 't.id')
          .select('t.id')
          .where('t.reference_type', '=', 'usage_reversal')
          .where((eb) => eb.or([eb('u.id', 'is', null), eb('u.reverses_id', 'is', null), eb('t.type', '!=', 'adjustment')])),
      ),
    ).toContain('credit_transactions_reference');
    // get-liability.ts: the expiries of a period.
    expect(
      await plan(
        db()
          .selectFrom('credit_transactions as t')
          .innerJoin('grants as g', (j) => j.onRef('g.id', '=', 't.reference_id').onRef('g.user_id', '=', 't.user_id'))
          .select(['g.id'])
          .select(sql<string>`sum(-t.amount_mc)`.as('mc'))
          .where('t.type', '=', 'expiry')
          .where('t.reference_type', '=', 'grant')
          .where('t.created_at', '>=', 1)
          .where('t.created_at', '<', 2)
          .groupBy(['g.id']),
      ),
    ).toContain('credit_transactions_reference');
  });
});
