import type { Kysely } from 'kysely';
import type { DB, WebhookDeliveryStatus } from '../../db/schema.js';
import { notFound } from '../errors.js';
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
  if (q.after) query = query.where('id', '<', q.after);
  const ids = (await query.orderBy('id', 'desc').limit(q.limit + 1).execute()).map((r) => r.id);
  const more = ids.length > q.limit;
  if (more) ids.length = q.limit;
  return { items: await loadDeliveries(db, ids), last: more ? (ids.at(-1) as string) : null };
}
