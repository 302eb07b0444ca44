import { listOrganizations } from '../../../core/accounts/list-organizations.js';
import type { App, AppContext } from '../../context.js';
import { adjustmentRoute } from './adjustment-route.js';
import { toAdminOrganization } from '../../presenters.js';
import { adminOnlyRoutes } from '../../route-docs.js';
import { identifier } from '../../cursor.js';

export async function adminOrganizationRoutes(app: App, ctx: AppContext) {
  const db = ctx.core.database.db;
  const route = adminOnlyRoutes(app, ctx);

  route('GET /api/admin/organizations', async (req) =>
    ctx.cursors.list(req, 'id', identifier, (page) => listOrganizations(db, req.query, page), toAdminOrganization),
  );

  adjustmentRoute(app, ctx, {
    kind: 'organization',
    key: 'POST /api/admin/organizations/:id/adjustments',
  });
}
