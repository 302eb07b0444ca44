import { adminOrganizationsPage, adminOrganizationsQuery } from '../../../contracts/admin-orgs.js';
import { listOrganizations } from '../../../core/accounts/list-organizations.js';
import type { App, AppContext } from '../../context.js';
import { adjustmentRoute } from './adjustment-route.js';
import { toAdminOrganization } from '../../presenters.js';
import { adminOnlyRoutes, answers } from '../../route-docs.js';

export async function adminOrganizationRoutes(app: App, ctx: AppContext) {
  const db = ctx.core.database.db;
  const route = adminOnlyRoutes(ctx);

  app.get(
    '/api/admin/organizations',
    route(
      'Organisations with balances and members',
      'Admins only. Newest first, paginated; `search` matches the name, the external id or a member’s email, case-insensitively. Each organisation with its account’s figures and every member (role, monthly limit).',
      {
        querystring: adminOrganizationsQuery,
        response: answers({ 200: adminOrganizationsPage }, 400, 401, 403),
      },
    ),
    async (req) =>
      ctx.cursors.answer(await listOrganizations(db, req.query, ctx.cursors.request(req.query, 'id', String)), 'id', toAdminOrganization),
  );

  adjustmentRoute(app, ctx, {
    kind: 'organization',
    path: '/api/admin/organizations/:id/adjustments',
    summary: 'Adjust an organisation’s credits',
    description:
      'Admins only. As `POST /api/admin/users/{id}/adjustments`, on an organisation’s account: a signed `amount` of credits (a debit below zero available is 402), a required `reason`, an optional `expiresAt` for credits given; one `adjustment` ledger row and an audit entry with `targetType: "organization"`. An id that names no organisation (a user’s included) is 404. Takes an `Idempotency-Key`.',
  });
}
