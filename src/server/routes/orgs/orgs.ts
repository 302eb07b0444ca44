import { mcToCredits } from '../../../contracts/money.js';
import {
  accountsList,
  invitationAcceptResponse,
  invitationCreateBody,
  invitationCreateResponse,
  invitationParams,
  invitationRevokedResponse,
  invitationTokenParams,
  memberParams,
  memberPatchBody,
  memberRemovedResponse,
  memberResponse,
  membersList,
  orgCreateBody,
  orgCreateResponse,
  orgParams,
  pendingInvitationsList,
} from '../../../contracts/orgs.js';
import { listAccounts } from '../../../core/accounts/list-accounts.js';
import { type SendMail, accountLinks } from '../../../core/accounts/mailer.js';
import { acceptInvitation } from '../../../core/orgs/accept-invitation.js';
import { removeMember } from '../../../core/orgs/remove-member.js';
import { updateMember } from '../../../core/orgs/update-member.js';
import { createOrganization } from '../../../core/orgs/create-organization.js';
import { inviteMember } from '../../../core/orgs/invite-member.js';
import { type MemberItem, listMembers } from '../../../core/orgs/list-members.js';
import { requireOrgMember } from '../../../core/orgs/membership.js';
import { listPendingInvitations, revokeInvitation } from '../../../core/orgs/pending-invitations.js';
import type { App, AppContext } from '../../context.js';
import { principal } from '../../plugins/auth.js';
import { answers, signedIn } from '../../route-docs.js';

export function toMember(m: MemberItem) {
  return {
    userId: m.userId,
    email: m.email,
    name: m.name,
    role: m.role,
    monthlyLimit: m.monthlyLimitMc === null ? null : mcToCredits(m.monthlyLimitMc),
    usedThisMonth: mcToCredits(m.usedThisMonthMc),
  };
}

const OUTSIDER = ' A caller who is not a member of the organisation gets 404, as for any object that is not theirs.';

