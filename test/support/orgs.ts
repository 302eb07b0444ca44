/**
 * An organisation for ledger tests, written directly (the account, its empty balance and
 * settings, its members with their monthly limits): the ledger's tests need no HTTP.
 */
import type { Kysely } from 'kysely';
import { insertAccount } from '../../src/core/accounts/insert-account.js';
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
    await insertAccount({ trx, now }, { id, kind: 'organization', name, externalId: null, lowBalanceThresholdMc: 0, startingMc: 0 });
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
