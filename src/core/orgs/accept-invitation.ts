import { isUniqueViolation } from '../../db/errors.js';
import { normalizeEmail } from '../accounts/create-user.js';
import type { AccountItem } from '../accounts/list-accounts.js';
import { recordAudit } from '../audit/record-audit.js';
import { conflict, notFound } from '../errors.js';
import type { LedgerWriter } from '../ledger/writer.js';
import { invitationTokenHash } from './invite-member.js';
import { addMember } from './membership.js';

/**
 * The signed-in user whose email is the invitation's joins the organisation with its role.
 * An unknown, used or expired token, or one addressed to someone else, is 404 (the same
 * answer for each, so a token tells nothing to whoever holds it); a user who is a member
 * already is 409 and the invitation stays unused. The invitation is marked used with a
 * guarded update, so one token admits one user however many requests race.
 */
export async function acceptInvitation(
  writer: LedgerWriter,
  input: { token: string; userId: string; email: string },
): Promise<AccountItem> {
  const hash = invitationTokenHash(input.token);
  try {
    return await writer.transaction(async ({ trx, now }) => {
      const inv = await trx.selectFrom('invitations').selectAll().where('token_hash', '=', hash).executeTakeFirst();
      if (!inv || inv.accepted_at !== null || inv.expires_at <= now || inv.email !== normalizeEmail(input.email)) {
        throw notFound('Invitation');
      }
      const already = await trx
        .selectFrom('account_members')
        .select('role')
        .where('account_id', '=', inv.account_id)
        .where('user_id', '=', input.userId)
        .executeTakeFirst();
      if (already) throw conflict('You are a member of this organisation already.', { role: already.role });
      const used = await trx
        .updateTable('invitations')
        .set({ accepted_at: now, accepted_by: input.userId })
        .where('id', '=', inv.id)
        .where('accepted_at', 'is', null)
        .executeTakeFirst();
      if (Number(used.numUpdatedRows) !== 1) throw notFound('Invitation');
      await addMember(trx, inv.account_id, input.userId, inv.role, now);
      await recordAudit(
        trx,
        {
          actorId: input.userId,
          action: 'organization.join',
          targetType: 'account',
          targetId: inv.account_id,
          details: { invitationId: inv.id, role: inv.role },
        },
        now,
      );
      const org = await trx
        .selectFrom('accounts')
        .select(['id', 'kind', 'name', 'external_id'])
        .where('id', '=', inv.account_id)
        .executeTakeFirstOrThrow();
      return { id: org.id, kind: org.kind, name: org.name, role: inv.role, externalId: org.external_id };
    });
  } catch (e) {
    // Two of the user's requests at once: the other one made them a member.
    if (isUniqueViolation(e)) throw conflict('You are a member of this organisation already.');
    throw e;
  }
}
