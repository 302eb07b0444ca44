import type { Kysely } from 'kysely';
import { EVENT_TYPES } from '../../contracts/enums.js';
import type { DB } from '../../db/schema.js';
import { removeEndpoint } from './delete-webhook-endpoint.js';
import { generateSecret } from './signature.js';

/** The id of the endpoint that ALERTS_WEBHOOK_URL configures. */
export const ALERT_ENDPOINT_ID = 'we_alerts';

/**
 * Keeps the alert webhook (ALERTS_WEBHOOK_URL, ALERTS_WEBHOOK_SECRET) as one endpoint of
 * the events system, subscribed to every event type: set, its URL and secret follow the
 * configuration (an admin's enable or disable stays); unset, the endpoint and its
 * deliveries go. Without a secret one is generated once and kept (there was none to sign
 * with before). Run at start-up; instances starting together write the same row.
 */
export async function syncAlertEndpoint(
  db: Kysely<DB>,
  cfg: { url: string | undefined; secret: string | undefined },
  now: number,
): Promise<void> {
  if (!cfg.url) {
    await db.transaction().execute((trx) => removeEndpoint(trx, ALERT_ENDPOINT_ID));
    return;
  }
  const existing = await db.selectFrom('webhook_endpoints').select('secret').where('id', '=', ALERT_ENDPOINT_ID).executeTakeFirst();
  const secret = cfg.secret ?? existing?.secret ?? generateSecret();
  const events = JSON.stringify(EVENT_TYPES);
  await db
    .insertInto('webhook_endpoints')
    .values({ id: ALERT_ENDPOINT_ID, url: cfg.url, events, secret, enabled: 1, source: 'config', created_at: now, updated_at: now })
    .onConflict((oc) => oc.column('id').doUpdateSet({ url: cfg.url, events, secret, updated_at: now }))
    .execute();
}
