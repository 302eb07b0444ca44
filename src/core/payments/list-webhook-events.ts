import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { mapPage, type Page, type PageRequest, paginate } from '../paginate.js';

export interface WebhookEventEntry {
  /** Stripe's event id (`evt_...`). */
  id: string;
  type: string;
  receivedAt: number;
  /** What it did: `applied`, `ignored`; null for an event received before outcomes were recorded. */
  outcome: string | null;
  paymentId: string | null;
}

/** An event's place in the list: the time it was received, then its id (ties at one millisecond). */
export type WebhookEventsKey = readonly [at: number, id: string];

/**
 * The Stripe events received, newest first, each with what it did: so an operator can answer
 * "did we get that event?". Keyset pages by (time received, id).
 */
export async function listWebhookEvents(
  db: Kysely<DB>,
  page: PageRequest<WebhookEventsKey>,
): Promise<Page<WebhookEventEntry, WebhookEventsKey>> {
  const query = db.selectFrom('processed_events').selectAll().where('id', 'like', 'stripe:%');
  const rows = await paginate(query, ['created_at', 'id'], (r): WebhookEventsKey => [r.created_at, r.id], page);
  return mapPage(rows, (r) => ({
    id: r.id.slice('stripe:'.length),
    type: r.type,
    receivedAt: r.created_at,
    outcome: r.outcome,
    paymentId: r.payment_id,
  }));
}
