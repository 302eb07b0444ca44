import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';

export interface WebhookEventEntry {
  /** Stripe's event id (`evt_...`). */
  id: string;
  type: string;
  receivedAt: number;
  /** What it did: `applied`, `ignored`; null for an event received before outcomes were recorded. */
  outcome: string | null;
  paymentId: string | null;
}

export interface WebhookEventsPosition {
  at: number;
  id: string;
}

/**
 * The Stripe events received, newest first, each with what it did: so an operator can answer
 * "did we get that event?". Keyset pages by (time received, id).
 */
export async function listWebhookEvents(
  db: Kysely<DB>,
  opts: { limit: number; after?: WebhookEventsPosition | null },
): Promise<{ items: WebhookEventEntry[]; next: WebhookEventsPosition | null }> {
  let q = db.selectFrom('processed_events').selectAll().where('id', 'like', 'stripe:%');
  const after = opts.after;
  if (after)
    q = q.where((eb) => eb.or([eb('created_at', '<', after.at), eb.and([eb('created_at', '=', after.at), eb('id', '<', after.id)])]));
  const rows = await q
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(opts.limit + 1)
    .execute();
  const more = rows.length > opts.limit;
  if (more) rows.length = opts.limit;
  const last = rows.at(-1);
  return {
    items: rows.map((r) => ({
      id: r.id.slice('stripe:'.length),
      type: r.type,
      receivedAt: r.created_at,
      outcome: r.outcome,
      paymentId: r.payment_id,
    })),
    next: more && last ? { at: last.created_at, id: last.id } : null,
  };
}
