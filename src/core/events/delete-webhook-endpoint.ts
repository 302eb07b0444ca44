import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../../db/schema.js';
import { conflict, notFound } from '../errors.js';
import { auditWebhooks } from './audit-webhooks.js';

/** Removes the endpoint `id` with its deliveries and their attempts, in the caller's transaction. */
export async function removeEndpoint(trx: Transaction<DB>, id: string): Promise<void> {
  await trx
    .deleteFrom('webhook_attempts')
    .where('delivery_id', 'in', (eb) => eb.selectFrom('webhook_deliveries').select('id').where('endpoint_id', '=', id))
    .execute();
  await trx.deleteFrom('webhook_deliveries').where('endpoint_id', '=', id).execute();
  await trx.deleteFrom('webhook_endpoints').where('id', '=', id).execute();
}

/** Deletes an endpoint with its deliveries and their attempts (the events stay), audited. */
export async function deleteWebhookEndpoint(db: Kysely<DB>, id: string, ctx: { now: number; actorId: string | null }): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('webhook_endpoints').select(['id', 'source', 'url']).where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('Webhook endpoint');
    if (row.source === 'config')
      throw conflict('This endpoint is configured by ALERTS_WEBHOOK_URL: unset it to remove the endpoint, or disable it here.');
    await removeEndpoint(trx, id);
    await auditWebhooks(trx, ctx, 'webhook_endpoint.delete', id, { url: row.url });
  });
}
