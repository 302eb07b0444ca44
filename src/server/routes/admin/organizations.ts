/**
 * The administration of organisations: the list with figures and members, and an admin's
 * adjustment of an organisation's credits (the users' adjustment, with the organisation as
 * the audit entry's target).
 */
import { adjustmentBody, adjustmentResponse } from '../../../contracts/admin.js';
import { adminOrganizationsPage, adminOrganizationsQuery } from '../../../contracts/admin-orgs.js';
import { idParam } from '../../../contracts/common.js';
import { adjustCredits } from '../../../core/accounts/adjust-credits.js';
import { listOrganizations } from '../../../core/accounts/list-organizations.js';
import type { App, AppContext } from '../../context.js';
import { principal, requireAdmin } from '../../plugins/auth.js';
import { sendReply } from '../../plugins/idempotency.js';
import { toAdjustment, toAdminOrganization } from '../../presenters.js';
import { answers, signedIn } from '../../route-docs.js';

export async function adminOrganizationRoutes(app: App, ctx: AppContext) {
  const db = ctx.core.database.db;
  const guard = { onRequest: [ctx.authenticate, requireAdmin] };
  const doc = (summary: string, description: string) => signedIn('admin', summary, description);

  app.get(
    '/api/admin/organizations',
    {
      ...guard,
      schema: {
        ...doc(
          'Organisations with balances and members',
          'Admins only. Newest first, paginated; `search` matches the name, the external id or a member’s email, case-insensitively. Each organisation with its account’s figures and every member (role, monthly limit).',
        ),
        querystring: adminOrganizationsQuery,
        response: answers({ 200: adminOrganizationsPage }, 400, 401, 403),
      },
    },
    async (req) =>
      ctx.cursors.answer(await listOrganizations(db, req.query, ctx.cursors.request(req.query, 'id', String)), 'id', toAdminOrganization),
  );

  app.post(
    '/api/admin/organizations/:id/adjustments',
    {
      ...guard,
      schema: {
        ...doc(
          'Adjust an organisation’s credits',
          'Admins only. As `POST /api/admin/users/{id}/adjustments`, on an organisation’s account: a signed `amount` of credits (a debit below zero available is 402), a required `reason`, an optional `expiresAt` for credits given; one `adjustment` ledger row and an audit entry with `targetType: "organization"`. An id that names no organisation (a user’s included) is 404. Takes an `Idempotency-Key`.',
        ),
        params: idParam,
        body: adjustmentBody,
        response: answers({ 201: adjustmentResponse }, 400, 401, 402, 403, 404, 409),
      },
    },
    async (req, reply) => {
      const admin = principal(req);
      const { amount, reason, expiresAt } = req.body;
      const r = await ctx.idempotency.run(
        req,
        { scope: admin.id, render: (a) => ({ status: 201, body: toAdjustment(a, reason, admin.id) }) },
        (idem) =>
          adjustCredits(
            ctx.core,
            { userId: req.params.id, targetType: 'organization', amountMc: amount, reason, actorId: admin.id, expiresAt },
            idem,
          ),
      );
      return sendReply(reply, r);
    },
  );
}
