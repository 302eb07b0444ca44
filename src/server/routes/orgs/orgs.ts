import { mcToCredits } from '../../../contracts/money.js';
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
import { signedInRoutes } from '../../route-docs.js';

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

/** Accounts and organisations: the accounts a user may use, organisations, members, invitations. */
export async function orgRoutes(app: App, ctx: AppContext) {
  const db = ctx.core.database.db;
  const writer = ctx.core.writer;
  const route = signedInRoutes(app, ctx, 'accounts');
  const mailer = ctx.services.mailer;
  const send: SendMail | undefined = mailer
    ? (mail) => {
        mailer
          .send(mail)
          .catch((err) => app.log.error({ err: { message: (err as Error).message }, subject: mail.subject }, 'invitation mail failed'));
      }
    : undefined;
  const links = accountLinks(() => ctx.config.publicUrl ?? app.listeningOrigin);

  route('GET /api/accounts', async (req) => ({ items: await listAccounts(db, principal(req).id) }));

  route('POST /api/orgs', async (req, reply) => {
    const org = await createOrganization(writer, { ownerId: principal(req).id, name: req.body.name, externalId: req.body.externalId });
    return reply.status(201).send({ organization: org });
  });

  route('GET /api/orgs/:id/members', async (req) => {
    await requireOrgMember(db, req.params.id, principal(req).id);
    return { items: (await listMembers(db, req.params.id, Date.now())).map(toMember) };
  });

  route('POST /api/orgs/:id/invitations', async (req, reply) => {
    const inv = await inviteMember(writer, {
      orgId: req.params.id,
      actorId: principal(req).id,
      email: req.body.email,
      role: req.body.role,
      send,
      acceptLink: links.acceptInvitation,
    });
    return reply.status(201).send({ invitation: { ...inv, expiresAt: new Date(inv.expiresAt).toISOString() } });
  });

  route('GET /api/orgs/:id/invitations', async (req) => {
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
  });

  route('DELETE /api/orgs/:id/invitations/:invitationId', async (req, reply) => {
    await revokeInvitation(writer, { orgId: req.params.id, actorId: principal(req).id, invitationId: req.params.invitationId });
    return reply.status(204).send(null);
  });

  route('POST /api/invitations/:token/accept', async (req) => {
    const me = principal(req);
    return { account: await acceptInvitation(writer, { token: req.params.token, userId: me.id, email: me.email }) };
  });

  route('PATCH /api/orgs/:id/members/:userId', async (req) => {
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
  });

  route('DELETE /api/orgs/:id/members/:userId', async (req) => {
    await removeMember(writer, { orgId: req.params.id, actorId: principal(req).id, userId: req.params.userId });
    return { removed: true as const, userId: req.params.userId };
  });
}
