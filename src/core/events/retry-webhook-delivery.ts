import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { notFound } from '../errors.js';
import { auditWebhooks } from './audit-webhooks.js';
import { type WebhookDelivery, loadDeliveries } from './present.js';

/**
 * Makes a delivery due now (the admin's retry button): a failed one gets one more attempt,
 * a pending one is tried at once, a succeeded one is sent again. An attempt already in
 * flight keeps its lease (no second send at the same time); its outcome is what stands.
 * Audited.
 */
export async function retryWebhookDelivery(
  db: Kysely<DB>,
  endpointId: string,
  deliveryId: string,
  ctx: { now: number; actorId: string | null },
): Promise<WebhookDelivery> {
  await db.transaction().execute(async (trx) => {
    const r = await trx
      .updateTable('webhook_deliveries')
      .set({ status: 'pending', next_attempt_at: ctx.now })
      .where('id', '=', deliveryId)
      .where('endpoint_id', '=', endpointId)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) throw notFound('Webhook delivery');
    // The endpoint's URL and the event's type and id, so the entry says what was sent where.
    const what = await trx
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhook_endpoints as w', 'w.id', 'd.endpoint_id')
      .innerJoin('events as e', 'e.id', 'd.event_id')
      .select(['w.url as url', 'e.type as eventType', 'e.id as event'])
      .where('d.id', '=', deliveryId)
      .executeTakeFirst();
    await auditWebhooks(trx, ctx, 'webhook_delivery.retry', deliveryId, { endpointId, ...what });
  });
  const [d] = await loadDeliveries(db, [deliveryId]);
  if (!d) throw notFound('Webhook delivery');
  return d;
}
