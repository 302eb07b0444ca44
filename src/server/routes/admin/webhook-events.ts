import { webhookEventsPage } from '../../../contracts/admin.js';
import { paginationQuery } from '../../../contracts/common.js';
import { listWebhookEvents, type WebhookEventsKey } from '../../../core/payments/list-webhook-events.js';
import type { App, AppContext } from '../../context.js';
import { adminOnlyRoutes, answers } from '../../route-docs.js';
import { toWebhookEvent } from '../../presenters.js';

/** The Stripe events the webhook received, for admins. */
export async function webhookEventRoutes(app: App, ctx: AppContext) {
  const route = adminOnlyRoutes(ctx);
  app.get(
    '/api/admin/webhook-events',
    route(
      'Stripe events received',
      'Admins only. Every Stripe event the webhook verified and recorded, newest first, paginated, with what it did: `applied` (it changed a payment), `ignored` (a type the service does not act on, an object Stripe does not know, or no payment to apply it to — an intent that could not be rebuilt is in the audit log as `payment.unrecoverable`). An event Stripe sent again is listed once, with what its first delivery did. Answers "did we get that event?".',
      { querystring: paginationQuery, response: answers({ 200: webhookEventsPage }, 400, 401, 403) },
    ),
    async (req) => {
      const page = ctx.cursors.request(req.query, 'at', (v): WebhookEventsKey => {
        const [at, id] = Array.isArray(v) ? v : [];
        return [Number(at), String(id)];
      });
      return ctx.cursors.answer(await listWebhookEvents(ctx.core.database.db, page), 'at', toWebhookEvent);
    },
  );
}
