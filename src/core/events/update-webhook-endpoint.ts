import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { conflict, notFound } from '../errors.js';
import { auditWebhooks } from './audit-webhooks.js';
import type { EventType } from './emit-event.js';
import { type EndpointPolicy, type Resolve, checkEndpointUrl } from './endpoint-policy.js';
import { type WebhookEndpoint, toEndpoint } from './present.js';

/**
 * Changes an endpoint's URL, events or enabled flag. A disabled endpoint gets no new
 * deliveries and its pending ones wait until it is enabled again. The configured alert
 * endpoint can only be enabled or disabled (its URL and events follow the configuration).
 * Audited.
 */
export async function updateWebhookEndpoint(
  db: Kysely<DB>,
  id: string,
  patch: { url?: string | undefined; events?: EventType[] | undefined; enabled?: boolean | undefined },
  ctx: { policy: EndpointPolicy; resolve: Resolve; now: number; actorId: string | null },
): Promise<WebhookEndpoint> {
  const row = await db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('Webhook endpoint');
  if (row.source === 'config' && (patch.url !== undefined || patch.events !== undefined)) {
    throw conflict('This endpoint is configured by ALERTS_WEBHOOK_URL: change the configuration, or only enable or disable it here.');
  }
  if (patch.url !== undefined) await checkEndpointUrl(patch.url, ctx.policy, ctx.resolve);
  const set = {
    ...(patch.url !== undefined ? { url: patch.url } : {}),
    ...(patch.events !== undefined ? { events: JSON.stringify(patch.events) } : {}),
    ...(patch.enabled !== undefined ? { enabled: patch.enabled ? 1 : 0 } : {}),
    updated_at: ctx.now,
  };
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('webhook_endpoints').set(set).where('id', '=', id).execute();
    // The URL it has after the change, so the entry still names it once the endpoint is deleted.
    await auditWebhooks(trx, ctx, 'webhook_endpoint.update', id, { ...patch, ...(patch.url === undefined ? { url: row.url } : {}) });
  });
  return toEndpoint({ ...row, ...set });
}
