import { type Kysely, sql } from 'kysely';
import {
  BIGINT,
  ID,
  INTEGER,
  REQUIRED_BIGINT,
  REQUIRED_TEXT,
  TEXT,
  UNIQUE_TEXT,
  addColumns,
  createIndex,
  defineTable,
  defineTables,
  withDefault,
} from './helpers.js';

/**
 * Grants (issue 17): every credit that enters an account is a grant, spent in the contract's
 * order and expiring at its `expires_at`.
 *
 * - `grants`: one per credit movement in (purchase, bonus, sign-up bonus, promo, positive
 *   adjustment, auto-recharge): its original credits, what is left (`remaining_mc`, part of
 *   the balance), how much of that holds have reserved (`reserved_mc`), what expired
 *   (`expired_mc`, once `expired_at` is set), the payment it came from and what it was
 *   bought for (`value_cents`: a purchase's price, 0 for promotional credits). The sum of
 *   an account's `remaining_mc` is its balance's positive part.
 * - `reservation_grants`: which grants a hold reserved from, and how much of each, so a
 *   hold keeps what it reserved when a grant expires under it, and what it releases
 *   unspent returns to (or, if it expired meanwhile, expires from) its grant.
 * - `promo_codes` and `promo_redemptions` (once per account and code).
 * - Packages' `credits_expire_in_days` and `bonus_expire_in_days` (null: never).
 *
 * Existing balances become one non-expiring grant per source, derived from the ledger rows
 * by type; what was spent is taken in the spending order (promotional first), so the
 * grants' remaining credits sum to each balance's positive part and nothing changes for
 * current users.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await defineTable(db, 'grants', {
    columns: {
      id: ID,
      user_id: REQUIRED_TEXT,
      source: REQUIRED_TEXT,
      credits_mc: REQUIRED_BIGINT,
      remaining_mc: REQUIRED_BIGINT,
      reserved_mc: withDefault('bigint', 0),
      expired_mc: withDefault('bigint', 0),
      value_cents: withDefault('bigint', 0),
      payment_id: TEXT,
      transaction_id: TEXT,
      expires_at: BIGINT,
      expired_at: BIGINT,
      created_at: REQUIRED_BIGINT,
    },
  });
  // What a batch loads per account: the grants with credits left.
  await sql`create index grants_open on grants (user_id) where remaining_mc > 0`.execute(db);
  // What the sweeper looks for: grants due to expire.
  await sql`create index grants_due on grants (expires_at) where expired_at is null and expires_at is not null`.execute(db);
  await createIndex(db, 'grants_user_created', 'grants', ['user_id', 'created_at', 'id']);
  await createIndex(db, 'grants_payment', 'grants', ['payment_id']);

  await defineTables(db, {
    reservation_grants: {
      columns: {
        reservation_id: REQUIRED_TEXT,
        grant_id: REQUIRED_TEXT,
        amount_mc: REQUIRED_BIGINT,
      },
      primaryKey: { reservation_grants_pk: ['reservation_id', 'grant_id'] },
    },
    promo_codes: {
      columns: {
        id: ID,
        code: UNIQUE_TEXT,
        credits_mc: REQUIRED_BIGINT,
        expires_in_days: INTEGER,
        max_redemptions: INTEGER,
        valid_until: BIGINT,
        redemptions: withDefault('integer', 0),
        active: withDefault('integer', 1),
        created_by: TEXT,
        created_at: REQUIRED_BIGINT,
      },
    },
    promo_redemptions: {
      columns: {
        id: ID,
        code_id: REQUIRED_TEXT,
        user_id: REQUIRED_TEXT,
        grant_id: TEXT,
        created_at: REQUIRED_BIGINT,
      },
      unique: { promo_redemptions_once: ['code_id', 'user_id'] },
    },
  });

  await addColumns(db, 'credit_packages', { credits_expire_in_days: INTEGER, bonus_expire_in_days: INTEGER });

  await migrateBalances(db);
}

/** Sources in the order what is spent is taken from them (promotional before paid). */
const SPENT_FIRST = ['adjustment', 'signup_bonus', 'bonus', 'purchase', 'auto_recharge'] as const;

async function migrateBalances(db: Kysely<unknown>): Promise<void> {
  const accounts = (
    await sql<{ user_id: string; balance_mc: number | string }>`select user_id, balance_mc from user_credits where balance_mc > 0`.execute(
      db,
    )
  ).rows;
  if (accounts.length === 0) return;
  const sums = (
    await sql<{ user_id: string; type: string; mc: number | string }>`select user_id, type, sum(amount_mc) as mc from credit_transactions
      where amount_mc > 0 and type in ('purchase', 'bonus', 'signup_bonus', 'auto_recharge', 'adjustment')
      group by user_id, type`.execute(db)
  ).rows;
  const paid = (
    await sql<{ user_id: string; cents: number | string }>`select user_id, sum(amount_cents - refunded_cents) as cents from stripe_payments
      where status in ('succeeded', 'partially_refunded', 'disputed') group by user_id`.execute(db)
  ).rows;
  const byUser = new Map<string, Map<string, number>>();
  for (const s of sums) {
    let m = byUser.get(s.user_id);
    if (!m) byUser.set(s.user_id, (m = new Map()));
    m.set(s.type, Number(s.mc));
  }
  const cents = new Map(paid.map((p) => [p.user_id, Math.max(0, Number(p.cents))]));
  const now = Date.now();
  const rows: Record<string, unknown>[] = [];
  for (const a of accounts) {
    const m = byUser.get(a.user_id) ?? new Map<string, number>();
    const total = [...m.values()].reduce((s, x) => s + x, 0);
    const balance = Number(a.balance_mc);
    // What was spent (or taken back) came out of the promotional sources first.
    let spent = Math.max(0, total - balance);
    // A balance beyond what the typed rows credited (none in a sound ledger) lands in an adjustment grant.
    if (balance > total) m.set('adjustment', (m.get('adjustment') ?? 0) + balance - total);
    const paidMc = (m.get('purchase') ?? 0) + (m.get('auto_recharge') ?? 0);
    for (const source of SPENT_FIRST) {
      const credits = m.get(source) ?? 0;
      if (credits <= 0) continue;
      const taken = Math.min(spent, credits);
      spent -= taken;
      const remaining = credits - taken;
      const isPaid = source === 'purchase' || source === 'auto_recharge';
      const value = isPaid && paidMc > 0 ? Math.floor(((cents.get(a.user_id) ?? 0) * credits) / paidMc) : 0;
      if (remaining <= 0) continue;
      rows.push({
        id: `grant-migrated-${a.user_id}-${source}`,
        user_id: a.user_id,
        source,
        credits_mc: credits,
        remaining_mc: remaining,
        reserved_mc: 0,
        expired_mc: 0,
        value_cents: value,
        payment_id: null,
        transaction_id: null,
        expires_at: null,
        expired_at: null,
        created_at: now,
      });
    }
  }
  for (let i = 0; i < rows.length; i += 50) {
    await (db as Kysely<{ grants: Record<string, unknown> }>)
      .insertInto('grants')
      .values(rows.slice(i, i + 50))
      .execute();
  }
}

export { notReversible as down } from './helpers.js';
