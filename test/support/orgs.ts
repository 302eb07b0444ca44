/**
 * An organisation for ledger tests, written directly (the account, its empty balance and
 * settings, its members with their monthly limits): the ledger's tests need no HTTP.
 */
import type { Kysely } from 'kysely';
import { GENESIS_HASH } from '../../src/core/ledger/hash.js';
import { newId } from '../../src/core/ids.js';
import type { DB, MemberRole } from '../../src/db/schema.js';

export interface OrgMember {
  userId: string;
  role?: MemberRole;
  /** null or absent: no limit. */
  limitMc?: number | null;
}

export async function makeOrg(db: Kysely<DB>, members: OrgMember[], name = 'Acme Recruiting'): Promise<string> {
  const now = Date.now();
  const id = `org_${newId(now)}`;
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('accounts')
      .values({ id, kind: 'organization', name, external_id: null, created_at: now, updated_at: now })
      .execute();
    await trx
      .insertInto('user_credits')
      .values({
        user_id: id,
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
        user_id: id,
        low_balance_threshold_mc: 0,
        auto_recharge_enabled: 0,
        auto_recharge_threshold_mc: null,
        auto_recharge_package_id: null,
        below_threshold: 0,
        auto_recharge_fired: 0,
        auto_recharge_failures: 0,
        auto_recharge_retry_at: 0,
        updated_at: now,
      })
      .execute();
    for (const m of members) {
      await trx
        .insertInto('account_members')
        .values({
          account_id: id,
          user_id: m.userId,
          role: m.role ?? 'member',
          monthly_limit_mc: m.limitMc ?? null,
          created_at: now,
          updated_at: now,
        })
        .execute();
    }
  });
  return id;
}
