/**
 * Organisation members' monthly limits in the ledger's decisions, without a database
 * (decide-members.ts with decide.ts and decide-holds.ts): what is recorded of the member,
 * what counts against the limit (charges and open holds), several ops of one member in one
 * batch, refusals that change nothing, and the crossings that raise member.limit_reached.
 */
import { describe, expect, it } from 'vitest';
import { HOUR, KEY, NOW, applied, expectRefused, holdRow, one, state, usage, usageRow } from '../../../test/support/decide-state.js';
import type { BatchState, MemberState } from './batch-state.js';
import { decideBatch } from './decide.js';
import { limitsReached, memberKey, monthOf } from './decide-members.js';
import { type HashedFields, hashRow } from './hash.js';
import type { LedgerOp } from './types.js';

/** State with member m1 of account a (700 mc available): limit, charged this month, held. */
function withMember(limitMc: number | null, usedMc = 0, heldMc = 0, s: BatchState = state()): BatchState {
  const m: MemberState = { accountId: 'a', userId: 'm1', limitMc, usedMc, heldMc, startCountedMc: usedMc + heldMc, refused: false };
  s.members.set(memberKey('a', 'm1'), m);
  return s;
}
const member = (s: BatchState) => s.members.get(memberKey('a', 'm1')) as MemberState;
const debit = (amountMc: number, memberId = 'm1'): LedgerOp => ({
  kind: 'debit',
  userId: 'a',
  amountMc,
  type: 'usage',
  usage: usage(amountMc),
  memberId,
});
const hold = (id: string, amountMc: number, extra: object = {}): LedgerOp => ({
  kind: 'reserve',
  userId: 'a',
  reservationId: id,
  amountMc,
  expiresAt: NOW + HOUR,
  memberId: 'm1',
  ...extra,
});

describe('monthOf', () => {
  it('names the UTC month of each time, across month and year ends in any order (it keeps the last month it named)', () => {
    const cases: [number, string][] = [
      [Date.UTC(2026, 0, 31, 23, 59, 59, 999), '2026-01'],
      [Date.UTC(2026, 1, 1), '2026-02'],
      [Date.UTC(2026, 0, 31, 23, 59, 59, 999), '2026-01'],
      [Date.UTC(2026, 0, 1), '2026-01'],
      [Date.UTC(2025, 11, 31, 23, 59, 59, 999), '2025-12'],
      [Date.UTC(2026, 11, 31, 23, 59, 59, 999), '2026-12'],
      [Date.UTC(2027, 0, 1), '2027-01'],
      [Date.UTC(2024, 1, 29, 12), '2024-02'],
      [Date.UTC(2024, 2, 1) - 1, '2024-02'],
      [Date.UTC(2024, 2, 1), '2024-03'],
    ];
    for (const [ms, month] of cases) expect(monthOf(ms)).toBe(month);
  });
});

