/**
 * The ledger's decisions without a database: each op decided against a state built by
 * hand, what it changes in that state, the rows it would write, and every refusal (which
 * must change nothing and write nothing).
 */
import { describe, expect, it } from 'vitest';
import type { AccountRow, GrantRow, GrantSource, ReservationRow, UsageRow } from '../../db/schema.js';
import type { BatchState } from './batch-state.js';
import { changedRows } from './batch-state.js';
import { USAGE_REVERSAL_REF, decideBatch } from './decide.js';
import { GENESIS_HASH, LedgerKey, hashRow } from './hash.js';
import type { LedgerOp, OpResult, UsageInput } from './types.js';

const KEY = new LedgerKey('k'.repeat(32));
const NOW = 1_750_000_000_000;
const HOUR = 3_600_000;

function accountRow(userId: string, balanceMc: number, reservedMc = 0): AccountRow {
  return {
    user_id: userId,
    balance_mc: balanceMc,
    reserved_mc: reservedMc,
    available_mc: balanceMc - reservedMc,
    lifetime_purchased_mc: balanceMc,
    lifetime_used_mc: 0,
    seq: 0,
    last_hash: GENESIS_HASH,
    updated_at: 0,
  };
}

function holdRow(id: string, userId: string, amountMc: number, status: ReservationRow['status'] = 'active'): ReservationRow {
  return {
    id,
    user_id: userId,
    amount_mc: amountMc,
    captured_mc: 0,
    status,
    operation: null,
    unit: null,
    rule_id: null,
    rule_credits_mc: null,
    forced: 0,
    description: 'Hold',
    metadata: null,
    expires_at: NOW + HOUR,
    created_at: NOW - 1000,
    settled_at: null,
  };
}

function usageRow(id: string, userId: string, chargedMc: number, extra: Partial<UsageRow> = {}): UsageRow {
  return {
    id,
    user_id: userId,
    operation: 'message',
    unit: 'per_message',
    quantity_milli: 2000,
    cost_mc: chargedMc,
    charged_mc: chargedMc,
    rule_id: 'rule-1',
    rule_credits_mc: 100,
    bypass: 0,
    transaction_id: 'tx-0',
    reservation_id: null,
    metadata: null,
    created_at: NOW - 2 * HOUR - 5,
    reverses_id: null,
    ...extra,
  };
}

function grantRow(id: string, userId: string, source: GrantSource, mc: number, extra: Partial<GrantRow> = {}): GrantRow {
  return {
    id,
    user_id: userId,
    source,
    credits_mc: mc,
    remaining_mc: mc,
    reserved_mc: 0,
    expired_mc: 0,
    value_cents: 0,
    payment_id: null,
    transaction_id: null,
    expires_at: null,
    expired_at: null,
    created_at: NOW - HOUR,
    ...extra,
  };
}

/** Accounts a (1000 mc, 300 of them held by h1) and b (500 mc); a's usage u1 charged 200. */
function state(): BatchState {
  const s: BatchState = {
    stored: new Map(),
    accounts: new Map(),
    reservations: new Map(),
    usages: new Map(),
    grants: new Map(),
    allocations: new Map(),
    allocationsLoaded: new Set(['a', 'b']),
    allocationRows: [],
  };
  // a's credits are one purchase, 300 of them reserved by h1; b's one purchase.
  s.grants.set('a', [{ row: grantRow('ga', 'a', 'purchase', 1000, { reserved_mc: 300 }), isNew: false, dirty: false }]);
  s.grants.set('b', [{ row: grantRow('gb', 'b', 'purchase', 500), isNew: false, dirty: false }]);
  const h1 = { reservationId: 'h1', grantId: 'ga', userId: 'a', amountMc: 300, isNew: false, dirty: false };
  s.allocations.set('h1', [h1]);
  s.allocationRows.push(h1);
  for (const [id, bal, res] of [
    ['a', 1000, 300],
    ['b', 500, 0],
  ] as const) {
    s.accounts.set(id, { row: accountRow(id, bal, res), startAvailableMc: bal - res, dirty: false });
  }
  s.reservations.set('h1', { row: holdRow('h1', 'a', 300), isNew: false, dirty: false });
  s.reservations.set('h-done', { row: holdRow('h-done', 'a', 0, 'captured'), isNew: false, dirty: false });
  s.usages.set('u1', { row: usageRow('u1', 'a', 200), reversed: false });
  return s;
}

const usage = (costMc: number): UsageInput => ({
  operation: 'message',
  unit: 'per_message',
  quantityMilli: 1000,
  ruleId: 'rule-1',
  ruleCreditsMc: 100,
  costMc,
});

/** Decides one op; returns its result, the state after and what would be written. */
function one(op: LedgerOp, s = state()) {
  const before = JSON.stringify([...s.accounts.values(), ...s.reservations.values(), ...s.usages.values()]);
  const d = decideBatch([op], s, KEY, NOW);
  const r = d.results[0] as OpResult;
  const after = JSON.stringify([...s.accounts.values(), ...s.reservations.values(), ...s.usages.values()]);
  return { r, s, d, unchanged: before === after, a: s.accounts.get('a')?.row as AccountRow, b: s.accounts.get('b')?.row as AccountRow };
}

function applied(r: OpResult) {
  if (!r.ok) throw new Error(`refused: ${r.error.code} ${r.error.message}`);
  return r.value;
}

/** A refusal with `code`, which changed nothing and writes nothing. */
function expectRefused(op: LedgerOp, code: string, s = state()) {
  const { r, d, unchanged } = one(op, s);
  expect(r.ok).toBe(false);
  if (!r.ok) expect(r.error.code).toBe(code);
  expect(unchanged).toBe(true);
  expect(d.pending.txRows).toEqual([]);
  expect(d.pending.usageRows).toEqual([]);
  expect(d.pending.idemRows).toEqual([]);
  expect(changedRows(s)).toEqual({
    accounts: [],
    newHolds: [],
    settledHolds: [],
    newGrants: [],
    changedGrants: [],
    newAllocations: [],
    changedAllocations: [],
  });
}

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
