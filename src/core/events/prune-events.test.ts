/**
 * Events retention: finished events older than the period go with their deliveries and
 * attempts, in batches; recent events and events with a pending delivery stay (both databases).
 */
import { describe, expect, it } from 'vitest';
import { activeDialects, useTestCore } from '../../../test/support/db.js';
import { newId } from '../ids.js';
import { DAY_MS } from '../usage/get-usage.js';
import { createWebhookEndpoint } from './create-webhook-endpoint.js';
import { emitEvent } from './emit-event.js';
import { pruneDeliveredEvents } from './prune-events.js';

const open = { policy: { production: false, allowPrivate: false }, resolve: async () => [], now: 0, actorId: null };

describe.each(await activeDialects())('events retention on %s', (dialect) => {
  const core = useTestCore(dialect);

  it('deletes finished events older than the period with their deliveries and attempts, in batches, and keeps the rest', async () => {
    const db = core.database.db;
    await createWebhookEndpoint(db, { url: 'http://receiver.test/a', events: ['credits.purchased'] }, open);
    await createWebhookEndpoint(db, { url: 'http://receiver.test/b', events: ['credits.purchased'] }, open);
    const now = Date.UTC(2026, 11, 1);
    const old = now - 31 * DAY_MS;
    const emit = (at: number, type: 'credits.purchased' | 'balance.low' = 'credits.purchased') =>
      core.writer.transaction(({ trx }) => emitEvent(trx, { type, accountId: 'acct', data: {} }, at));
    // Deliveries' outcomes and one attempt each, as the worker records them.
    const finish = (eventId: string, statuses: ('succeeded' | 'failed' | 'pending')[]) =>
      core.writer.transaction(async ({ trx }) => {
        const ds = await trx.selectFrom('webhook_deliveries').select('id').where('event_id', '=', eventId).orderBy('id').execute();
        for (const [i, d] of ds.entries()) {
          await trx
            .updateTable('webhook_deliveries')
            .set({ status: statuses[i] ?? 'succeeded' })
            .where('id', '=', d.id)
            .execute();
          await trx
            .insertInto('webhook_attempts')
            .values({ id: newId(), delivery_id: d.id, attempted_at: old, status_code: 200, error: null, duration_ms: 5 })
            .execute();
        }
      });
    // Five old events delivered to both endpoints, one old event that failed on one, one old
    // event nobody was subscribed to: seven to delete (a batch of 3 takes three passes).
    const gone: string[] = [];
    for (let i = 0; i < 5; i++) {
      const id = await emit(old + i);
      await finish(id, ['succeeded', 'succeeded']);
      gone.push(id);
    }
    const failedOld = await emit(old + 10);
    await finish(failedOld, ['succeeded', 'failed']);
    gone.push(failedOld);
    gone.push(await emit(old + 11, 'balance.low'));
    // Kept: an old event with a pending delivery (a retry), and a recent delivered one.
    const pendingOld = await emit(old + 20);
    await finish(pendingOld, ['succeeded', 'pending']);
    const recent = await emit(now - 29 * DAY_MS);
    await finish(recent, ['succeeded', 'succeeded']);

    expect(await pruneDeliveredEvents(core, now, { retentionDays: 0 })).toBe(0);
    expect(await pruneDeliveredEvents(core, now, { retentionDays: 30, batchSize: 3 })).toBe(7);

    const events = await db.selectFrom('events').select('id').execute();
    expect(events.map((e) => e.id).sort()).toEqual([pendingOld, recent].sort());
    const deliveries = await db.selectFrom('webhook_deliveries').select(['event_id', 'status']).execute();
    expect(deliveries.filter((d) => gone.includes(d.event_id))).toEqual([]);
    expect(
      deliveries
        .filter((d) => d.event_id === pendingOld)
        .map((d) => d.status)
        .sort(),
    ).toEqual(['pending', 'succeeded']);
    expect(deliveries.filter((d) => d.event_id === recent)).toHaveLength(2);
    // Attempts of the deleted deliveries are gone; those of the kept ones stay.
    const attempts = await db.selectFrom('webhook_attempts').select('delivery_id').execute();
    const kept = new Set((await db.selectFrom('webhook_deliveries').select('id').execute()).map((d) => d.id));
    expect(attempts.length).toBe(4);
    expect(attempts.every((a) => kept.has(a.delivery_id))).toBe(true);
    // Once the retry has finished, the old event goes too; a second pass finds nothing more.
    await core.writer.transaction(({ trx }) =>
      trx.updateTable('webhook_deliveries').set({ status: 'succeeded' }).where('event_id', '=', pendingOld).execute(),
    );
    expect(await pruneDeliveredEvents(core, now, { retentionDays: 30, batchSize: 3 })).toBe(1);
    expect(await pruneDeliveredEvents(core, now, { retentionDays: 30, batchSize: 3 })).toBe(0);
    expect((await db.selectFrom('events').select('id').execute()).map((e) => e.id)).toEqual([recent]);
  });
});
