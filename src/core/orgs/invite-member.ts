import { hash, randomBytes } from 'node:crypto';
import type { MemberRole } from '../../db/schema.js';
import { normalizeEmail } from '../accounts/create-user.js';
import type { SendMail } from '../accounts/mailer.js';
import { recordAudit } from '../audit/record-audit.js';
import { DomainError, conflict } from '../errors.js';
import { newId } from '../ids.js';
import type { LedgerWriter } from '../ledger/writer.js';
import { requireOrgManager } from './membership.js';

/** How long an invitation can be accepted. */
export const INVITATION_TTL_MS = 7 * 86_400_000;

export const invitationTokenHash = (token: string) => hash('sha256', token);

export interface CreatedInvitation {
  id: string;
  email: string;
  role: MemberRole;
  /** Shown once to the inviter (and mailed); only its SHA-256 is stored. */
  token: string;
  expiresAt: number;
}

/**
 * An owner or admin invites someone by email with a role, valid 7 days. Only an owner may
 * invite another owner (403 otherwise); someone who is a member already is 409. The token
 * is answered once and mailed (after the commit) when `send` is given; audited without it.
 */
export async function inviteMember(
  writer: LedgerWriter,
  input: {
    orgId: string;
    actorId: string;
    email: string;
    role: MemberRole;
    send?: SendMail | undefined;
    acceptLink?: ((token: string) => string) | undefined;
  },
): Promise<CreatedInvitation> {
  const email = normalizeEmail(input.email);
  const token = `inv_${randomBytes(32).toString('base64url')}`;
  const created = await writer.transaction(async ({ trx, now }) => {
    const actor = await requireOrgManager(trx, input.orgId, input.actorId);
    if (input.role === 'owner' && actor.role !== 'owner') {
      throw new DomainError('forbidden', 'Only an owner may invite another owner.');
    }
    const member = await trx
      .selectFrom('account_members as m')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .select('m.user_id')
      .where('m.account_id', '=', input.orgId)
      .where('u.email', '=', email)
      .executeTakeFirst();
    if (member) throw conflict('This person is a member of the organisation already.', { userId: member.user_id });
    const id = newId(now);
    const expiresAt = now + INVITATION_TTL_MS;
    await trx
      .insertInto('invitations')
      .values({
        id,
        account_id: input.orgId,
        email,
        role: input.role,
        token_hash: invitationTokenHash(token),
        expires_at: expiresAt,
        created_by: input.actorId,
        created_at: now,
      })
      .execute();
    await recordAudit(
      trx,
      {
        actorId: input.actorId,
        action: 'organization.invite',
        targetType: 'account',
        targetId: input.orgId,
        details: { invitationId: id, email, role: input.role },
      },
      now,
    );
    return { id, email, role: input.role, token, expiresAt, orgName: actor.name };
  });
  input.send?.({
    to: email,
    subject: `You are invited to ${created.orgName}`,
    text:
      `You are invited to join ${created.orgName} as ${created.role}, to use its credits.\n\n` +
      `Sign in with this address (${email}) and accept the invitation${input.acceptLink ? `:\n${input.acceptLink(token)}` : ` with the token ${token}`}\n\n` +
      `Or accept it through the API: POST /api/invitations/${token}/accept\n\n` +
      `It expires on ${new Date(created.expiresAt).toISOString().slice(0, 10)} and works once.`,
  });
  const { orgName: _n, ...invitation } = created;
  return invitation;
}
