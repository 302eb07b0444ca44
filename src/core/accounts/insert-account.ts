import type { AccountKind } from '../../db/schema.js';
import { GENESIS_HASH } from '../ledger/hash.js';
import type { TransactionScope } from '../ledger/writer.js';

/**
 * Inserts an account (personal or an organisation) with its empty balance (the start of its
 * ledger chain) and default settings, in the caller's transaction. A taken external id is
 * the unique violation of accounts.external_id (the caller turns it into a 409). Only the
 * scope's transaction and time are used (the ledger's tests pass a plain transaction).
 */
export async function insertAccount(
  scope: Pick<TransactionScope, 'trx' | 'now'>,
  a: {
    id: string;
    kind: AccountKind;
    name: string;
    externalId: string | null;
    lowBalanceThresholdMc: number;
    /** Credits the account starts with (a sign-up bonus granted right after): decides whether it starts below its threshold. */
    startingMc: number;
  },
): Promise<void> {
  const { trx, now } = scope;
  await trx
    .insertInto('accounts')
    .values({ id: a.id, kind: a.kind, name: a.name, external_id: a.externalId, created_at: now, updated_at: now })
    .execute();
  await trx
    .insertInto('user_credits')
    .values({
      user_id: a.id,
      balance_mc: 0,
      reserved_mc: 0,
      lifetime_purchased_mc: 0,
      lifetime_used_mc: 0,
      seq: 0,
      last_hash: GENESIS_HASH,
      updated_at: now,
    })
    .execute();
  await trx
    .insertInto('user_settings')
    .values({
      user_id: a.id,
      low_balance_threshold_mc: a.lowBalanceThresholdMc,
      auto_recharge_enabled: 0,
      auto_recharge_threshold_mc: null,
      auto_recharge_package_id: null,
      // A new account already below its threshold has not crossed it: no alert until it rises and falls.
      below_threshold: a.startingMc < a.lowBalanceThresholdMc ? 1 : 0,
      auto_recharge_fired: 0,
      auto_recharge_failures: 0,
      auto_recharge_retry_at: 0,
      updated_at: now,
    })
    .execute();
}
