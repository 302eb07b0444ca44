/** Events out: the admin's webhook endpoints and their delivery log (core/events). */
import { createWebhookEndpoint } from '../../../core/events/create-webhook-endpoint.js';
import { deleteWebhookEndpoint } from '../../../core/events/delete-webhook-endpoint.js';
import { listWebhookDeliveries } from '../../../core/events/list-webhook-deliveries.js';
import { getWebhookEndpoint, listWebhookEndpoints } from '../../../core/events/list-webhook-endpoints.js';
import { retryWebhookDelivery } from '../../../core/events/retry-webhook-delivery.js';
import { updateWebhookEndpoint } from '../../../core/events/update-webhook-endpoint.js';
import { resolveHost } from '../../../integrations/webhooks/http-sender.js';
import type { App, AppContext } from '../../context.js';
import { principal } from '../../plugins/auth.js';
import { adminOnlyRoutes } from '../../route-docs.js';
import { identifier } from '../../cursor.js';

export async function webhookRoutes(app: App, ctx: AppContext) {
  const db = ctx.core.database.db;
  const route = adminOnlyRoutes(app, ctx);
  const policy = (req: Parameters<typeof principal>[0]) => ({
    policy: { production: ctx.config.isProduction, allowPrivate: ctx.config.webhooks.allowPrivate },
    resolve: resolveHost,
    now: ctx.core.now(),
    actorId: principal(req).id,
  });

  route('POST /api/admin/webhook-endpoints', async (req, reply) =>
    reply.code(201).send(await createWebhookEndpoint(db, req.body, policy(req))),
  );

  route('GET /api/admin/webhook-endpoints', async () => ({ items: await listWebhookEndpoints(db) }));

  route('GET /api/admin/webhook-endpoints/:id', async (req) => ({ endpoint: await getWebhookEndpoint(db, req.params.id) }));

  route('PATCH /api/admin/webhook-endpoints/:id', async (req) => ({
    endpoint: await updateWebhookEndpoint(db, req.params.id, req.body, policy(req)),
  }));

  route('DELETE /api/admin/webhook-endpoints/:id', async (req) => {
    await deleteWebhookEndpoint(db, req.params.id, { now: ctx.core.now(), actorId: principal(req).id });
    return { id: req.params.id, deleted: true as const };
  });

  route('GET /api/admin/webhook-endpoints/:id/deliveries', async (req) => {
    const { limit, after } = ctx.cursors.request(req, 'id', identifier);
    const page = await listWebhookDeliveries(db, req.params.id, { limit, after, status: req.query.status });
    return { items: page.items, nextCursor: page.last ? ctx.cursors.encode(req, { id: page.last }) : null };
  });

  route('POST /api/admin/webhook-endpoints/:id/deliveries/:deliveryId/retry', async (req, reply) =>
    reply.code(202).send({
      delivery: await retryWebhookDelivery(db, req.params.id, req.params.deliveryId, {
        now: ctx.core.now(),
        actorId: principal(req).id,
      }),
    }),
  );
}
