/** Removing a member of an organisation, or leaving it: the rules are in update-member.ts's comment. */
import { recordAudit } from '../audit/record-audit.js';
import type { LedgerWriter } from '../ledger/writer.js';
import { forbiddenForMember, isManager, lastOwner, lockOrg, ownerCount, ownersOnly, requireOrgMember, targetOf } from './membership.js';

/** Removes a member (or the caller leaves). Their past rows keep their memberId. */
export async function removeMember(writer: LedgerWriter, input: { orgId: string; actorId: string; userId: string }): Promise<void> {
  await writer.transaction(async ({ trx, now }) => {
    await requireOrgMember(trx, input.orgId, input.actorId);
    await lockOrg(trx, input.orgId, now);
    const actor = await requireOrgMember(trx, input.orgId, input.actorId);
    const leaving = input.actorId === input.userId;
    if (!leaving && !isManager(actor.role)) throw forbiddenForMember('that');
    const target = await targetOf(trx, input.orgId, input.userId);
    if (target.role === 'owner') {
      if (!leaving && actor.role !== 'owner') throw ownersOnly();
      if ((await ownerCount(trx, input.orgId)) <= 1) throw lastOwner();
    }
    await trx.deleteFrom('account_members').where('account_id', '=', input.orgId).where('user_id', '=', input.userId).execute();
    await recordAudit(
      trx,
      {
        actorId: input.actorId,
        action: leaving ? 'organization.leave' : 'organization.member_remove',
        targetType: 'account',
        targetId: input.orgId,
        details: { userId: input.userId, role: target.role },
      },
      now,
    );
  });
}
