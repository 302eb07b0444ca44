import { type Kysely, sql } from 'kysely';
import { REQUIRED_BIGINT, REQUIRED_TEXT, defineTable } from './helpers.js';

/**
 * Grant movements (issue 17, the liability report): one row per ledger operation and grant
 * it changed, the signed change of the grant's remaining credits, written by the ledger
 * writer in the operation's transaction. A grant's remaining credits at any past moment are
 * the sum of its movements up to then, so `GET /api/admin/liability?asOf=` is exact for
 * everything the ledger wrote from this migration on.
 *
 * Filled in for the grants made before it, from what the ledger says:
 * - the grant's credits entering at its creation (a grant made by migration 017 from a balance:
 *   its remaining and expired credits, what it is known to have held; what was spent of it
 *   between 017 and this migration cannot be told apart from what was spent before 017);
 * - each `expiry` row of the grant, at its time;
 * - what was spent of it (credits less remaining less expired), as one movement at the last
 *   ledger row of its account that took credits (usage, a negative adjustment, a refund, a
 *   dispute) since the grant was made, else at the grant's creation. Which debit took which
 *   grant's credits was not recorded before this migration, so for such a grant a past day
 *   between its creation and that row may show spent credits as still outstanding; the
 *   figures at the migration and after it are exact.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await defineTable(db, 'grant_movements', {
    columns: {
      transaction_id: REQUIRED_TEXT,
      grant_id: REQUIRED_TEXT,
      user_id: REQUIRED_TEXT,
      amount_mc: REQUIRED_BIGINT,
      created_at: REQUIRED_BIGINT,
    },
    primaryKey: { grant_movements_pk: ['transaction_id', 'grant_id'] },
    // grant_movements_time, the liability's question: every grant's movements up to a moment.
    indexes: { grant_movements_time: ['created_at', 'grant_id'], grant_movements_grant: ['grant_id'] },
  });

  // Expiry rows, as they were written.
  await sql`insert into grant_movements (transaction_id, grant_id, user_id, amount_mc, created_at)
    select t.id, g.id, g.user_id, t.amount_mc, t.created_at
    from credit_transactions t join grants g on g.id = t.reference_id and g.user_id = t.user_id
    where t.type = 'expiry' and t.reference_type = 'grant'`.execute(db);
  // What entered: a grant of the ledger its credits; one made from a balance (migration 017) what it held then.
  await sql`insert into grant_movements (transaction_id, grant_id, user_id, amount_mc, created_at)
    select 'open_' || g.id, g.id, g.user_id,
      case when g.id like 'grant-migrated-%' then g.remaining_mc + g.expired_mc else g.credits_mc end,
      g.created_at
    from grants g`.execute(db);
  // What was spent of it: the rest, at the last ledger row of its account that took credits since.
  await sql`insert into grant_movements (transaction_id, grant_id, user_id, amount_mc, created_at)
    select 'spent_' || g.id, g.id, g.user_id,
      -(o.amount_mc - g.remaining_mc - g.expired_mc),
      coalesce((select max(t.created_at) from credit_transactions t
        where t.user_id = g.user_id and t.created_at >= g.created_at and t.amount_mc < 0
          and t.type in ('usage', 'adjustment', 'refund', 'dispute')), g.created_at)
    from grants g join grant_movements o on o.transaction_id = 'open_' || g.id
    where o.amount_mc - g.remaining_mc - g.expired_mc > 0`.execute(db);
}

export { notReversible as down } from './helpers.js';
