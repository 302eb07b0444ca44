/**
 * The holds' decisions without a database (decide-holds.ts): a new hold, its capture and
 * its release against a state built by hand, and their refusals.
 */
import { describe, expect, it } from 'vitest';
import { HOUR, NOW, applied, expectRefused, one, usage } from '../../../test/support/decide-state.js';
import { changedRows } from './batch-state.js';

describe('decide: reserve', () => {
  const hold = { kind: 'reserve', userId: 'a', reservationId: 'h2', expiresAt: NOW + HOUR } as const;
  it('holds available credits in a new active hold', () => {
    const { r, s, a, d } = one({
      ...hold,
      amountMc: 400,
      pricing: { operation: 'vapi_call', unit: 'per_minute', ruleId: 'r', ruleCreditsMc: 500 },
    });
    expect(applied(r)).toMatchObject({ amountMc: 0, reservedChangeMc: 400, reservedMc: 700, availableMc: 300, reservationId: 'h2' });
    expect(a.reserved_mc).toBe(700);
    expect(s.reservations.get('h2')).toMatchObject({
      isNew: true,
      row: { status: 'active', amount_mc: 400, operation: 'vapi_call', forced: 0 },
    });
    expect(d.pending.txRows[0]).toMatchObject({ type: 'reservation', reference_type: 'reservation', reference_id: 'h2' });
    expect(changedRows(s).newHolds.map((h) => h.id)).toEqual(['h2']);
  });
  it('shrinks to what is affordable when asked, and is refused when the shrink says no', () => {
    expect(applied(one({ ...hold, amountMc: 5000, shrink: (avail) => avail - (avail % 100) }).r).reservedChangeMc).toBe(700);
    expectRefused({ ...hold, amountMc: 5000, shrink: () => null }, 'insufficient_credits');
  });
  it('a forced hold may exceed available credits', () => {
    expect(applied(one({ ...hold, amountMc: 5000, forced: true }).r).availableMc).toBe(-4300);
  });
  it('refuses more than available, and a hold id that exists', () => {
    expectRefused({ ...hold, amountMc: 701 }, 'insufficient_credits');
    expectRefused({ ...hold, reservationId: 'h1', amountMc: 1 }, 'conflict');
  });
});

describe('decide: capture', () => {
  it('charges up to the hold and releases the rest', () => {
    const { r, s, a, d } = one({ kind: 'capture', reservationId: 'h1', amountMc: 1000, usage: usage(1000) });
    expect(applied(r)).toMatchObject({ amountMc: -300, reservedChangeMc: -300, chargedMc: 300, balanceMc: 700, reservedMc: 0 });
    expect(a.lifetime_used_mc).toBe(300);
    expect(s.reservations.get('h1')?.row).toMatchObject({ status: 'captured', captured_mc: 300, settled_at: NOW });
    expect(d.pending.txRows[0]?.type).toBe('usage');
    expect(d.pending.usageRows[0]).toMatchObject({ charged_mc: 300, cost_mc: 1000, reservation_id: 'h1' });
    expect(changedRows(s).settledHolds.map((h) => h.id)).toEqual(['h1']);
  });
  it('a capture of nothing is a release row', () => {
    const { r, d } = one({ kind: 'capture', reservationId: 'h1', amountMc: 0 });
    expect(applied(r).chargedMc).toBe(0);
    expect(d.pending.txRows[0]?.type).toBe('release');
  });
  it('refuses a settled hold, another account’s hold, an unknown hold, and a charge without its usage record', () => {
    expectRefused({ kind: 'capture', reservationId: 'h-done', amountMc: 0 }, 'conflict');
    expectRefused({ kind: 'capture', reservationId: 'h1', userId: 'b', amountMc: 0 }, 'not_found');
    expectRefused({ kind: 'capture', reservationId: 'nope', amountMc: 0 }, 'not_found');
    expectRefused({ kind: 'capture', reservationId: 'h1', amountMc: 10 }, 'validation_error');
  });
  it('a dispute capture needs no usage record', () => {
    expect(applied(one({ kind: 'capture', reservationId: 'h1', amountMc: 10, type: 'dispute' }).r).chargedMc).toBe(10);
  });
});

describe('decide: release', () => {
  it('ends a hold without charging, as released or expired', () => {
    const { r, s, d } = one({ kind: 'release', reservationId: 'h1', reason: 'expired' });
    expect(applied(r)).toMatchObject({ amountMc: 0, reservedChangeMc: -300, availableMc: 1000, chargedMc: 0 });
    expect(s.reservations.get('h1')?.row.status).toBe('expired');
    expect(d.pending.txRows[0]).toMatchObject({ type: 'release', description: 'Hold expired' });
    expect(one({ kind: 'release', reservationId: 'h1', reason: 'released' }).s.reservations.get('h1')?.row.status).toBe('released');
  });
  it('refuses a settled hold and another account’s hold', () => {
    expectRefused({ kind: 'release', reservationId: 'h-done', reason: 'released' }, 'conflict');
    expectRefused({ kind: 'release', reservationId: 'h1', userId: 'b', reason: 'released' }, 'not_found');
  });
});
