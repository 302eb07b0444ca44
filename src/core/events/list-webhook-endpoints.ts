import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { type WebhookEndpoint, toEndpoint } from './present.js';

/** Every endpoint, oldest first (without secrets). */
export async function listWebhookEndpoints(db: Kysely<DB>): Promise<WebhookEndpoint[]> {
  const rows = await db.selectFrom('webhook_endpoints').selectAll().orderBy('created_at').orderBy('id').execute();
  return rows.map(toEndpoint);
}
