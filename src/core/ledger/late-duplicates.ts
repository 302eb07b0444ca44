/**
 * A request repeated on two instances at once (the same Idempotency-Key): both batches read
 * the key before taking their locks and found nothing; the first commits, and the second,
 * deciding after it, may be refused by what the first did (a hold already captured: 409
 * `conflict`) instead of replaying it. API.md: a duplicate that arrives while the first runs
 * waits for it and replays it, or is 409 `idempotency_conflict`.
 *
 * So on PostgreSQL an op with a key that was refused reads its key again once the batch holds
 * its locks (read committed: it sees what committed before): stored, the op replays the stored
 * outcome (or, for another request under that key, is idempotency_conflict). Only refusals pay
 * for the read; an op that applied could not have run twice (the key's unique row would have
 * refused the second commit, which the writer retries, and the retry replays).
 */
import { DomainError } from '../errors.js';
import { storedOutcome } from './decide.js';
import { type BatchState, idemId } from './batch-state.js';
import { storedKeys } from './load-batch.js';
import { type ReadScope, parts } from './load-parts.js';
import type { LedgerOp, OpResult } from './types.js';

export async function replayLateDuplicates(
  scope: ReadScope,
  ops: readonly LedgerOp[],
  results: OpResult[],
  state: BatchState,
): Promise<void> {
  const late = new Map<string, number[]>();
  ops.forEach((op, i) => {
    const kid = idemId(op);
    const r = results[i];
    if (!kid || !r || r.ok || state.stored.has(kid)) return;
    if (r.error instanceof DomainError && r.error.code === 'idempotency_conflict') return;
    late.set(kid, [...(late.get(kid) ?? []), i]);
  });
  if (late.size === 0) return;
  for (const part of parts(scope.dialect, [...late.keys()])) {
    for (const prior of await storedKeys(scope, part)) {
      for (const i of late.get(prior.id) ?? []) {
        results[i] = storedOutcome(prior, ops[i] as LedgerOp);
      }
    }
  }
}