/** Accounts and organisations: the accounts a user may use, organisations, members, invitations. */
export async function orgRoutes(app: App, ctx: AppContext) {
  const db = ctx.core.database.db;
  const writer = ctx.core.writer;
  const signed = { onRequest: ctx.authenticate };
  const mailer = ctx.services.mailer;
  const send: SendMail | undefined = mailer
    ? (mail) => {
        mailer
          .send(mail)
          .catch((err) => app.log.error({ err: { message: (err as Error).message }, subject: mail.subject }, 'invitation mail failed'));
      }
    : undefined;
  const links = accountLinks(() => ctx.config.publicUrl ?? app.listeningOrigin);

  app.get(
    '/api/accounts',
    {
      ...signed,
      schema: {
        ...signedIn(
          'accounts',
          'Accounts',
          'The accounts the caller may act on: their personal account first, then each organisation they are a member of, with their role in it. Any of these ids may be sent as `X-Account` on the credits routes, the metered routes and the stream.',
        ),
        response: answers({ 200: accountsList }, 401),
      },
    },
    async (req) => ({ items: await listAccounts(db, principal(req).id) }),
  );

  app.post(
    '/api/orgs',
    {
      ...signed,
      schema: {
        ...signedIn(
          'accounts',
          'Create an organisation',
          'A new organisation account (empty balance) with the caller as its `owner`. `externalId` is the platform\u2019s id of it, which the service API names as `customer`; it shares one namespace with users\u2019 `sub`, so one another account has is 409 `conflict` and nothing is made. Audited.',
        ),
        body: orgCreateBody,
        response: answers({ 201: orgCreateResponse }, 400, 401, 409),
      },
    },
    async (req, reply) => {
      const org = await createOrganization(writer, { ownerId: principal(req).id, name: req.body.name, externalId: req.body.externalId });
      return reply.status(201).send({ organization: org });
    },
  );

  app.get(
    '/api/orgs/:id/members',
    {
      ...signed,
      schema: {
        ...signedIn(
          'accounts',
          'Members of an organisation',
          `Every member with their role, monthly limit (credits per calendar month, UTC; null: none) and what they spent of the organisation\u2019s credits this month. Any member may read it.${OUTSIDER}`,
        ),
        params: orgParams,
        response: answers({ 200: membersList }, 401, 404),
      },
    },
    async (req) => {
      await requireOrgMember(db, req.params.id, principal(req).id);
      return { items: (await listMembers(db, req.params.id, Date.now())).map(toMember) };
    },
  );

  app.post(
    '/api/orgs/:id/invitations',
    {
      ...signed,
      schema: {
        ...signedIn(
          'accounts',
          'Invite a member',
          `Owner or admin (a member gets 403 \`forbidden\`; only an owner invites an owner). Invites \`email\` with \`role\`, valid 7 days: the answer carries the token once (only its hash is kept) and, when SMTP is set, it is mailed to the address too. The signed-in user with that email accepts it. Someone who is a member already is 409. Audited.${OUTSIDER}`,
        ),
        params: orgParams,
        body: invitationCreateBody,
        response: answers({ 201: invitationCreateResponse }, 400, 401, 403, 404, 409),
      },
    },
    async (req, reply) => {
      const inv = await inviteMember(writer, {
        orgId: req.params.id,
        actorId: principal(req).id,
        email: req.body.email,
        role: req.body.role,
        send,
        acceptLink: links.acceptInvitation,
      });
      return reply.status(201).send({ invitation: { ...inv, expiresAt: new Date(inv.expiresAt).toISOString() } });
    },
  );

  app.get(
    '/api/orgs/:id/invitations',
    {
      ...signed,
      schema: {
        ...signedIn(
          'accounts',
          'Pending invitations',
          `Owner or admin (a member gets 403 \`forbidden\`): the invitations of the organisation that are neither accepted nor expired, newest first. A token is never shown again (only its hash is kept).${OUTSIDER}`,
        ),
        params: orgParams,
        response: answers({ 200: pendingInvitationsList }, 401, 403, 404),
      },
    },
    async (req) => {
      const items = await listPendingInvitations(db, req.params.id, principal(req).id, Date.now());
      return {
        items: items.map((i) => ({
          id: i.id,
          email: i.email,
          role: i.role,
          expiresAt: new Date(i.expiresAt).toISOString(),
          createdAt: new Date(i.createdAt).toISOString(),
        })),
      };
    },
  );

  app.delete(
    '/api/orgs/:id/invitations/:invitationId',
    {
      ...signed,
      schema: {
        ...signedIn(
          'accounts',
          'Revoke an invitation',
          `Owner or admin (a member gets 403 \`forbidden\`; only an owner revokes an invitation to become an owner): 204, and the invitation\u2019s token no longer works (accepting it is 404). One that is not pending (accepted, expired, revoked already) or not of this organisation is 404. Audited as \`organization.invitation_revoke\`.${OUTSIDER}`,
        ),
        params: invitationParams,
        response: answers({ 204: invitationRevokedResponse }, 401, 403, 404),
      },
    },
    async (req, reply) => {
      await revokeInvitation(writer, { orgId: req.params.id, actorId: principal(req).id, invitationId: req.params.invitationId });
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/api/invitations/:token/accept',
    {
      ...signed,
      schema: {
        ...signedIn(
          'accounts',
          'Accept an invitation',
          'The signed-in user whose email is the invitation\u2019s joins the organisation with its role, and gets the account (its id is what `X-Account` names). A used, expired or unknown token, or one addressed to another email, is 404; a user who is a member already is 409 (the invitation stays unused). Audited.',
        ),
        params: invitationTokenParams,
        response: answers({ 200: invitationAcceptResponse }, 401, 404, 409),
      },
    },
    async (req) => {
      const me = principal(req);
      return { account: await acceptInvitation(writer, { token: req.params.token, userId: me.id, email: me.email }) };
    },
  );

  app.patch(
    '/api/orgs/:id/members/:userId',
    {
      ...signed,
      schema: {
        ...signedIn(
          'accounts',
          'Change a member',
          `Owner or admin (a member gets 403 \`forbidden\`): \`role\` and/or \`monthlyLimit\` (credits per calendar month, UTC, at most 3 decimals; \`null\` for none). Only an owner gives or takes the owner role; demoting the last owner is 409. An unknown member is 404. Audited.${OUTSIDER}`,
        ),
        params: memberParams,
        body: memberPatchBody,
        response: answers({ 200: memberResponse }, 400, 401, 403, 404, 409),
      },
    },
    async (req) => {
      const { id, userId } = req.params;
      await updateMember(writer, {
        orgId: id,
        actorId: principal(req).id,
        userId,
        role: req.body.role,
        monthlyLimitMc: req.body.monthlyLimit,
      });
      const now = Date.now();
      const m = (await listMembers(db, id, now)).find((x) => x.userId === userId);
      if (!m) throw new Error('the member changed a moment ago is gone');
      return { member: toMember(m) };
    },
  );

  app.delete(
    '/api/orgs/:id/members/:userId',
    {
      ...signed,
      schema: {
        ...signedIn(
          'accounts',
          'Remove a member',
          `Owner or admin removes a member; any member may remove themselves (leave). Only an owner removes an owner, and the last owner cannot be removed (409). From the next request on, on every instance, the removed user gets 404 for the organisation (membership is read on each request). Their past rows keep their \`memberId\`. Audited.${OUTSIDER}`,
        ),
        params: memberParams,
        response: answers({ 200: memberRemovedResponse }, 401, 403, 404, 409),
      },
    },
    async (req) => {
      await removeMember(writer, { orgId: req.params.id, actorId: principal(req).id, userId: req.params.userId });
      return { removed: true as const, userId: req.params.userId };
    },
  );
}
