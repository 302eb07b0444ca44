/**
 * A batch's rollups (Pending.addRollup): one row per account, hour, operation and unit,
 * whatever order the usage comes in (the last row added to is remembered, not trusted), and
 * a compound op's rollups merged in as if added one by one.
 */
import { describe, expect, it } from 'vitest';
import { Pending } from './batch-state.js';
import { LedgerKey } from './hash.js';

const key = new LedgerKey('k'.repeat(32));
const rows = (p: Pending) => [...p.rollups.values()].map((r) => ({ ...r }));

describe('a batch’s rollups', () => {
  it('adds to the row of its key however the keys alternate', () => {
    const p = new Pending(key);
    p.addRollup('u1', 0, 'message', 'per_message', 1000, 1, 1000);
    p.addRollup('u1', 0, 'message', 'per_minute', 5, 1, 60_000);
    p.addRollup('u1', 0, 'message', 'per_message', 1000, 1, 1000);
    p.addRollup('u2', 0, 'message', 'per_message', 7, 1, 1000);
    p.addRollup('u1', 3_600_000, 'message', 'per_message', 1, 1, 1000);
    p.addRollup('u1', 0, 'message', 'per_message', -1000, -1, -1000);
    expect(rows(p)).toEqual([
      { user_id: 'u1', bucket: 0, operation: 'message', unit: 'per_message', credits_mc: 1000, operations: 1, quantity_milli: 1000 },
      { user_id: 'u1', bucket: 0, operation: 'message', unit: 'per_minute', credits_mc: 5, operations: 1, quantity_milli: 60_000 },
      { user_id: 'u2', bucket: 0, operation: 'message', unit: 'per_message', credits_mc: 7, operations: 1, quantity_milli: 1000 },
      { user_id: 'u1', bucket: 3_600_000, operation: 'message', unit: 'per_message', credits_mc: 1, operations: 1, quantity_milli: 1000 },
    ]);
  });

  it('merges a compound op’s rollups into the rows of the same keys', () => {
    const p = new Pending(key);
    p.addRollup('u1', 0, 'call', 'per_minute', 10, 1, 60_000);
    const step = new Pending(key);
    step.addRollup('u1', 0, 'call', 'per_minute', 20, 1, 120_000);
    step.addRollup('u1', 0, 'call', 'per_call', 3, 1, 1000);
    p.merge(step);
    p.addRollup('u1', 0, 'call', 'per_call', 3, 1, 1000);
    expect(rows(p)).toEqual([
      { user_id: 'u1', bucket: 0, operation: 'call', unit: 'per_minute', credits_mc: 30, operations: 2, quantity_milli: 180_000 },
      { user_id: 'u1', bucket: 0, operation: 'call', unit: 'per_call', credits_mc: 6, operations: 2, quantity_milli: 2000 },
    ]);
    expect(rows(step)).toEqual([
      { user_id: 'u1', bucket: 0, operation: 'call', unit: 'per_minute', credits_mc: 20, operations: 1, quantity_milli: 120_000 },
      { user_id: 'u1', bucket: 0, operation: 'call', unit: 'per_call', credits_mc: 3, operations: 1, quantity_milli: 1000 },
    ]);
  });
});
