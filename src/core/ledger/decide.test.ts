/**
 * The ledger's decisions without a database: each op decided against a state built by
 * hand (test/support/decide-state.ts), what it changes in that state, the rows it would
 * write, and every refusal (which must change nothing and write nothing). The holds' ops
 * are in decide-holds.test.ts, the grants in decide-grants.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { AccountRow, UsageRow } from '../../db/schema.js';
import { HOUR, KEY, NOW, applied, expectRefused, holdRow, one, state, usage, usageRow } from '../../../test/support/decide-state.js';
import { changedRows } from './batch-state.js';
import { USAGE_REVERSAL_REF, decideBatch } from './decide.js';
import { GENESIS_HASH, hashRow } from './hash.js';
import type { LedgerOp, OpResult } from './types.js';

describe('decide: credit', () => {
  it('adds credits, counts purchases in lifetime purchased, and posts a hashed row chained from the head', () => {
    const { r, a, d } = one({ kind: 'credit', userId: 'a', amountMc: 250, type: 'purchase' });
    const v = applied(r);
    expect(v).toMatchObject({ amountMc: 250, balanceMc: 1250, reservedMc: 300, availableMc: 950, replayed: false });
    expect(a).toMatchObject({ balance_mc: 1250, lifetime_purchased_mc: 1250, seq: 1 });
    const [tx] = d.pending.txRows;
    expect(tx).toMatchObject({
      id: v.transactionId,
      seq: 1,
      type: 'purchase',
      amount_mc: 250,
      balance_after_mc: 1250,
      description: 'Credit purchase',
      prev_hash: GENESIS_HASH,
    });
    expect(tx?.hash).toBe(hashRow(KEY, GENESIS_HASH, tx as never));
    expect(a.last_hash).toBe(tx?.hash);
  });
  it('does not count an adjustment or a sign-up bonus as purchased', () => {
    expect(one({ kind: 'credit', userId: 'a', amountMc: 5, type: 'adjustment' }).a.lifetime_purchased_mc).toBe(1000);
    expect(one({ kind: 'credit', userId: 'a', amountMc: 5, type: 'signup_bonus' }).a.lifetime_purchased_mc).toBe(1000);
  });
  it('refuses nothing, a fraction, a negative amount and an unknown account', () => {
    expectRefused({ kind: 'credit', userId: 'a', amountMc: 0, type: 'purchase' }, 'validation_error');
    expectRefused({ kind: 'credit', userId: 'a', amountMc: 1.5, type: 'purchase' }, 'validation_error');
    expectRefused({ kind: 'credit', userId: 'a', amountMc: -1, type: 'purchase' }, 'validation_error');
    expectRefused({ kind: 'credit', userId: 'nobody', amountMc: 1, type: 'purchase' }, 'not_found');
  });
});

describe('decide: debit', () => {
  it('takes available credits, with its usage row and rollup in the hour', () => {
    const { r, a, d } = one({ kind: 'debit', userId: 'a', amountMc: 700, type: 'usage', usage: usage(700) });
    const v = applied(r);
    expect(v).toMatchObject({ amountMc: -700, balanceMc: 300, availableMc: 0 });
    expect(a.lifetime_used_mc).toBe(700);
    expect(d.pending.usageRows).toEqual([
      expect.objectContaining({ id: v.usageId, charged_mc: 700, transaction_id: v.transactionId, bypass: 0, reverses_id: null }),
    ]);
    expect([...d.pending.rollups.values()]).toEqual([
      {
        user_id: 'a',
        bucket: NOW - (NOW % HOUR),
        operation: 'message',
        unit: 'per_message',
        credits_mc: 700,
        operations: 1,
        quantity_milli: 1000,
      },
    ]);
  });
  it('an adjustment is not usage', () => {
    const { a, d } = one({ kind: 'debit', userId: 'a', amountMc: 10, type: 'adjustment' });
    expect(a.lifetime_used_mc).toBe(0);
    expect(d.pending.usageRows).toEqual([]);
  });
  it('refuses more than available (held credits are not available), usage without its record, and a negative amount', () => {
    expectRefused({ kind: 'debit', userId: 'a', amountMc: 701, type: 'usage', usage: usage(701) }, 'insufficient_credits');
    expectRefused({ kind: 'debit', userId: 'a', amountMc: 1, type: 'usage' }, 'validation_error');
    expectRefused({ kind: 'debit', userId: 'a', amountMc: -5, type: 'adjustment' }, 'validation_error');
  });
  it('refuses even a free charge when available is below zero', () => {
    const s = state();
    (s.accounts.get('b') as { row: AccountRow }).row.balance_mc = -10;
    expectRefused({ kind: 'debit', userId: 'b', amountMc: 0, type: 'adjustment' }, 'insufficient_credits', s);
  });
});

describe('decide: clawback', () => {
  it('takes credits back below zero', () => {
    const { r, b } = one({ kind: 'clawback', userId: 'b', amountMc: 800, type: 'refund' });
    expect(applied(r)).toMatchObject({ amountMc: -800, balanceMc: -300, availableMc: -300 });
    expect(b.lifetime_purchased_mc).toBe(500);
  });
  it('refuses nothing', () => {
    expectRefused({ kind: 'clawback', userId: 'b', amountMc: 0, type: 'refund' }, 'validation_error');
  });
});

describe('decide: record_usage', () => {
  it('records bypassed usage as a usage row of amount 0 that says what it would have cost, and charges nothing', () => {
    const { r, a, d } = one({ kind: 'record_usage', userId: 'a', usage: usage(900) });
    const out = applied(r);
    expect(out).toMatchObject({ amountMc: 0, chargedMc: 0, balanceMc: 1000 });
    expect(a.seq).toBe(1);
    expect(a.lifetime_used_mc).toBe(0);
    expect(d.pending.txRows).toHaveLength(1);
    const row = d.pending.txRows[0];
    expect(row).toMatchObject({ id: out.transactionId, type: 'usage', amount_mc: 0, reserved_change_mc: 0, balance_after_mc: 1000 });
    expect(JSON.parse(row?.metadata ?? '{}')).toMatchObject({ wouldHaveCost: 0.9 });
    expect(d.pending.usageRows[0]).toMatchObject({ bypass: 1, charged_mc: 0, cost_mc: 900, transaction_id: out.transactionId });
  });
  it('refuses an unknown account', () => {
    expectRefused({ kind: 'record_usage', userId: 'nobody', usage: usage(1) }, 'not_found');
  });
});

describe('decide: reverse_usage', () => {
  it('gives the charge back and negates the usage row in the original’s hour', () => {
    const { r, s, a, d } = one({ kind: 'reverse_usage', userId: 'a', usageId: 'u1' });
    expect(applied(r)).toMatchObject({ amountMc: 200, chargedMc: -200, balanceMc: 1200 });
    expect(a.lifetime_used_mc).toBe(-200);
    expect(d.pending.txRows[0]).toMatchObject({ type: 'adjustment', reference_type: USAGE_REVERSAL_REF, reference_id: 'u1' });
    const original = s.usages.get('u1')?.row as UsageRow;
    expect(d.pending.usageRows[0]).toMatchObject({
      reverses_id: 'u1',
      charged_mc: -200,
      quantity_milli: -2000,
      cost_mc: -200,
      created_at: original.created_at,
    });
    expect([...d.pending.rollups.values()][0]).toMatchObject({
      bucket: original.created_at - (original.created_at % HOUR),
      operations: -1,
      credits_mc: -200,
    });
    expect(s.usages.get('u1')?.reversed).toBe(true);
  });
  it('a bypassed or free usage is reversed without a ledger row', () => {
    const s = state();
    s.usages.set('u2', { row: usageRow('u2', 'a', 0, { bypass: 1, transaction_id: null }), reversed: false });
    const { r, d } = one({ kind: 'reverse_usage', userId: 'a', usageId: 'u2' }, s);
    expect(applied(r).transactionId).toBeNull();
    expect(d.pending.txRows).toEqual([]);
    expect(d.pending.usageRows[0]).toMatchObject({ reverses_id: 'u2', bypass: 1 });
  });
  it('refuses an unknown or another account’s usage, a reversal, and a second reversal', () => {
    expectRefused({ kind: 'reverse_usage', userId: 'a', usageId: 'nope' }, 'not_found');
    expectRefused({ kind: 'reverse_usage', userId: 'b', usageId: 'u1' }, 'not_found');
    const s = state();
    s.usages.set('r1', { row: usageRow('r1', 'a', -200, { reverses_id: 'u0' }), reversed: false });
    expectRefused({ kind: 'reverse_usage', userId: 'a', usageId: 'r1' }, 'validation_error', s);
    const done = state();
    (done.usages.get('u1') as { reversed: boolean }).reversed = true;
    expectRefused({ kind: 'reverse_usage', userId: 'a', usageId: 'u1' }, 'conflict', done);
  });
});

describe('decide: compound', () => {
  it('applies every step together', () => {
    const { r, a, d } = one({
      kind: 'compound',
      userId: 'a',
      steps: [
        { kind: 'debit', userId: 'a', amountMc: 100, type: 'usage', usage: usage(100) },
        { kind: 'reserve', userId: 'a', reservationId: 'h2', amountMc: 200, expiresAt: NOW + HOUR },
      ],
    });
    const v = applied(r);
    expect(v.steps).toHaveLength(2);
    expect(v).toMatchObject({
      amountMc: -100,
      reservedChangeMc: 200,
      balanceMc: 900,
      reservedMc: 500,
      transactionId: v.steps?.[0]?.transactionId,
    });
    expect(a.seq).toBe(2);
    expect(d.pending.txRows.map((t) => t.seq)).toEqual([1, 2]);
    expect(d.pending.txRows[1]?.prev_hash).toBe(d.pending.txRows[0]?.hash);
  });
  it('a refused step undoes the steps before it: account, holds and reversals as they were', () => {
    expectRefused(
      {
        kind: 'compound',
        userId: 'a',
        steps: [
          { kind: 'reverse_usage', userId: 'a', usageId: 'u1' },
          { kind: 'release', reservationId: 'h1', reason: 'released' },
          { kind: 'reserve', userId: 'a', reservationId: 'h2', amountMc: 100, expiresAt: NOW + HOUR },
          { kind: 'debit', userId: 'a', amountMc: 5000, type: 'adjustment' },
        ],
      },
      'insufficient_credits',
    );
  });
  it('refuses a step on another account, and settling another account’s hold', () => {
    expectRefused(
      { kind: 'compound', userId: 'a', steps: [{ kind: 'credit', userId: 'b', amountMc: 1, type: 'bonus' }] },
      'validation_error',
    );
    const s = state();
    s.reservations.set('hb', { row: holdRow('hb', 'b', 0), isNew: false, dirty: false });
    expectRefused({ kind: 'compound', userId: 'a', steps: [{ kind: 'release', reservationId: 'hb', reason: 'released' }] }, 'not_found', s);
  });
});

describe('decide: a batch', () => {
  const idem = (key: string, fingerprint = 'f1') => ({ scope: 'a', key, fingerprint });
  it('decides in arrival order: a later op sees what an earlier one did', () => {
    const s = state();
    const d = decideBatch(
      [
        { kind: 'debit', userId: 'a', amountMc: 600, type: 'adjustment' },
        { kind: 'debit', userId: 'a', amountMc: 600, type: 'adjustment' },
        { kind: 'credit', userId: 'a', amountMc: 1, type: 'bonus' },
      ],
      s,
      KEY,
      NOW,
    );
    expect(d.results.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual(['ok', 'insufficient_credits', 'ok']);
    expect(d.pending.txRows.map((t) => t.seq)).toEqual([1, 2]);
    expect(s.accounts.get('a')).toMatchObject({ startAvailableMc: 700, dirty: true });
    expect(changedRows(s).accounts.map((x) => x.user_id)).toEqual(['a']);
  });
  it('replays a stored key, refuses it with another fingerprint, and stores a new one with its reply', () => {
    const s = state();
    s.stored.set('a:k1', { fingerprint: 'f1', result: JSON.stringify({ userId: 'a', amountMc: 42, transactionId: 't-old' }) });
    const d = decideBatch(
      [
        { kind: 'credit', userId: 'a', amountMc: 1, type: 'bonus', idem: idem('k1') },
        { kind: 'credit', userId: 'a', amountMc: 1, type: 'bonus', idem: idem('k1', 'other') },
        {
          kind: 'credit',
          userId: 'a',
          amountMc: 7,
          type: 'bonus',
          idem: { ...idem('k2'), reply: (o) => ({ status: 201, amount: o.amountMc }) },
        },
      ],
      s,
      KEY,
      NOW,
    );
    expect(d.results[0]).toEqual({ ok: true, value: { userId: 'a', amountMc: 42, transactionId: 't-old', replayed: true } });
    expect(d.results[1]?.ok === false && d.results[1].error.code).toBe('idempotency_conflict');
    const v = applied(d.results[2] as OpResult);
    expect(v.reply).toEqual({ status: 201, amount: 7 });
    expect(d.pending.idemRows).toEqual([{ id: 'a:k2', fingerprint: 'f1', result: JSON.stringify(v), created_at: NOW }]);
    expect(d.pending.txRows).toHaveLength(1);
  });
  it('defers a key repeated in the batch, and frees the key of a refused op', () => {
    const d = decideBatch(
      [
        { kind: 'credit', userId: 'a', amountMc: 1, type: 'bonus', idem: idem('k') },
        { kind: 'credit', userId: 'a', amountMc: 1, type: 'bonus', idem: idem('k') },
        { kind: 'debit', userId: 'b', amountMc: 9999, type: 'adjustment', idem: { scope: 'b', key: 'k', fingerprint: 'f' } },
        { kind: 'debit', userId: 'b', amountMc: 1, type: 'adjustment', idem: { scope: 'b', key: 'k', fingerprint: 'f' } },
      ],
      state(),
      KEY,
      NOW,
    );
    expect(d.deferred).toEqual([1]);
    expect(d.results[2]?.ok).toBe(false);
    expect(d.results[3]?.ok).toBe(true);
    expect(d.pending.idemRows.map((r) => r.id)).toEqual(['a:k', 'b:k']);
  });
  it('an op with effects is handed back to run them; its key is stored after them, not here', () => {
    const op: LedgerOp = { kind: 'credit', userId: 'a', amountMc: 1, type: 'bonus', idem: idem('k'), effects: async () => 'done' };
    const d = decideBatch([op], state(), KEY, NOW);
    expect(d.withEffects).toEqual([{ index: 0, op, applied: applied(d.results[0] as OpResult) }]);
    expect(d.pending.idemRows).toEqual([]);
  });
  it('an unexpected error is thrown, not a refusal', () => {
    expect(() =>
      decideBatch(
        [
          {
            kind: 'reserve',
            userId: 'a',
            reservationId: 'h9',
            amountMc: 10,
            expiresAt: 0,
            shrink: () => {
              throw new TypeError('bug');
            },
          },
        ],
        state(),
        KEY,
        NOW,
      ),
    ).toThrow(TypeError);
  });
});
