/**
 * The grants' movements (migration 020): what each ledger op changed of each grant's
 * remaining credits, one row per op and grant, written with the op's ledger row. They are
 * the history the liability report reads (`?asOf=` a past day); nothing in the ledger's
 * decisions reads them back. Each change is noted where it is made (grants.ts `moved`, into
 * `Pending.moved`); the op's rows are made from those notes once it is decided.
 */
import type { BatchState, Pending } from './batch-state.js';
import { grantsOf } from './decide-grants.js';
import type { GrantState } from './grants.js';
import type { Applied } from './types.js';

export interface GrantMoveRow {
  transaction_id: string;
  grant_id: string;
  user_id: string;
  amount_mc: number;
  created_at: number;
}

/**
 * One movement per grant whose remaining credits the op changed (a new grant: what it holds),
 * in the order of the account's grants, under the op's ledger row (or the last row it wrote).
 */
export function recordMoves(state: BatchState, pending: Pending, applied: Applied, now: number): void {
  const moves = pending.moved;
  if (moves.size === 0) return;
  let changed: [GrantState, number][] = [];
  for (const e of moves) if (e[1] !== 0) changed.push(e);
  moves.clear();
  if (changed.length === 0) return;
  if (changed.length > 1) {
    const list = grantsOf(state, (changed[0] as [GrantState, number])[0].row.user_id);
    changed = changed
      .map((e) => [e, list.indexOf(e[0])] as const)
      .sort((x, y) => x[1] - y[1])
      .map((x) => x[0]);
  }
  const transactionId = applied.transactionId ?? pending.txRows[pending.txRows.length - 1]?.id;
  if (!transactionId) throw new Error('A grant changed without a ledger row.');
  for (const [g, change] of changed) {
    pending.grantMoves.push({
      transaction_id: transactionId,
      grant_id: g.row.id,
      user_id: g.row.user_id,
      amount_mc: change,
      created_at: now,
    });
  }
}
