import type { Kysely } from 'kysely';
import type { DB, WebhookDeliveryStatus } from '../../db/schema.js';
import { notFound } from '../errors.js';
import { paginate } from '../paginate.js';
import { type WebhookDelivery, loadDeliveries } from './present.js';

/** An endpoint's deliveries, newest first, `limit` at a time after the delivery id `after`. */
export async function listWebhookDeliveries(
  db: Kysely<DB>,
  endpointId: string,
  q: { limit: number; after?: string | undefined; status?: WebhookDeliveryStatus | undefined },
): Promise<{ items: WebhookDelivery[]; last: string | null }> {
  const endpoint = await db.selectFrom('webhook_endpoints').select('id').where('id', '=', endpointId).executeTakeFirst();
  if (!endpoint) throw notFound('Webhook endpoint');
  let query = db.selectFrom('webhook_deliveries').select('id').where('endpoint_id', '=', endpointId);
  if (q.status) query = query.where('status', '=', q.status);
  const page = await paginate(query, 'id', (r) => r.id, { limit: q.limit, after: q.after || undefined });
  const ids = page.rows.map((r) => r.id);
  return { items: await loadDeliveries(db, ids), last: page.next };
}
