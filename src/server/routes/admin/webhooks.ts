/** Events out: the admin's webhook endpoints and their delivery log (core/events). */
import { idParam } from '../../../contracts/common.js';
import {
  webhookDeliveriesPage,
  webhookDeliveriesQuery,
  webhookDeliveryParams,
  webhookDeliveryResponse,
  webhookEndpointCreate,
  webhookEndpointCreated,
  webhookEndpointDeleted,
  webhookEndpointPatch,
  webhookEndpointResponse,
  webhookEndpointsList,
} from '../../../contracts/webhooks.js';
import { createWebhookEndpoint } from '../../../core/events/create-webhook-endpoint.js';
import { deleteWebhookEndpoint } from '../../../core/events/delete-webhook-endpoint.js';
import { listWebhookDeliveries } from '../../../core/events/list-webhook-deliveries.js';
import { listWebhookEndpoints } from '../../../core/events/list-webhook-endpoints.js';
import { retryWebhookDelivery } from '../../../core/events/retry-webhook-delivery.js';
import { updateWebhookEndpoint } from '../../../core/events/update-webhook-endpoint.js';
import { resolveHost } from '../../../integrations/webhooks/http-sender.js';
import type { App, AppContext } from '../../context.js';
import { principal } from '../../plugins/auth.js';
import { adminOnlyRoutes, answers } from '../../route-docs.js';

export async function webhookRoutes(app: App, ctx: AppContext) {
  const db = ctx.core.database.db;
  const route = adminOnlyRoutes(ctx);
  const policy = (req: Parameters<typeof principal>[0]) => ({
    policy: { production: ctx.config.isProduction, allowPrivate: ctx.config.webhooks.allowPrivate },
    resolve: resolveHost,
    now: ctx.core.now(),
    actorId: principal(req).id,
  });

  app.post(
    '/api/admin/webhook-endpoints',
    route(
      'Register a webhook endpoint',
      'Admins only. Events of the listed types are POSTed to `url` in the Standard Webhooks format, signed with the `whsec_` secret of the answer, which is shown only this once. In production the URL must be https and not resolve to a private or loopback address (unless WEBHOOKS_ALLOW_PRIVATE=true): 400 otherwise.',
      {
        body: webhookEndpointCreate,
        response: answers({ 201: webhookEndpointCreated }, 400, 401, 403),
      },
    ),
    async (req, reply) => reply.code(201).send(await createWebhookEndpoint(db, req.body, policy(req))),
  );

  app.get(
    '/api/admin/webhook-endpoints',
    route(
      'Webhook endpoints',
      'Admins only. Every endpoint, oldest first, without its secret; the one configured by ALERTS_WEBHOOK_URL has `source` `config`.',
      {
        response: answers({ 200: webhookEndpointsList }, 401, 403),
      },
    ),
    async () => ({ items: await listWebhookEndpoints(db) }),
  );

  app.patch(
    '/api/admin/webhook-endpoints/:id',
    route(
      'Change a webhook endpoint',
      'Admins only. Changes `url`, `events` or `enabled`. A disabled endpoint gets no new deliveries; its pending ones wait until it is enabled again. The endpoint of ALERTS_WEBHOOK_URL can only be enabled or disabled (409 otherwise).',
      {
        params: idParam,
        body: webhookEndpointPatch,
        response: answers({ 200: webhookEndpointResponse }, 400, 401, 403, 404, 409),
      },
    ),
    async (req) => ({ endpoint: await updateWebhookEndpoint(db, req.params.id, req.body, policy(req)) }),
  );

  app.delete(
    '/api/admin/webhook-endpoints/:id',
    route(
      'Delete a webhook endpoint',
      'Admins only. Deletes the endpoint with its deliveries and their attempts; nothing more is sent to it. The endpoint of ALERTS_WEBHOOK_URL is removed by unsetting that variable (409 here).',
      {
        params: idParam,
        response: answers({ 200: webhookEndpointDeleted }, 401, 403, 404, 409),
      },
    ),
    async (req) => {
      await deleteWebhookEndpoint(db, req.params.id, { now: ctx.core.now(), actorId: principal(req).id });
      return { id: req.params.id, deleted: true as const };
    },
  );

  app.get(
    '/api/admin/webhook-endpoints/:id/deliveries',
    route(
      'An endpoint’s deliveries',
      'Admins only. Newest first, paginated, optionally of one `status`: each delivery of an event to this endpoint with its attempts (time, status code or error, duration). `pending` deliveries are retried on Standard Webhooks’ schedule until a 2xx; `failed` ones gave up after the last attempt.',
      {
        params: idParam,
        querystring: webhookDeliveriesQuery,
        response: answers({ 200: webhookDeliveriesPage }, 400, 401, 403, 404),
      },
    ),
    async (req) => {
      const cursor = ctx.cursors.decode<{ id: string }>(req.query.cursor);
      const page = await listWebhookDeliveries(db, req.params.id, {
        limit: req.query.limit,
        after: cursor ? String(cursor.id) : undefined,
        status: req.query.status,
      });
      return { items: page.items, nextCursor: page.last ? ctx.cursors.encode({ id: page.last }) : null };
    },
  );

  app.post(
    '/api/admin/webhook-endpoints/:id/deliveries/:deliveryId/retry',
    route(
      'Retry a delivery',
      'Admins only. Makes the delivery due now: a failed one gets one more attempt, a pending one is tried at once, a succeeded one is sent again (same `webhook-id`). 202: the attempt follows within WEBHOOKS_POLL_MS.',
      {
        params: webhookDeliveryParams,
        response: answers({ 202: webhookDeliveryResponse }, 401, 403, 404),
      },
    ),
    async (req, reply) =>
      reply.code(202).send({
        delivery: await retryWebhookDelivery(db, req.params.id, req.params.deliveryId, {
          now: ctx.core.now(),
          actorId: principal(req).id,
        }),
      }),
  );
}
