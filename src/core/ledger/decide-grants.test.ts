/**
 * The grants' part of the decisions without a database (decide-grants.ts, grants.ts): the
 * order debits spend grants in, a credit's grant, a hold's reservations and their expiry,
 * the sweeper, a claw-back through holds, and a refused compound step.
 */
import { describe, expect, it } from 'vitest';
import type { AccountRow, GrantRow } from '../../db/schema.js';
import { HOUR, NOW, accountRow, applied, expectRefused, grantRow, one, state, usage } from '../../../test/support/decide-state.js';
import type { BatchState } from './batch-state.js';
import { changedRows } from './batch-state.js';

describe('grants', () => {
  const DAY = 24 * HOUR;
  /** Account c with no holds and the given grants (balance = their sum). */
  function withGrants(rows: GrantRow[]): BatchState {
    const s = state();
    const total = rows.reduce((x, g) => x + g.remaining_mc, 0);
    s.accounts.set('c', { row: accountRow('c', total, 0), startAvailableMc: total, dirty: false });
    s.grants.set(
      'c',
      rows.map((row) => ({ row, isNew: false, dirty: false })),
    );
    s.allocationsLoaded.add('c');
    return s;
  }
  const left = (s: BatchState) => Object.fromEntries((s.grants.get('c') ?? []).map((g) => [g.row.id, g.row.remaining_mc]));
  const spread = () =>
    withGrants([
      grantRow('paid-never', 'c', 'purchase', 100),
      grantRow('promo-never', 'c', 'promo', 100),
      grantRow('paid-soon', 'c', 'purchase', 100, { expires_at: NOW + DAY }),
      grantRow('bonus-soon', 'c', 'bonus', 100, { expires_at: NOW + DAY }),
      grantRow('paid-sooner', 'c', 'purchase', 100, { expires_at: NOW + HOUR }),
    ]);

  it('a debit takes expiring grants first, the earliest first, promotional before paid at the same expiry, never-expiring last', () => {
    const s = spread();
    applied(one({ kind: 'debit', userId: 'c', amountMc: 250, type: 'adjustment' }, s).r);
    expect(left(s)).toEqual({ 'paid-sooner': 0, 'bonus-soon': 0, 'paid-soon': 50, 'promo-never': 100, 'paid-never': 100 });
    applied(one({ kind: 'debit', userId: 'c', amountMc: 200, type: 'adjustment' }, s).r);
    expect(left(s)).toEqual({ 'paid-sooner': 0, 'bonus-soon': 0, 'paid-soon': 0, 'promo-never': 0, 'paid-never': 50 });
    expect(
      changedRows(s)
        .changedGrants.map((g) => g.id)
        .sort(),
    ).toEqual(['bonus-soon', 'paid-never', 'paid-soon', 'paid-sooner', 'promo-never']);
  });

  it('a credit is a new grant with its source, expiry, payment and value; a past expiry is refused', () => {
    const s = spread();
    const a = applied(
      one(
        {
          kind: 'credit',
          userId: 'c',
          amountMc: 70,
          type: 'purchase',
          refType: 'payment',
          refId: 'pay-1',
          grant: { expiresAt: NOW + 2 * HOUR, valueCents: 900 },
        },
        s,
      ).r,
    );
    const g = changedRows(s).newGrants[0] as GrantRow;
    expect(g).toMatchObject({ id: a.grantId, source: 'purchase', credits_mc: 70, remaining_mc: 70, payment_id: 'pay-1', value_cents: 900 });
    expect(g.expires_at).toBe(NOW + 2 * HOUR);
    expectRefused(
      { kind: 'credit', userId: 'c', amountMc: 70, type: 'adjustment', grant: { expiresAt: NOW - 1 } },
      'validation_error',
      spread(),
    );
  });

  it('a credit on a negative balance grants only what lifts it above zero', () => {
    const s = withGrants([]);
    (s.accounts.get('c') as { row: AccountRow }).row.balance_mc = -30;
    applied(one({ kind: 'credit', userId: 'c', amountMc: 100, type: 'bonus' }, s).r);
    expect(changedRows(s).newGrants[0]).toMatchObject({ credits_mc: 100, remaining_mc: 70 });
  });

  it("a refund takes from the refunded payment's grants first, then in the spending order", () => {
    const s = withGrants([grantRow('promo', 'c', 'promo', 100), grantRow('paid', 'c', 'purchase', 100, { payment_id: 'pay-1' })]);
    applied(one({ kind: 'clawback', userId: 'c', amountMc: 150, type: 'refund', refType: 'payment', refId: 'pay-1' }, s).r);
    expect(left(s)).toEqual({ promo: 50, paid: 0 });
  });

  it("a hold that names a payment (a dispute's) reserves that payment's grants first, then in the spending order", () => {
    const s = withGrants([grantRow('promo', 'c', 'promo', 100), grantRow('paid', 'c', 'purchase', 100, { payment_id: 'pay-1' })]);
    const hold = { kind: 'reserve', userId: 'c', reservationId: 'hd', amountMc: 150, expiresAt: NOW + HOUR, forced: true } as const;
    applied(one({ ...hold, refType: 'payment', refId: 'pay-1' }, s).r);
    expect((s.grants.get('c') ?? []).map((g) => [g.row.id, g.row.reserved_mc])).toEqual([
      ['promo', 50],
      ['paid', 100],
    ]);
  });

  it('a hold reserves from grants in order; one expiring under it keeps the reservation, and what it releases unspent expires then', () => {
    const s = withGrants([grantRow('soon', 'c', 'bonus', 100, { expires_at: NOW }), grantRow('never', 'c', 'purchase', 100)]);
    applied(one({ kind: 'reserve', userId: 'c', reservationId: 'hc', amountMc: 150, expiresAt: NOW + HOUR }, s).r);
    expect((s.grants.get('c') ?? []).map((g) => [g.row.id, g.row.reserved_mc])).toEqual([
      ['soon', 100],
      ['never', 50],
    ]);
    // The sweeper: nothing free is left of `soon`, so nothing leaves the balance yet.
    const e = applied(one({ kind: 'expire_grant', userId: 'c', grantId: 'soon' }, s).r);
    expect(e.expiredMc).toBe(0);
    expect(s.accounts.get('c')?.row.balance_mc).toBe(200);
    // The hold charges 60 (from `soon`, first in order) and releases 90: 40 of `soon` expire now.
    const { r, d } = one({ kind: 'capture', reservationId: 'hc', amountMc: 60, usage: usage(60) }, s);
    const c = applied(r);
    expect(c.expiredMc).toBe(40);
    expect(d.pending.txRows.map((t) => [t.type, t.amount_mc, t.reference_id])).toEqual([
      ['usage', -60, 'hc'],
      ['expiry', -40, 'soon'],
    ]);
    expect(c.balanceMc).toBe(100);
    expect(left(s)).toEqual({ soon: 0, never: 100 });
    expect((s.grants.get('c') ?? []).map((g) => g.row.reserved_mc)).toEqual([0, 0]);
    expect(d.pending.events.map((x) => x.type)).toEqual(['credits.expired']);
  });

  it('the sweeper expires what is free of a due grant, once; a grant not due or never expiring is refused', () => {
    const s = withGrants([
      grantRow('due', 'c', 'promo', 100, { expires_at: NOW - 1 }),
      grantRow('later', 'c', 'promo', 100, { expires_at: NOW + 1 }),
    ]);
    const { r, d } = one({ kind: 'expire_grant', userId: 'c', grantId: 'due' }, s);
    expect(applied(r)).toMatchObject({ amountMc: -100, balanceMc: 100, expiredMc: 100 });
    expect(d.pending.txRows.map((t) => [t.type, t.amount_mc, t.reference_type, t.reference_id])).toEqual([
      ['expiry', -100, 'grant', 'due'],
    ]);
    expect((s.grants.get('c') ?? []).find((g) => g.row.id === 'due')?.row).toMatchObject({
      remaining_mc: 0,
      expired_mc: 100,
      expired_at: NOW,
    });
    for (const [grantId, code] of [
      ['due', 'conflict'],
      ['later', 'conflict'],
      ['nope', 'not_found'],
    ] as const) {
      const { r: again, unchanged } = one({ kind: 'expire_grant', userId: 'c', grantId }, s);
      expect(again.ok ? 'applied' : again.error.code).toBe(code);
      expect(unchanged).toBe(true);
    }
  });

  it('a claw-back beyond the free credits takes from what holds reserved, and they keep less', () => {
    const s = state();
    applied(one({ kind: 'clawback', userId: 'a', amountMc: 900, type: 'refund' }, s).r);
    expect(s.grants.get('a')?.[0]?.row).toMatchObject({ remaining_mc: 100, reserved_mc: 100 });
    expect(s.allocations.get('h1')?.[0]?.amountMc).toBe(100);
    expect(changedRows(s).changedAllocations).toEqual([{ reservation_id: 'h1', grant_id: 'ga', amount_mc: 100 }]);
  });

  it('a refused compound step puts the grants back as they were', () => {
    const s = spread();
    const before = JSON.stringify(s.grants.get('c'));
    expectRefused(
      {
        kind: 'compound',
        userId: 'c',
        steps: [
          { kind: 'credit', userId: 'c', amountMc: 10, type: 'bonus' },
          { kind: 'debit', userId: 'c', amountMc: 300, type: 'adjustment' },
          { kind: 'debit', userId: 'c', amountMc: 10_000, type: 'adjustment' },
        ],
      },
      'insufficient_credits',
      s,
    );
    expect(JSON.stringify(s.grants.get('c'))).toBe(before);
  });
});
