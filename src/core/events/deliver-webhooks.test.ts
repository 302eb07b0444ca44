/**
 * The delivery worker against a real database with a controllable clock and sender: the
 * retry schedule and giving up, leases (no second claim while one holds; a dead
 * instance's claim is taken over), concurrent claims from two connections never sharing a
 * delivery, and a slow endpoint not holding up another's events.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../db/open.js';
import { activeDialects, createTestCore, type TestCore } from '../../../test/support/db.js';
import { createWebhookEndpoint } from './create-webhook-endpoint.js';
import { MAX_ATTEMPTS, RETRY_DELAYS_MS, type WebhookSender, WebhookDeliveryWorker } from './deliver-webhooks.js';
import { emitEvent } from './emit-event.js';
import { listWebhookDeliveries } from './list-webhook-deliveries.js';
import { retryWebhookDelivery } from './retry-webhook-delivery.js';

const log = { error: () => {} };
const open = { policy: { production: false, allowPrivate: false }, resolve: async () => [], now: 0, actorId: null };

function deferred() {
  let resolve!: (v: { status: number }) => void;
  const promise = new Promise<{ status: number }>((r) => (resolve = r));
  return { promise, resolve };
}

describe.each(await activeDialects())('webhook delivery worker on %s', (dialect) => {
  let core: TestCore;
  const extra: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const f of extra.splice(0)) await f();
    await core?.dispose();
  });

  async function emit(n: number, now: number, type: 'credits.purchased' | 'balance.low' = 'credits.purchased') {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      ids.push(await core.writer.transaction(({ trx }) => emitEvent(trx, { type, accountId: 'acct', data: { i } }, now)));
    }
    return ids;
  }

  it('tries at once, retries on the Standard Webhooks schedule with jitter, then gives up as failed', async () => {
    core = await createTestCore(dialect);
    const db = core.database.db;
    const { endpoint } = await createWebhookEndpoint(db, { url: 'http://receiver.test/hook', events: ['credits.purchased'] }, open);
    let t = 1_000_000;
    const sent: number[] = [];
    const sender: WebhookSender = {
      send: async () => {
        sent.push(t);
        return { status: 500 };
      },
    };
    // random() = 1: every wait is the schedule's + 10 %.
    const w = new WebhookDeliveryWorker(core.database, sender, { log, now: () => t, random: () => 1 });
    await emit(1, t);
    expect(await w.runOnce()).toBe(1);
    for (let i = 0; i < RETRY_DELAYS_MS.length; i++) {
      const wait = Math.round((RETRY_DELAYS_MS[i] as number) * 1.1);
      t += wait - 1;
      expect(await w.runOnce(), `attempt ${i + 2} not before its time`).toBe(0);
      t += 1;
      expect(await w.runOnce(), `attempt ${i + 2} at its time`).toBe(1);
    }
    expect(sent).toHaveLength(MAX_ATTEMPTS);
    // 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: about a day and a few hours, with jitter.
    expect(((sent.at(-1) as number) - (sent[0] as number)) / 3_600_000).toBeCloseTo(27.6 * 1.1, 0);
    t += 100 * 3_600_000;
    expect(await w.runOnce()).toBe(0);
    const { items } = await listWebhookDeliveries(db, endpoint.id, { limit: 10 });
    expect(items[0]).toMatchObject({ status: 'failed', attempts: MAX_ATTEMPTS, lastStatusCode: 500, nextAttemptAt: null });
    expect(items[0]?.attemptLog.map((a) => a.statusCode)).toEqual(Array(MAX_ATTEMPTS).fill(500));

    // The admin's retry: one more attempt, now; a 2xx settles it.
    await retryWebhookDelivery(db, endpoint.id, items[0]?.id as string, { now: t, actorId: null });
    sender.send = async () => ({ status: 204 });
    expect(await w.runOnce()).toBe(1);
    const after = await listWebhookDeliveries(db, endpoint.id, { limit: 10 });
    expect(after.items[0]).toMatchObject({ status: 'succeeded', attempts: MAX_ATTEMPTS + 1, lastStatusCode: 204 });
  });

  it('jitter spreads the waits within ±10 %', () => {
    const draws = [0, 0.5, 1];
    const w = new WebhookDeliveryWorker(
      {} as never,
      { send: async () => ({ status: 200 }) },
      { log, random: () => draws.shift() as number },
    );
    expect([w.delayAfter(2), w.delayAfter(2), w.delayAfter(2)]).toEqual([270_000, 300_000, 330_000]);
    expect(w.delayAfter(MAX_ATTEMPTS)).toBeNull();
  });

  it('never claims a delivery another claim holds, and takes over one whose lease ran out', async () => {
    core = await createTestCore(dialect);
    const db = core.database.db;
    const { endpoint } = await createWebhookEndpoint(db, { url: 'http://receiver.test/hook', events: ['credits.purchased'] }, open);
    let t = 5_000_000;
    const first = deferred();
    const a = new WebhookDeliveryWorker(
      core.database,
      { send: () => first.promise },
      { log, now: () => t, timeoutMs: 1000, leaseMs: 10_000 },
    );
    let bSent = 0;
    const b = new WebhookDeliveryWorker(
      core.database,
      {
        send: async () => {
          bSent++;
          return { status: 200 };
        },
      },
      { log, now: () => t, timeoutMs: 1000, leaseMs: 10_000 },
    );
    await emit(1, t);
    expect(await a.poll()).toBe(1);
    expect(await b.runOnce()).toBe(0);
    t += 9_999;
    expect(await b.runOnce()).toBe(0);
    // A's instance is gone (its attempt never ends): once the lease runs out, B sends it.
    t += 1;
    expect(await b.runOnce()).toBe(1);
    expect(bSent).toBe(1);
    // A's late answer is logged but does not overrule B's claim's outcome.
    first.resolve({ status: 500 });
    await a.idle();
    const { items } = await listWebhookDeliveries(db, endpoint.id, { limit: 10 });
    expect(items[0]).toMatchObject({ status: 'succeeded', attempts: 1, lastStatusCode: 200 });
    expect(items[0]?.attemptLog.map((x) => x.statusCode).sort()).toEqual([200, 500]);
  });

  it('two instances claiming at the same time never send one delivery twice', async () => {
    core = await createTestCore(dialect);
    const db = core.database.db;
    await createWebhookEndpoint(db, { url: 'http://receiver.test/a', events: ['credits.purchased'] }, open);
    await createWebhookEndpoint(db, { url: 'http://receiver.test/b', events: ['credits.purchased'] }, open);
    const other = await openDatabase(
      dialect === 'postgres'
        ? { databaseUrl: core.testDb.url as string, pgSchema: core.testDb.pgSchema as string, pgPoolSize: 5 }
        : { sqlitePath: core.testDb.sqlitePath as string },
    );
    extra.push(() => other.close());
    const t = Date.now();
    await emit(60, t);
    const sends = new Map<string, number>();
    const sender: WebhookSender = {
      send: async ({ url, headers }) => {
        const k = `${url} ${headers['webhook-id']}`;
        sends.set(k, (sends.get(k) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, 2));
        return { status: 200 };
      },
    };
    const opts = { log, now: () => t, concurrency: 8, perEndpoint: 4 };
    const workers = [new WebhookDeliveryWorker(core.database, sender, opts), new WebhookDeliveryWorker(other, sender, opts)];
    for (let round = 0; round < 100 && [...sends.values()].length < 120; round++) {
      await Promise.all(workers.flatMap((w) => [w.poll(), w.poll()]));
      await Promise.all(workers.map((w) => w.idle()));
    }
    expect(sends.size).toBe(120);
    expect([...sends.values()].every((n) => n === 1)).toBe(true);
    const left = await db.selectFrom('webhook_deliveries').select('id').where('status', '!=', 'succeeded').execute();
    expect(left).toEqual([]);
  });

  it('a slow endpoint does not hold up another endpoint’s events', async () => {
    core = await createTestCore(dialect);
    const db = core.database.db;
    const slow = (await createWebhookEndpoint(db, { url: 'http://slow.test/hook', events: ['credits.purchased'] }, open)).endpoint;
    const fast = (await createWebhookEndpoint(db, { url: 'http://fast.test/hook', events: ['credits.purchased'] }, open)).endpoint;
    const t = Date.now();
    await emit(12, t);
    const stuck = deferred();
    let slowInFlight = 0;
    let fastDone = 0;
    const w = new WebhookDeliveryWorker(
      core.database,
      {
        send: ({ url }) => {
          if (url.includes('slow')) {
            slowInFlight++;
            return stuck.promise;
          }
          fastDone++;
          return Promise.resolve({ status: 200 });
        },
      },
      { log, now: () => t, concurrency: 6, perEndpoint: 3 },
    );
    // The slow endpoint's twelve events come first in time order; it still gets only its share.
    for (let i = 0; i < 500 && fastDone < 12; i++) {
      await w.poll();
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(fastDone).toBe(12);
    // The slow endpoint's third send may still be on its way when the fast ones are done
    // (it was 2 once in CI on PostgreSQL): wait for it, then it holds at its share of 3.
    for (let i = 0; i < 200 && slowInFlight < 3; i++) {
      await w.poll();
      await new Promise((r) => setTimeout(r, 5));
    }
    await w.poll();
    expect(slowInFlight).toBe(3);
    stuck.resolve({ status: 200 });
    await w.idle();
    const fastPage = await listWebhookDeliveries(db, fast.id, { limit: 50 });
    expect(fastPage.items.every((d) => d.status === 'succeeded')).toBe(true);
    const slowPage = await listWebhookDeliveries(db, slow.id, { limit: 50 });
    expect(slowPage.items.filter((d) => d.status === 'succeeded')).toHaveLength(3);
  });

  it('writes deliveries only for enabled endpoints subscribed to the type, in the cause’s transaction', async () => {
    core = await createTestCore(dialect);
    const db = core.database.db;
    const a = (await createWebhookEndpoint(db, { url: 'http://a.test/', events: ['balance.low'] }, open)).endpoint;
    const b = (await createWebhookEndpoint(db, { url: 'http://b.test/', events: ['credits.purchased', 'balance.low'] }, open)).endpoint;
    await db.updateTable('webhook_endpoints').set({ enabled: 0 }).where('id', '=', b.id).execute();
    await emit(1, Date.now(), 'balance.low');
    await emit(1, Date.now(), 'credits.purchased');
    const rows = await db.selectFrom('webhook_deliveries').select(['endpoint_id']).execute();
    expect(rows.map((r) => r.endpoint_id)).toEqual([a.id]);
    // A cause that rolls back takes its event with it.
    await expect(
      core.writer.transaction(async ({ trx }) => {
        await emitEvent(trx, { type: 'balance.low', accountId: 'acct', data: {} }, Date.now());
        throw new Error('the cause failed');
      }),
    ).rejects.toThrow('the cause failed');
    expect(await db.selectFrom('events').select('id').execute()).toHaveLength(2);
    expect(await db.selectFrom('webhook_deliveries').select('id').execute()).toHaveLength(1);
  });
});