describe('decide: a member’s charge', () => {
  it('records the member on the ledger and usage rows and adds to their month', () => {
    const s = withMember(500, 100);
    const { r, d } = one(debit(300), s);
    expect(applied(r).amountMc).toBe(-300);
    expect(d.pending.txRows[0]?.member_id).toBe('m1');
    expect(d.pending.usageRows[0]?.member_id).toBe('m1');
    expect([...d.pending.memberUsage.values()]).toEqual([{ account_id: 'a', user_id: 'm1', month: monthOf(NOW), used_mc: 300 }]);
    expect(member(s).usedMc).toBe(400);
  });
  it('takes a charge up to the limit exactly, and refuses one beyond it with limit, used and required', () => {
    expect(applied(one(debit(400), withMember(500, 100)).r).amountMc).toBe(-400);
    const s = withMember(500, 100, 50);
    expectRefused(debit(351), 'member_limit_exceeded', s);
    const { r } = one(debit(351), withMember(500, 100, 50));
    expect(r.ok ? null : r.error.details).toEqual({ limitMc: 500, usedMc: 150, requiredMc: 351 });
    expect(member(s).refused).toBe(true);
  });
  it('checks the limit before the balance: a member past their limit hears of their limit', () => {
    expectRefused(debit(800), 'member_limit_exceeded', withMember(500));
    expectRefused(debit(800), 'insufficient_credits', withMember(1000));
  });
  it('no limit: only the balance refuses', () => {
    const s = withMember(null, 10_000);
    expect(applied(one(debit(700), s).r).availableMc).toBe(0);
    expect(limitsReached(s)).toEqual([]);
  });
  it('a user who is not a member of the account is refused 404, whatever the limit', () => {
    expectRefused(debit(1, 'stranger'), 'not_found', withMember(null));
  });
  it('several charges of one member in one batch see each other', () => {
    const s = withMember(600, 100);
    const d = decideBatch([debit(200), debit(200), debit(200), debit(100)], s, KEY, NOW);
    expect(d.results.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual(['ok', 'ok', 'member_limit_exceeded', 'ok']);
    expect(member(s).usedMc).toBe(600);
    expect([...d.pending.memberUsage.values()][0]?.used_mc).toBe(500);
  });
});

describe('decide: a member’s holds', () => {
  it('a hold counts against the limit from when it reserves', () => {
    const s = withMember(600);
    const d = decideBatch([hold('h2', 400), debit(201), debit(200)], s, KEY, NOW);
    expect(d.results.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual(['ok', 'member_limit_exceeded', 'ok']);
    expect(s.reservations.get('h2')?.row.member_id).toBe('m1');
    expect(d.pending.txRows[0]?.member_id).toBe('m1');
    expect(member(s)).toMatchObject({ heldMc: 400, usedMc: 200 });
  });
  it('a hold beyond the limit is refused; one that may shrink shrinks to what the limit leaves', () => {
    expectRefused(hold('h2', 301), 'member_limit_exceeded', withMember(500, 200));
    const r = one(hold('h2', 600, { shrink: (avail: number) => avail - (avail % 100) }), withMember(550, 200)).r;
    expect(applied(r).reservedChangeMc).toBe(300);
    expectRefused(hold('h2', 600, { shrink: () => null }), 'member_limit_exceeded', withMember(500, 500));
    expectRefused(hold('h2', 600, { shrink: () => null }), 'insufficient_credits', withMember(5000));
  });
  it('a capture counts what it charged, a release gives the hold back', () => {
    for (const [op, used, held] of [
      [{ kind: 'capture', reservationId: 'hm', amountMc: 250, usage: usage(250) }, 350, 0],
      [{ kind: 'release', reservationId: 'hm', reason: 'released' }, 100, 0],
    ] as const) {
      const s = withMember(1000, 100, 400);
      s.reservations.set('hm', { row: { ...holdRow('hm', 'a', 400), member_id: 'm1' }, isNew: false, dirty: false });
      s.accounts.get('a')!.row.reserved_mc += 400;
      const { d } = one(op as LedgerOp, s);
      expect(member(s)).toMatchObject({ usedMc: used, heldMc: held });
      expect(d.pending.txRows[0]?.member_id).toBe('m1');
      if (op.kind === 'capture') {
        expect(d.pending.usageRows[0]?.member_id).toBe('m1');
        expect([...d.pending.memberUsage.values()][0]?.used_mc).toBe(250);
      } else expect(d.pending.memberUsage.size).toBe(0);
    }
  });
});

describe('decide: compound ops and reversals of a member', () => {
  it('a compound op’s steps are its member’s, and a refused one puts the member back as it was', () => {
    const s = withMember(500, 100);
    const compound = (charge: number): LedgerOp => ({
      kind: 'compound',
      userId: 'a',
      memberId: 'm1',
      steps: [
        { kind: 'debit', userId: 'a', amountMc: charge, type: 'usage', usage: usage(charge) },
        { kind: 'reserve', userId: 'a', reservationId: `c${charge}`, amountMc: 200, expiresAt: NOW + HOUR },
      ],
    });
    const d = decideBatch([compound(250), compound(100)], s, KEY, NOW);
    expect(d.results.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual(['member_limit_exceeded', 'ok']);
    expect(member(s)).toMatchObject({ usedMc: 200, heldMc: 200 });
    expect(d.pending.txRows.map((t) => t.member_id)).toEqual(['m1', 'm1']);
  });
  it('a reversal gives the charge back to the month it was charged in', () => {
    const s = withMember(500, 300);
    s.usages.set('um', { row: usageRow('um', 'a', 200, { member_id: 'm1', created_at: NOW - HOUR }), reversed: false });
    const { d } = one({ kind: 'reverse_usage', userId: 'a', usageId: 'um' }, s);
    expect(member(s).usedMc).toBe(100);
    expect(d.pending.usageRows[0]).toMatchObject({ member_id: 'm1', charged_mc: -200 });
    expect([...d.pending.memberUsage.values()]).toEqual([{ account_id: 'a', user_id: 'm1', month: monthOf(NOW - HOUR), used_mc: -200 }]);
  });
});

describe('decide: the limit reached', () => {
  it('is reached by spending up to the limit, or by a charge refused for it; not by spending below it', () => {
    const reaching = withMember(500, 100);
    decideBatch([debit(400)], reaching, KEY, NOW);
    expect(limitsReached(reaching).map((m) => m.userId)).toEqual(['m1']);
    const below = withMember(500, 100);
    decideBatch([debit(399)], below, KEY, NOW);
    expect(limitsReached(below)).toEqual([]);
    const refused = withMember(500, 450);
    decideBatch([debit(51)], refused, KEY, NOW);
    expect(limitsReached(refused).map((m) => m.userId)).toEqual(['m1']);
  });
});

describe('hash: the member', () => {
  it('covers the member when set, and leaves a row without one hashed as before', () => {
    const { d } = one(debit(10), withMember(null));
    const row = d.pending.txRows[0] as HashedFields & { prev_hash: string; hash: string };
    expect(hashRow(KEY, row.prev_hash, row)).toBe(row.hash);
    expect(hashRow(KEY, row.prev_hash, { ...row, member_id: 'm2' })).not.toBe(row.hash);
    const plain = { ...row, member_id: null };
    const { member_id: _, ...without } = plain;
    expect(hashRow(KEY, row.prev_hash, plain)).toBe(hashRow(KEY, row.prev_hash, without));
    expect(hashRow(KEY, row.prev_hash, plain)).not.toBe(row.hash);
  });
});
