/** What an organisation member has spent and holds this month against their limit, read outside a batch (a refusal's figures, an estimate). */
import type { Core } from '../index.js';
import { memberKey } from '../ledger/decide-members.js';
import { loadMembers } from '../ledger/load-members.js';
import type { MemberState } from '../ledger/batch-state.js';
import { usageMonth } from './membership.js';

/** The member `memberId` of the account `accountId` as the writer would count them now; undefined if not a member. */
export async function memberSpending(core: Core, accountId: string, memberId: string): Promise<MemberState | undefined> {
  const { db, dialect } = core.database;
  const key = memberKey(accountId, memberId);
  return (await loadMembers(db, dialect, new Map([[key, [accountId, memberId]]]), usageMonth(core.now()))).get(key);
}
