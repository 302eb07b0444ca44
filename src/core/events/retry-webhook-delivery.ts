import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { notFound } from '../errors.js';
import { type WebhookDelivery, loadDeliveries } from './present.js';

/**
 * Makes a delivery due now (the admin's retry button): a failed one gets one more attempt,
 * a pending one is tried at once, a succeeded one is sent again. An attempt already in
 * flight keeps its lease (no second send at the same time); its outcome is what stands.
 */
export async function retryWebhookDelivery(db: Kysely<DB>, endpointId: string, deliveryId: string, now: number): Promise<WebhookDelivery> {
  const r = await db
    .updateTable('webhook_deliveries')
    .set({ status: 'pending', next_attempt_at: now })
    .where('id', '=', deliveryId)
    .where('endpoint_id', '=', endpointId)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) throw notFound('Webhook delivery');
  const [d] = await loadDeliveries(db, [deliveryId]);
  if (!d) throw notFound('Webhook delivery');
  return d;
}
