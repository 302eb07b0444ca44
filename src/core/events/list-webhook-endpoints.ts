import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { notFound } from '../errors.js';
import { type WebhookEndpoint, toEndpoint } from './present.js';

/** Every endpoint, oldest first (without secrets). */
export async function listWebhookEndpoints(db: Kysely<DB>): Promise<WebhookEndpoint[]> {
  const rows = await db.selectFrom('webhook_endpoints').selectAll().orderBy('created_at').orderBy('id').execute();
  return rows.map(toEndpoint);
}

/** One endpoint (without its secret); not_found when there is none. */
export async function getWebhookEndpoint(db: Kysely<DB>, id: string): Promise<WebhookEndpoint> {
  const row = await db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('Webhook endpoint');
  return toEndpoint(row);
}
