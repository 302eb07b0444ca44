import { listWebhookEvents } from '../../../core/payments/list-webhook-events.js';
import type { App, AppContext } from '../../context.js';
import { timeThenId } from '../../cursor.js';
import { adminOnlyRoutes } from '../../route-docs.js';
import { toWebhookEvent } from '../../presenters.js';

/** The Stripe events the webhook received, for admins. */
export async function webhookEventRoutes(app: App, ctx: AppContext) {
  const route = adminOnlyRoutes(app, ctx);
  route('GET /api/admin/webhook-events', async (req) =>
    ctx.cursors.list(req, 'at', timeThenId, (page) => listWebhookEvents(ctx.core.database.db, page), toWebhookEvent),
  );
}
