/**
 * Changing and removing an organisation's members, under its rules:
 * - an owner or admin acts (a plain member gets 403; anyone may remove themselves: leave);
 * - only an owner gives or takes the owner role, changes an owner's monthly limit or removes
 *   an owner (403 otherwise): an admin manages everyone but the owners;
 * - the last owner cannot be removed or demoted (409): an organisation always has someone
 *   who can manage it.
 * Each change first touches the organisation's account row, which on PostgreSQL locks it
 * until the commit, so two owners demoting each other at once are decided one after the
 * other (the second sees the state the first left: a demoted owner is a member now, 403;
 * one owner left, 409); SQLite's writer runs one transaction at a time.
 */
import type { MemberRole } from '../../db/schema.js';
import { recordAudit } from '../audit/record-audit.js';
import type { LedgerWriter } from '../ledger/writer.js';
import { forbiddenForMember, isManager, lastOwner, lockOrg, ownerCount, ownersOnly, requireOrgMember, targetOf } from './membership.js';

/** PATCH a member: `role` and/or `monthlyLimitMc` (null: no limit). Returns the member's new row. */
export async function updateMember(
  writer: LedgerWriter,
  input: { orgId: string; actorId: string; userId: string; role?: MemberRole | undefined; monthlyLimitMc?: number | null | undefined },
) {
  return writer.transaction(async ({ trx, now }) => {
    // Outsiders learn nothing (404) and write nothing; then the lock, then the actor's role as it is now.
    await requireOrgMember(trx, input.orgId, input.actorId);
    await lockOrg(trx, input.orgId, now);
    const actor = await requireOrgMember(trx, input.orgId, input.actorId);
    if (!isManager(actor.role)) throw forbiddenForMember('that');
    const target = await targetOf(trx, input.orgId, input.userId);
    const role = input.role ?? target.role;
    // An owner's row (its role or its limit) is the owners' to change: an admin who zeroed an
    // owner's limit would stop them spending the organisation they own.
    if ((role === 'owner' || target.role === 'owner') && actor.role !== 'owner') throw ownersOnly();
    if (role !== target.role) {
      if (target.role === 'owner' && (await ownerCount(trx, input.orgId)) <= 1) throw lastOwner();
    }
    const monthlyLimitMc = input.monthlyLimitMc === undefined ? target.monthly_limit_mc : input.monthlyLimitMc;
    await trx
      .updateTable('account_members')
      .set({ role, monthly_limit_mc: monthlyLimitMc, updated_at: now })
      .where('account_id', '=', input.orgId)
      .where('user_id', '=', input.userId)
      .execute();
    await recordAudit(
      trx,
      {
        actorId: input.actorId,
        action: 'organization.member_update',
        targetType: 'account',
        targetId: input.orgId,
        details: {
          userId: input.userId,
          from: { role: target.role, monthlyLimitMc: target.monthly_limit_mc },
          to: { role, monthlyLimitMc },
        },
      },
      now,
    );
    return { ...target, role, monthly_limit_mc: monthlyLimitMc, updated_at: now };
  });
}
