import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { newId } from '../ids.js';
import { auditWebhooks } from './audit-webhooks.js';
import type { EventType } from './emit-event.js';
import { type EndpointPolicy, type Resolve, checkEndpointUrl } from './endpoint-policy.js';
import { type WebhookEndpoint, toEndpoint } from './present.js';
import { generateSecret } from './signature.js';

/** Registers an endpoint (enabled) for `events`, audited; the answer holds its `whsec_` secret, which is never shown again. */
export async function createWebhookEndpoint(
  db: Kysely<DB>,
  input: { url: string; events: EventType[] },
  ctx: { policy: EndpointPolicy; resolve: Resolve; now: number; actorId: string | null },
): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  await checkEndpointUrl(input.url, ctx.policy, ctx.resolve);
  const row = {
    id: `we_${newId(ctx.now).replace(/-/g, '')}`,
    url: input.url,
    events: JSON.stringify(input.events),
    secret: generateSecret(),
    enabled: 1,
    source: 'admin' as const,
    created_at: ctx.now,
    updated_at: ctx.now,
  };
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('webhook_endpoints').values(row).execute();
    await auditWebhooks(trx, ctx, 'webhook_endpoint.create', row.id, { url: row.url, events: input.events });
  });
  return { endpoint: toEndpoint(row), secret: row.secret };
}
