/**
 * Grants expiring through the real ledger, on both databases: the sweeper writes one `expiry`
 * row per grant with its event and alert, once, also with two writers sweeping at the same
 * time; a hold keeps what it reserved from a grant that expires under it, and what it
 * releases unspent expires then.
 */
import { describe, expect, it } from 'vitest';
import { activeDialects, useTestCore } from '../../../test/support/db.js';
import { makeUser, testUsage } from '../../../test/support/factories.js';
import { createCore } from '../index.js';
import { verifyLedger } from './verify.js';

const DAY = 86_400_000;

describe.each(await activeDialects())('grants expiring (%s)', (dialect) => {
  let clock = Date.now();
  const core = useTestCore(dialect, () => clock);

  const rows = (userId: string) =>
    core.database.db
      .selectFrom('credit_transactions')
      .select(['type', 'amount_mc', 'reference_type', 'reference_id'])
      .where('user_id', '=', userId)
      .orderBy('seq')
      .execute();

  it('the sweeper expires a due grant once: one expiry row, credits.expired and an alert; two sweepers at once expire it once', async () => {
    const u = await makeUser(core);
    const promo = await core.ledger.grant(u.id, 20_000, 'adjustment', { grant: { expiresAt: clock + DAY } });
    await core.ledger.grant(u.id, 100_000, 'purchase');
    await core.ledger.debit(u.id, 5_000, 'usage', { usage: testUsage(5_000) });
    // Not due yet.
    expect(await core.ledger.expireGrants(clock)).toBe(0);
    clock += DAY;
    // Another writer on the same database sweeps at the same moment.
    const other = createCore(core.database, { ledgerKey: core.ledgerKey, now: () => clock });
    const [x, y] = await Promise.all([core.ledger.expireGrants(clock), other.ledger.expireGrants(clock)]);
    await other.writer.close();
    expect(x + y).toBe(1);
    expect(await core.ledger.expireGrants(clock)).toBe(0);

    // The debit took the expiring promo's credits first: 15 of its 20 were left, and expire.
    const expiries = (await rows(u.id)).filter((r) => r.type === 'expiry');
    expect(expiries).toEqual([{ type: 'expiry', amount_mc: -15_000, reference_type: 'grant', reference_id: promo.grantId }]);
    expect(await core.ledger.balance(u.id)).toMatchObject({ balanceMc: 100_000, availableMc: 100_000 });
    const grant = await core.database.db
      .selectFrom('grants')
      .selectAll()
      .where('id', '=', promo.grantId as string)
      .executeTakeFirstOrThrow();
    expect(grant).toMatchObject({ remaining_mc: 0, expired_mc: 15_000, expired_at: clock });
    const events = await core.database.db.selectFrom('events').select(['type', 'data']).where('account_id', '=', u.id).execute();
    expect(events.filter((e) => e.type === 'credits.expired').map((e) => JSON.parse(e.data))).toEqual([
      { accountId: u.id, grantId: promo.grantId, credits: 15 },
    ]);
    // The promo's grant was announced when it landed; the purchase was not (it is announced as a purchase).
    expect(events.filter((e) => e.type === 'credits.granted')).toHaveLength(1);
    const alerts = await core.database.db.selectFrom('credit_alerts').select(['type', 'message']).where('user_id', '=', u.id).execute();
    expect(alerts).toEqual([{ type: 'credits_expired', message: '15 credits expired.' }]);
    expect((await verifyLedger(core.database.db, core.ledgerKey)).violations).toEqual([]);
  });

  it('a hold keeps what it reserved from a grant that expires under it; what it releases unspent expires then', async () => {
    const u = await makeUser(core);
    const soon = await core.ledger.grant(u.id, 10_000, 'bonus', { grant: { expiresAt: clock + DAY } });
    await core.ledger.grant(u.id, 10_000, 'purchase');
    const hold = await core.ledger.reserve(u.id, 15_000, clock + 2 * DAY);
    clock += DAY;
    await core.ledger.expireGrants(clock);
    // Nothing of the bonus was free: all of it is the hold's, nothing left the balance.
    expect(await core.ledger.balance(u.id)).toMatchObject({ balanceMc: 20_000, reservedMc: 15_000 });
    // The hold charges 4 (from the bonus, first in order) and releases 11: 6 of the bonus expire now, 5 return to the purchase.
    const c = await core.ledger.capture(hold.reservationId as string, 4_000, { usage: testUsage(4_000) });
    expect(c).toMatchObject({ chargedMc: 4_000, expiredMc: 6_000, balanceMc: 10_000, reservedMc: 0, availableMc: 10_000 });
    expect((await rows(u.id)).slice(-2)).toEqual([
      { type: 'usage', amount_mc: -4_000, reference_type: 'reservation', reference_id: hold.reservationId },
      { type: 'expiry', amount_mc: -6_000, reference_type: 'grant', reference_id: soon.grantId },
    ]);
    const grants = await core.database.db.selectFrom('grants').selectAll().where('user_id', '=', u.id).orderBy('id').execute();
    expect(grants.map((g) => [g.source, g.remaining_mc, g.reserved_mc, g.expired_mc])).toEqual([
      ['bonus', 0, 0, 6_000],
      ['purchase', 10_000, 0, 0],
    ]);
    expect((await verifyLedger(core.database.db, core.ledgerKey)).violations).toEqual([]);
  });
});
