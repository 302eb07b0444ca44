import { type Kysely, sql } from 'kysely';
import { isPostgres, notReversible } from './helpers.js';

/**
 * The index of an account's open grants keeps them in the spending order (issue 17, the
 * writer's speed). The ledger writer reads, for an account whose batch only debits or holds,
 * its first open grant in the spending order and reads the rest only when that one's free
 * credits do not cover the batch (core/ledger/load-batch.ts); with this index that first grant
 * is one step down the index instead of a sort of all the account's open grants.
 *
 * `grants_open` was (user_id) where remaining_mc > 0; it becomes (user_id, then the spending
 * order) with the same predicate, so everything that used it (the account's open grants, the
 * balance's `expiringSoon`) still does.
 *
 * The order is core/ledger/grants.ts `spendingOrder` in SQL: the earliest expiry first, never
 * last (null as the largest bigint); promotional sources before paid ones; the oldest first;
 * then the id, compared as bytes (PostgreSQL: `collate "C"`; ids are ASCII, so as JavaScript
 * compares them). A query uses the index only with the same expressions: load-batch.ts builds
 * its ORDER BY from `grantsSpendingOrder` below.
 */
export function grantsSpendingOrder(postgres: boolean): string {
  return `coalesce(expires_at, 9223372036854775807), (case when source in ('bonus', 'signup_bonus', 'promo', 'adjustment') then 0 else 1 end), created_at, id${postgres ? ' collate "C"' : ''}`;
}

export async function up(db: Kysely<unknown>): Promise<void> {
  const pg = await isPostgres(db);
  await sql`drop index grants_open`.execute(db);
  await sql`create index grants_open on grants (user_id, ${sql.raw(grantsSpendingOrder(pg))}) where remaining_mc > 0`.execute(db);
}

export { notReversible as down };
