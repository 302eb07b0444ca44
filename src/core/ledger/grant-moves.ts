/**
 * The grants' movements (migration 020): what each ledger op changed of each grant's
 * remaining credits, one row per op and grant, written with the op's ledger row. They are
 * the history the liability report reads (`?asOf=` a past day); nothing in the ledger's
 * decisions reads them back.
 */
import type { BatchState, Pending } from './batch-state.js';
import { grantsOf } from './decide-grants.js';
import type { GrantState } from './grants.js';
import type { Applied, LedgerOp } from './types.js';

export interface GrantMoveRow {
  transaction_id: string;
  grant_id: string;
  user_id: string;
  amount_mc: number;
  created_at: number;
}

/** The account whose grants an op (not a compound one) may change. */
export function opAccount(op: LedgerOp, state: BatchState): string | undefined {
  if ('userId' in op && op.userId !== undefined) return op.userId;
  if (op.kind === 'capture' || op.kind === 'release') return state.reservations.get(op.reservationId)?.row.user_id;
  return undefined;
}

/** The account's grants and their remaining credits, before an op. */
export function remainingOf(state: BatchState, userId: string): [GrantState, number][] {
  return grantsOf(state, userId).map((g) => [g, g.row.remaining_mc]);
}

/** One movement per grant whose remaining credits the op changed (a new grant: what it holds). */
export function recordMoves(
  state: BatchState,
  pending: Pending,
  userId: string,
  before: [GrantState, number][],
  applied: Applied,
  now: number,
): void {
  const was = new Map(before);
  for (const g of grantsOf(state, userId)) {
    const change = g.row.remaining_mc - (was.get(g) ?? 0);
    if (change === 0) continue;
    const transactionId = applied.transactionId ?? pending.txRows[pending.txRows.length - 1]?.id;
    if (!transactionId) throw new Error('A grant changed without a ledger row.');
    pending.grantMoves.push({ transaction_id: transactionId, grant_id: g.row.id, user_id: userId, amount_mc: change, created_at: now });
  }
}
