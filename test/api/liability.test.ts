/**
 * The liability report against a hand computation, on both databases. One account's life on a
 * clock set in the past: purchases valued at their price (one of 50 credits for $5.99, so
 * cents round), a bonus at 0, spends in the contract's order, a refund's claw-back, a hold
 * captured in part, a usage reversal (its grant worth what the reversed charge's credits
 * were), an expiry by the sweeper; then the figures at the end of several past days, and each
 * grant's movements summing to its remaining credits. Then the HTTP routes: the JSON and CSV
 * answers, `?asOf=` a day, bad input 400, admins only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getLiability } from '../../src/core/reports/get-liability.js';
import { activeDialects, useTestCore } from '../support/db.js';
import { makeUser, testUsage } from '../support/factories.js';
import { type TestServer, startTestServer } from '../support/server.js';

const at = (iso: string) => Date.parse(iso);
const endOf = (day: string) => at(`${day}T00:00:00Z`) + 86_400_000 - 1;

describe.each(await activeDialects())('liability at past days (%s)', (dialect) => {
  let clock = at('2026-03-01T10:00:00Z');
  const core = useTestCore(dialect, () => clock);

  it('matches a hand computation at the end of each day', async () => {
    const u = await makeUser(core);
    const liability = async (day: string, period?: { from: number; to: number }) => {
      const l = await getLiability(core.database.db, { asOf: endOf(day), ...period });
      return {
        credits: l.outstanding.creditsMc / 1000,
        value: l.outstanding.valueCents,
        soon: [l.expiringNext30Days.creditsMc / 1000, l.expiringNext30Days.valueCents],
        expired: [l.expired.creditsMc / 1000, l.expired.valueCents],
      };
    };

    // 1 March: 100 credits bought for $10.00; a bonus of 20 (worth 0) expiring on 10 March.
    await core.ledger.grant(u.id, 100_000, 'purchase', { refType: 'payment', refId: 'pay-1', grant: { valueCents: 1000 } });
    await core.ledger.grant(u.id, 20_000, 'bonus', {
      refType: 'payment',
      refId: 'pay-1',
      grant: { expiresAt: at('2026-03-10T10:00:00Z') },
    });
    // 2 March: 30 spent: the bonus's 20 (it expires), then 10 of the purchase.
    clock = at('2026-03-02T10:00:00Z');
    await core.ledger.debit(u.id, 30_000, 'usage', { usage: testUsage(30_000) });
    // 3 March: 50 credits bought for $5.99, expiring on 1 April.
    clock = at('2026-03-03T10:00:00Z');
    await core.ledger.grant(u.id, 50_000, 'purchase', {
      refType: 'payment',
      refId: 'pay-2',
      grant: { valueCents: 599, expiresAt: at('2026-04-01T10:00:00Z') },
    });
    // 4 March: 10 spent, from the expiring purchase.
    clock = at('2026-03-04T10:00:00Z');
    const charge = await core.ledger.debit(u.id, 10_000, 'usage', { usage: testUsage(10_000) });
    // 5 March: a refund of the first payment takes 20 back, from its own grant.
    clock = at('2026-03-05T10:00:00Z');
    await core.ledger.clawBack(u.id, 20_000, 'refund', { refType: 'payment', refId: 'pay-1' });
    // 6 March: a hold of 15 (from the expiring purchase); 7 March: 5 captured, 10 released.
    clock = at('2026-03-06T10:00:00Z');
    const hold = await core.ledger.reserve(u.id, 15_000, at('2026-03-09T00:00:00Z'));
    clock = at('2026-03-07T10:00:00Z');
    await core.ledger.capture(hold.reservationId as string, 5_000, { usage: testUsage(5_000) });
    // 8 March: the 4 March charge is reversed: 10 credits back, worth what they cost (10 of 50 for 599 cents).
    clock = at('2026-03-08T10:00:00Z');
    await core.ledger.reverseUsage(u.id, charge.usageId as string);
    // 10 March: the bonus is due, nothing left of it: no expiry row.
    clock = at('2026-03-10T11:00:00Z');
    expect(await core.ledger.expireGrants(clock)).toBe(1);
    // 1 April: the second purchase expires with 35 left.
    clock = at('2026-04-01T11:00:00Z');
    expect(await core.ledger.expireGrants(clock)).toBe(1);

    // The end of 28 February: nothing yet.
    expect(await liability('2026-02-28')).toEqual({ credits: 0, value: 0, soon: [0, 0], expired: [0, 0] });
    // 1 March: 100 paid ($10.00) and the bonus's 20 (worth 0, expiring within 30 days).
    expect(await liability('2026-03-01')).toEqual({ credits: 120, value: 1000, soon: [20, 0], expired: [0, 0] });
    // 2 March: 90 of the first purchase.
    expect(await liability('2026-03-02')).toEqual({ credits: 90, value: 900, soon: [0, 0], expired: [0, 0] });
    // 4 March: 90 ($9.00) and 40 of 50 for 599 cents (479.2, rounded to 479), expiring 1 April.
    expect(await liability('2026-03-04')).toEqual({ credits: 130, value: 1379, soon: [40, 479], expired: [0, 0] });
    // 5 March: the refund took 20 of the first purchase.
    expect(await liability('2026-03-05')).toEqual({ credits: 110, value: 1179, soon: [40, 479], expired: [0, 0] });
    // 6 March: the hold's 15 are still outstanding (held, not spent).
    expect(await liability('2026-03-06')).toEqual({ credits: 110, value: 1179, soon: [40, 479], expired: [0, 0] });
    // 7 March: 5 captured: 35 of the second purchase (419.3 -> 419).
    expect(await liability('2026-03-07')).toEqual({ credits: 105, value: 1119, soon: [35, 419], expired: [0, 0] });
    // 8 March: the reversal's 10 credits, worth 119.8 -> 120.
    expect(await liability('2026-03-08')).toEqual({ credits: 115, value: 1239, soon: [35, 419], expired: [0, 0] });
    // 31 March: the same; nothing expired in March (the bonus had nothing left).
    expect(await liability('2026-03-31')).toEqual({ credits: 115, value: 1239, soon: [35, 419], expired: [0, 0] });
    // 1 April: the 35 expired (worth 419), in April's period.
    expect(await liability('2026-04-01')).toEqual({ credits: 80, value: 820, soon: [0, 0], expired: [35, 419] });
    // An explicit period: March alone has none, March to April all of it.
    expect((await liability('2026-04-01', { from: at('2026-03-01T00:00:00Z'), to: at('2026-04-01T00:00:00Z') })).expired).toEqual([0, 0]);
    expect((await liability('2026-04-30', { from: at('2026-03-01T00:00:00Z'), to: at('2026-05-01T00:00:00Z') })).expired).toEqual([
      35, 419,
    ]);

    // Every grant's movements sum to its remaining credits.
    const db = core.database.db;
    const grants = await db.selectFrom('grants').select(['id', 'remaining_mc']).where('user_id', '=', u.id).execute();
    for (const g of grants) {
      const moved = await db
        .selectFrom('grant_movements')
        .select((eb) => eb.fn.sum<string>('amount_mc').as('mc'))
        .where('grant_id', '=', g.id)
        .executeTakeFirstOrThrow();
      expect(Number(moved.mc ?? 0), g.id).toBe(g.remaining_mc);
    }
    const reversal = await db
      .selectFrom('grants')
      .selectAll()
      .where('user_id', '=', u.id)
      .where('source', '=', 'adjustment')
      .executeTakeFirstOrThrow();
    expect(reversal).toMatchObject({ credits_mc: 10_000, value_cents: 120 });
  });
});

describe('GET /api/admin/liability over HTTP', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer('sqlite');
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('answers the figures as JSON and CSV, for admins; bad input is 400', async () => {
    const admin = await s.userWithRole('admin');
    const u = await s.register();
    await s.running.core.ledger.grant(u.user.id, 40_000, 'purchase', {
      grant: { valueCents: 800, expiresAt: Date.now() + 5 * 86_400_000 },
    });
    const base = (await admin.api.get('/api/admin/liability?asOf=2020-01-01')).body;
    expect(base).toMatchObject({
      asOf: '2020-01-01T23:59:59.999Z',
      credits: 0,
      valueCents: 0,
      period: { from: '2020-01-01T00:00:00.000Z', to: '2020-01-02T00:00:00.000Z' },
    });
    const now = await admin.api.get('/api/admin/liability');
    expect(now.status).toBe(200);
    expect(now.body.credits).toBeGreaterThanOrEqual(40);
    expect(now.body.expiringNext30Days.credits).toBeGreaterThanOrEqual(40);
    expect(now.body.expiringNext30Days.valueCents).toBeGreaterThanOrEqual(800);
    const csv = await admin.api.get('/api/admin/liability.csv?asOf=2020-01-01');
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(csv.text.trim().split('\n')).toEqual([
      'asOf,figure,from,to,credits,valueCents',
      '2020-01-01T23:59:59.999Z,outstanding,,,0,0',
      '2020-01-01T23:59:59.999Z,expiring_next_30_days,,,0,0',
      '2020-01-01T23:59:59.999Z,expired_in_period,2020-01-01T00:00:00.000Z,2020-01-02T00:00:00.000Z,0,0',
    ]);
    for (const q of ['asOf=2999-01-01', 'asOf=yesterday', 'from=2026-03-02&to=2026-03-01', 'to=soon']) {
      const r = await admin.api.get(`/api/admin/liability?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.error?.code).toBe('validation_error');
    }
    // Today's date (a date picker's default) is the day so far: now.
    const before = Date.now();
    const today = await admin.api.get(`/api/admin/liability?asOf=${new Date().toISOString().slice(0, 10)}`);
    expect(today.status).toBe(200);
    expect(Date.parse(today.body.asOf)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(today.body.asOf)).toBeLessThanOrEqual(Date.now() + 1000);
    // A date-time is taken as given: tomorrow's midnight is in the future.
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    expect((await admin.api.get(`/api/admin/liability?asOf=${tomorrow}T00:00:00Z`)).status).toBe(400);
    expect((await admin.api.get(`/api/admin/liability?asOf=${tomorrow}`)).status).toBe(400);
    expect((await u.api.get('/api/admin/liability')).status).toBe(403);
    expect((await u.api.get('/api/admin/liability.csv')).status).toBe(403);
    expect((await s.api.get('/api/admin/liability')).status).toBe(401);
  });
});
