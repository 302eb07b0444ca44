import { type Kysely, sql } from 'kysely';
import { grantsSpendingOrder as spendingOrder021 } from './021-grants-spending-order.js';
import { isPostgres, notReversible } from './helpers.js';

/**
 * SQLite: the two indexes whose expressions held an `in (...)` list of constants say the
 * same test with `=` and `or` (issue 21, goal 2). SQLite evaluates a partial index's WHERE,
 * and an indexed expression, for every row a statement writes, and codes an `in` list of
 * more than two constants as a lookup in a temporary b-tree that each execution of the
 * statement builds, fills and drops: every insert into credit_transactions did so once
 * (credit_transactions_sales, `type in (5 types)`), every update of a grant twice (grants_open's
 * promotional sources, for the old key and the new). About 20,000 instructions of a metered
 * request's 460,000 (bench/analysis.md). A chain of `or` is compared in place.
 *
 * PostgreSQL evaluates `in` lists in place: its indexes stay as migrations 018 and 021 made them.
 *
 * SQLite uses an index only for a query that says the index's expressions as written: the
 * runtime's queries take them from here (`grantsSpendingOrder`, `SALES_PREDICATE`).
 */
const PROMOTIONAL = ['bonus', 'signup_bonus', 'promo', 'adjustment'];
const SALES = ['purchase', 'bonus', 'auto_recharge', 'refund', 'dispute'];
const anyOf = (column: string, values: readonly string[]) => `(${values.map((v) => `${column} = '${v}'`).join(' or ')})`;

/**
 * The rows that sell credits or take sold credits back, as the partial index
 * credit_transactions_sales says it on SQLite; PostgreSQL's `in` list index is used for
 * this form too (its planner proves the one from the other).
 */
export const SALES_PREDICATE = anyOf('type', SALES);

/** The spending order of grants as grants_open keeps it (migration 021's on PostgreSQL). */
export function grantsSpendingOrder(postgres: boolean): string {
  if (postgres) return spendingOrder021(true);
  return `coalesce(expires_at, 9223372036854775807), (case when ${anyOf('source', PROMOTIONAL)} then 0 else 1 end), created_at, id`;
}

export async function up(db: Kysely<unknown>): Promise<void> {
  if (await isPostgres(db)) return;
  await sql`drop index credit_transactions_sales`.execute(db);
  await sql`create index credit_transactions_sales on credit_transactions (created_at) where ${sql.raw(SALES_PREDICATE)}`.execute(db);
  await sql`drop index grants_open`.execute(db);
  await sql`create index grants_open on grants (user_id, ${sql.raw(grantsSpendingOrder(false))}) where remaining_mc > 0`.execute(db);
}

export { notReversible as down };
