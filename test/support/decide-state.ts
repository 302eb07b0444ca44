/**
 * A ledger batch's state built by hand, for the unit tests of the ledger's decisions
 * (src/core/ledger/decide*.test.ts): accounts a (1000 mc, 300 of them held by h1) and b
 * (500 mc), one op decided against it, and a refusal that must change and write nothing.
 */
import { expect } from 'vitest';
import type { AccountRow, GrantRow, GrantSource, ReservationRow, UsageRow } from '../../src/db/schema.js';
import type { BatchState } from '../../src/core/ledger/batch-state.js';
import { changedRows } from '../../src/core/ledger/batch-state.js';
import { decideBatch } from '../../src/core/ledger/decide.js';
import { GENESIS_HASH, LedgerKey } from '../../src/core/ledger/hash.js';
import type { LedgerOp, OpResult, UsageInput } from '../../src/core/ledger/types.js';

export const KEY = new LedgerKey('k'.repeat(32));
export const NOW = 1_750_000_000_000;
export const HOUR = 3_600_000;

export function accountRow(userId: string, balanceMc: number, reservedMc = 0): AccountRow {
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

export function holdRow(id: string, userId: string, amountMc: number, status: ReservationRow['status'] = 'active'): ReservationRow {
  return {
    id,
    user_id: userId,
    member_id: null,
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

export function usageRow(id: string, userId: string, chargedMc: number, extra: Partial<UsageRow> = {}): UsageRow {
  return {
    id,
    user_id: userId,
    member_id: null,
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

export function grantRow(id: string, userId: string, source: GrantSource, mc: number, extra: Partial<GrantRow> = {}): GrantRow {
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
export function state(): BatchState {
  const s: BatchState = {
    stored: new Map(),
    accounts: new Map(),
    reservations: new Map(),
    usages: new Map(),
    grants: new Map(),
    allocations: new Map(),
    allocationsLoaded: new Set(['a', 'b']),
    allocationRows: [],
    members: new Map(),
    month: '2025-06',
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

export const usage = (costMc: number): UsageInput => ({
  operation: 'message',
  unit: 'per_message',
  quantityMilli: 1000,
  ruleId: 'rule-1',
  ruleCreditsMc: 100,
  costMc,
});

/** Decides one op; returns its result, the state after and what would be written. */
export function one(op: LedgerOp, s = state()) {
  const before = JSON.stringify([...s.accounts.values(), ...s.reservations.values(), ...s.usages.values()]);
  const d = decideBatch([op], s, KEY, NOW);
  const r = d.results[0] as OpResult;
  const after = JSON.stringify([...s.accounts.values(), ...s.reservations.values(), ...s.usages.values()]);
  return { r, s, d, unchanged: before === after, a: s.accounts.get('a')?.row as AccountRow, b: s.accounts.get('b')?.row as AccountRow };
}

export function applied(r: OpResult) {
  if (!r.ok) throw new Error(`refused: ${r.error.code} ${r.error.message}`);
  return r.value;
}

/** A refusal with `code`, which changed nothing and writes nothing. */
export function expectRefused(op: LedgerOp, code: string, s = state()) {
  const { r, d, unchanged } = one(op, s);
  expect(r.ok).toBe(false);
  if (!r.ok) expect(r.error.code).toBe(code);
  expect(unchanged).toBe(true);
  expect(d.pending.txRows).toEqual([]);
  expect(d.pending.usageRows).toEqual([]);
  expect(d.pending.idemRows).toEqual([]);
  expect(d.pending.memberUsage.size).toBe(0);
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
