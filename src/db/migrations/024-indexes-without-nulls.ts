import { type Kysely, sql } from 'kysely';
import { notReversible } from './helpers.js';

/**
 * Two indexes of the ledger's tables keep no entry for the rows whose key is null (issue 21,
 * goal 2): a metered request's usage row has no `reverses_id` (only a reversal names the row
 * it takes back) and its ledger row no `reference_type` / `reference_id` (only holds,
 * payments, grants, expiries, reversals and the like name something), yet each added one
 * entry for its nulls to `usage_tracking_reverses` and `credit_transactions_reference`: a
 * b-tree insert per request on both databases that no query reads.
 *
 * - usage_tracking_reverses stays unique: a unique index never made two nulls collide, on
 *   either database (no `nulls not distinct`), so the partial one accepts and refuses the
 *   same rows. No `on conflict` names the column.
 * - Every query that reads by these columns compares them with `=`, `in (...)`, `= any(...)`
 *   or `is not null`, which both planners prove imply `is not null`: their plans use the
 *   indexes as before (test/db/index-without-nulls.test.ts, EXPLAIN on both). Nothing read
 *   `reverses_id is null` by the index but SQLite's plan for a legacy call's start row, which
 *   took the unique index as selective for `is null` and so read every usage row through it;
 *   it now reads the account's rows by usage_tracking_user_time.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`drop index usage_tracking_reverses`.execute(db);
  await sql`create unique index usage_tracking_reverses on usage_tracking (reverses_id) where reverses_id is not null`.execute(db);
  await sql`drop index credit_transactions_reference`.execute(db);
  const reference = sql`credit_transactions (reference_type, reference_id) where reference_type is not null`;
  await sql`create index credit_transactions_reference on ${reference}`.execute(db);
}

export { notReversible as down };
