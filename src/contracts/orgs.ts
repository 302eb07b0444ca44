/**
 * Accounts and organisations (shared/API.md part two, "Accounts: who holds credits"): the
 * accounts a user may act on, organisations, their members and invitations.
 */
import { z } from 'zod';
import { credits, freeText, nonNegativeCreditsInput } from './common.js';

export const accountKind = z.enum(['personal', 'organization']);
export const memberRole = z.enum(['owner', 'admin', 'member']).meta({
  description:
    '`owner` and `admin` manage members and invitations, buy credits, change settings and see payments; `member` spends and sees the balance. Only an owner gives or takes the owner role; the last owner cannot be removed or demoted.',
});

/** The platform's id of an organisation (the service API's `customer`), in the namespace of users' `sub`. */
const orgExternalId = freeText({ min: 1, max: 255, trim: false }).meta({
  description:
    "The platform's own id of the organisation: the service API names it as `customer`. One namespace with users' `sub`: an id a user or another organisation has is 409.",
});

export const accountSchema = z
  .object({
    id: z.string().meta({ description: 'What `X-Account` names. A personal account has its user\u2019s id.' }),
    kind: accountKind,
    name: z.string(),
    role: memberRole.meta({ description: 'The caller\u2019s role in it (`owner` of their personal account).' }),
    externalId: z.string().nullable(),
  })
  .meta({ id: 'Account' });

export const accountsList = z.object({ items: z.array(accountSchema) });

export const orgCreateBody = z.object({ name: freeText({ min: 1, max: 100 }), externalId: orgExternalId.optional() }).strict();

export const organizationSchema = z
  .object({ id: z.string(), name: z.string(), externalId: z.string().nullable() })
  .meta({ id: 'Organization' });

export const orgCreateResponse = z.object({ organization: organizationSchema });

export const orgParams = z.object({ id: z.string().min(1).max(100) });
export const memberParams = z.object({ id: z.string().min(1).max(100), userId: z.string().min(1).max(100) });
export const invitationTokenParams = z.object({ token: z.string().min(1).max(200) });
export const invitationParams = z.object({ id: z.string().min(1).max(100), invitationId: z.string().min(1).max(100) });

export const memberSchema = z
  .object({
    userId: z.string().meta({ description: 'The member\u2019s user id (the `memberId` of the rows they cause).' }),
    email: z.string(),
    name: z.string(),
    role: memberRole,
    monthlyLimit: credits.nullable().meta({ description: 'Credits the member may spend per calendar month (UTC); null: no limit.' }),
    usedThisMonth: credits.meta({ description: 'Credits the member spent of the organisation\u2019s this calendar month (UTC).' }),
  })
  .meta({ id: 'Member' });

export const membersList = z.object({ items: z.array(memberSchema) });

export const invitationCreateBody = z
  .object({
    email: z.string().trim().max(254).pipe(z.email()),
    role: memberRole,
  })
  .strict();

export const invitationSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    role: memberRole,
    token: z.string().meta({
      description:
        'The invitation\u2019s token, shown this once (only its hash is stored): the invited user accepts with `POST /api/invitations/:token/accept`. Also mailed when SMTP is set.',
    }),
    expiresAt: z.string(),
  })
  .meta({ id: 'Invitation' });

export const invitationCreateResponse = z.object({ invitation: invitationSchema });

export const pendingInvitationSchema = z
  .object({
    id: z.string().meta({ description: 'What `DELETE /api/orgs/:id/invitations/:invitationId` revokes.' }),
    email: z.string(),
    role: memberRole,
    expiresAt: z.string(),
    createdAt: z.string(),
  })
  .meta({ id: 'PendingInvitation' });

export const pendingInvitationsList = z.object({ items: z.array(pendingInvitationSchema) });

export const invitationRevokedResponse = z.null().meta({ description: 'No content: the invitation is revoked.' });

export const invitationAcceptResponse = z.object({ account: accountSchema });

export const memberPatchBody = z
  .object({
    role: memberRole.optional(),
    monthlyLimit: nonNegativeCreditsInput.nullable().optional().meta({
      description: 'Credits per calendar month (UTC), at most 3 decimals; `null` for no limit.',
    }),
  })
  .strict()
  .refine((b) => b.role !== undefined || b.monthlyLimit !== undefined, { message: 'give role, monthlyLimit or both' });

export const memberResponse = z.object({ member: memberSchema });

export const memberRemovedResponse = z.object({ removed: z.literal(true), userId: z.string() });
