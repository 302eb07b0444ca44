/**
 * What the bench's writer-only tools (no HTTP) submit and how they announce it: the metered
 * route's debit (`POST /api/messages`: a `usage` debit of 100 mc with its usage row and hourly
 * rollup) and the balance-change announcement as it was before 3 December 2026 (one autocommit
 * `select pg_notify` per 25 changes on the ordinary pool after each commit). Shared by
 * bench/capacity-worker.ts, bench/prof-pg-notify.ts and bench/prof-pg-prepared.ts so the three
 * measure the same request.
 */
import type pg from 'pg';
import type { BalanceChange } from '../src/core/ledger/types.js';
import type { LedgerWriter } from '../src/core/ledger/writer.js';

/** Submits one metered-message debit on `userId`'s account to the writer. */
export function meteredDebit(writer: LedgerWriter, userId: string) {
  return writer.submit({
    kind: 'debit',
    userId,
    amountMc: 100,
    type: 'usage',
    description: 'Message',
    usage: {
      operation: 'message',
      unit: 'per_message',
      quantityMilli: 1000,
      ruleId: null,
      ruleCreditsMc: 100,
      costMc: 100,
      metadata: { to: '+15551234567', length: 24 },
    },
  });
}

/** `n` batches of `size` debits submitted at once, each batch awaited before the next (so every batch has that size). */
export async function debitBatches(debit: () => Promise<unknown>, size: number, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.all(Array.from({ length: size }, debit));
}

/** The announcement of before 3 December 2026: one autocommit NOTIFY per 25 changes on `pool`, after each commit. */
export function announceThroughPool(writer: LedgerWriter, pool: pg.Pool | undefined, tag: string): void {
  writer.onCommit((changes: BalanceChange[]) => {
    for (let k = 0; k < changes.length; k += 25) {
      const c = changes.slice(k, k + 25);
      pool?.query('select pg_notify($1, $2)', ['credit_balance', JSON.stringify({ i: tag, c })]).catch(() => {});
    }
  });
}
