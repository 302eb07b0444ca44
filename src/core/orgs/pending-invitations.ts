/**
 * An organisation's pending invitations (not accepted, not expired), for its owners and
 * admins, and revoking one: the invitation is deleted in one transaction with its audit
 * entry, so its token is then unknown (accepting it is 404, as for any used or foreign one).
 * Only an owner revokes an invitation to become an owner, as only an owner makes one.
 */
import type { Kysely } from 'kysely';
import type { DB, MemberRole } from '../../db/schema.js';
import { recordAudit } from '../audit/record-audit.js';
import { DomainError, notFound } from '../errors.js';
import type { LedgerWriter } from '../ledger/writer.js';
import { requireOrgManager } from './membership.js';

export interface PendingInvitation {
  id: string;
  email: string;
  role: MemberRole;
  expiresAt: number;
  createdAt: number;
}

/** The pending invitations of the organisation, newest first (never a token: only its hash is kept). 404 outsiders, 403 members. */
export async function listPendingInvitations(db: Kysely<DB>, orgId: string, actorId: string, now: number): Promise<PendingInvitation[]> {
  await requireOrgManager(db, orgId, actorId);
  const rows = await db
    .selectFrom('invitations')
    .select(['id', 'email', 'role', 'expires_at', 'created_at'])
    .where('account_id', '=', orgId)
    .where('accepted_at', 'is', null)
    .where('expires_at', '>', now)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    email: r.email,
    role: r.role,
    expiresAt: Number(r.expires_at),
    createdAt: Number(r.created_at),
  }));
}

/** Revokes a pending invitation of the organisation; one that is not pending (accepted, expired, revoked, another's) is 404. */
export async function revokeInvitation(
  writer: LedgerWriter,
  input: { orgId: string; actorId: string; invitationId: string },
): Promise<void> {
  await writer.transaction(async ({ trx, now }) => {
    const actor = await requireOrgManager(trx, input.orgId, input.actorId);
    const inv = await trx
      .selectFrom('invitations')
      .select(['id', 'email', 'role'])
      .where('id', '=', input.invitationId)
      .where('account_id', '=', input.orgId)
      .where('accepted_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    if (!inv) throw notFound('Invitation');
    if (inv.role === 'owner' && actor.role !== 'owner') {
      throw new DomainError('forbidden', 'Only an owner may revoke an invitation to become an owner.');
    }
    // Guarded by the same conditions, so an acceptance committed meanwhile is not undone.
    const gone = await trx.deleteFrom('invitations').where('id', '=', inv.id).where('accepted_at', 'is', null).executeTakeFirst();
    if (Number(gone.numDeletedRows) !== 1) throw notFound('Invitation');
    await recordAudit(
      trx,
      {
        actorId: input.actorId,
        action: 'organization.invitation_revoke',
        targetType: 'account',
        targetId: input.orgId,
        details: { invitationId: inv.id, email: inv.email, role: inv.role },
      },
      now,
    );
  });
}
