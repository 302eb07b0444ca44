import { sql } from 'kysely';
import type { Core } from '../index.js';
import { DAY_MS } from '../usage/get-usage.js';

export interface PruneEventsOptions {
  /** Events older than this many days are deleted once no delivery of theirs is pending (0: never). */
  retentionDays: number;
  /** Events per transaction: each batch is short, so other writes never wait long behind it. */
  batchSize?: number;
}

/**
 * Events retention (`WEBHOOKS_RETENTION_DAYS`): deletes the events created before the
 * retention period whose deliveries are all finished (succeeded, or failed after their 24
 * hours of retries; an event no endpoint was subscribed to has none), with their deliveries
 * and the deliveries' attempts, in batches of `batchSize` events, each in its own
 * transaction. An event with a pending delivery (a retry an admin asked for) is kept, and
 * each statement repeats that condition, so a retry that lands between the batch's read and
 * its deletes keeps its event. Returns how many events were deleted.
 */
export async function pruneDeliveredEvents(core: Core, now: number, o: PruneEventsOptions): Promise<number> {
  if (o.retentionDays <= 0) return 0;
  const cutoff = now - o.retentionDays * DAY_MS;
  const batch = o.batchSize ?? 500;
  let deleted = 0;
  for (;;) {
    const n = await core.writer.transaction(async ({ trx }) => {
      const rows = await trx
        .selectFrom('events as e')
        .select('e.id')
        .where('e.created_at', '<', cutoff)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('webhook_deliveries as d')
                .select(sql`1`.as('x'))
                .whereRef('d.event_id', '=', 'e.id')
                .where('d.status', '=', 'pending'),
            ),
          ),
        )
        .orderBy('e.created_at')
        .limit(batch)
        .execute();
      if (rows.length === 0) return 0;
      const ids = rows.map((r) => r.id);
      await trx
        .deleteFrom('webhook_attempts')
        .where('delivery_id', 'in', (eb) =>
          eb.selectFrom('webhook_deliveries').select('id').where('event_id', 'in', ids).where('status', '!=', 'pending'),
        )
        .execute();
      await trx.deleteFrom('webhook_deliveries').where('event_id', 'in', ids).where('status', '!=', 'pending').execute();
      const gone = await trx
        .deleteFrom('events')
        .where('id', 'in', ids)
        .where(({ not, exists, selectFrom }) =>
          not(exists(selectFrom('webhook_deliveries as d').select(sql`1`.as('x')).whereRef('d.event_id', '=', 'events.id'))),
        )
        .executeTakeFirst();
      // The batch's size, not what was deleted: a kept event (a retry landed) must not stop the pass early.
      deleted += Number(gone.numDeletedRows);
      return rows.length;
    });
    if (n < batch) return deleted;
  }
}
