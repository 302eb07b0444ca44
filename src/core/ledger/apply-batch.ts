/**
 * Applies a batch of ledger operations inside one open transaction, in four steps:
 *
 * 1. load-batch.ts reads and locks what the batch touches (its accounts, holds, the usage
 *    rows it reverses, the stored outcomes of its idempotency keys);
 * 2. decide.ts decides every operation in arrival order against that in-memory state,
 *    without the database (each succeeds or is refused on its own; a refused one writes
 *    nothing);
 * 3. write-postgres.ts (one statement) or write-sqlite.ts (prepared statements on the raw
 *    connection) writes the outcome, whatever the batch size, so a batch on Postgres costs
 *    four round trips: begin, lock, write, commit (two on the writer's pipelined connection,
 *    db/pg-pipeline.ts: begin with the lock, the write with commit, when nothing follows it);
 * 4. the effects of the operations that have them run in the same transaction, after
 *    their ledger rows exist, and their idempotency records are stored with what they
 *    returned.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/open.js';
import type { DB } from '../../db/schema.js';
import type { TransactionLink } from '../../db/pg-pipeline.js';
import { changedRows } from './batch-state.js';
import { emitEvent } from '../events/emit-event.js';
import { decideBatch } from './decide.js';
import { limitsReached } from './decide-members.js';
import { raiseLimitsReached } from './member-limit-reached.js';
import type { LedgerKey } from './hash.js';
import { loadBatch } from './load-batch.js';
import { replayLateDuplicates } from './late-duplicates.js';
import type { BatchHooks } from './pipeline.js';
import type { BalanceChange, OpResult, LedgerOp } from './types.js';
import { writePostgres } from './write-postgres.js';
import { writeSqlite } from './write-sqlite.js';

export interface BatchOutcome {
  results: OpResult[];
  changes: BalanceChange[];
  /** Ops that repeat an idempotency key earlier in the same batch: run them in the next one. */
  deferred: number[];
}

/**
 * Where the batch is written: the dialect and, on SQLite, the raw connection under the
 * transaction; on PostgreSQL's pipelined writer connection (db/pg-pipeline.ts), `link`
 * writes the batch's last statement ahead of `commit`.
 */
export type BatchTarget = Pick<Database, 'dialect' | 'sqlite'> & { link?: TransactionLink };

/**
 * Applies `ops` in order inside `trx` (an open transaction on `target`). Unexpected errors throw.
 * `hooks` order its locks after those of the batches before it (the writer's pipeline, load-batch.ts).
 */
export async function applyBatch(
  trx: Kysely<DB>,
  target: BatchTarget,
  key: LedgerKey,
  ops: LedgerOp[],
  now: number,
  hooks?: BatchHooks,
): Promise<BatchOutcome> {
  const state = await loadBatch({ trx, dialect: target.dialect, sqlite: target.sqlite }, ops, now, hooks);
  const { results, deferred, withEffects, pending } = decideBatch(ops, state, key, now);
  // On PostgreSQL a refused op's key is read again under the locks: the same request applied by
  // another instance meanwhile replays (SQLite's batches run one at a time: nothing to see).
  if (target.dialect === 'postgres') await replayLateDuplicates({ trx, dialect: target.dialect }, ops, results, state);

  const rows = changedRows(state);
  // Members whose monthly limit this batch reached: member.limit_reached and their alerts, once per crossing.
  const reached = limitsReached(state);
  if (target.dialect === 'postgres') {
    // Nothing after the write reads or writes: it goes out with `commit` (pg-pipeline.ts).
    const last = pending.events.length === 0 && reached.length === 0 && withEffects.length === 0;
    await writePostgres(trx, pending, rows, now, last ? target.link : undefined);
  } else if (target.sqlite) writeSqlite(target.sqlite, pending, rows, now);
  else throw new Error('A SQLite database without its raw connection cannot take ledger writes.');

  // The grants' events (credits.granted, credits.expired), in the batch's transaction.
  for (const e of pending.events) await emitEvent(trx, { type: e.type, accountId: e.accountId, data: e.data }, now);
  if (reached.length > 0) await raiseLimitsReached(trx, reached, state.month, now);

  for (const { index, op, applied } of withEffects) {
    applied.effects = await op.effects?.(trx, applied);
    if (op.idem) {
      if (op.idem.reply) applied.reply = op.idem.reply(applied);
      await trx
        .insertInto('idempotency_keys')
        .values({
          id: `${op.idem.scope}:${op.idem.key}`,
          fingerprint: op.idem.fingerprint,
          result: JSON.stringify(applied),
          created_at: now,
        })
        .execute();
    }
    results[index] = { ok: true, value: applied };
  }

  const changes: BalanceChange[] = [];
  for (const a of state.accounts.values()) {
    if (!a.dirty) continue;
    changes.push({
      userId: a.row.user_id,
      balanceMc: a.row.balance_mc,
      reservedMc: a.row.reserved_mc,
      availableMc: a.row.balance_mc - a.row.reserved_mc,
      lifetimePurchasedMc: a.row.lifetime_purchased_mc,
      lifetimeUsedMc: a.row.lifetime_used_mc,
      previousAvailableMc: a.startAvailableMc,
    });
  }
  return { results, changes, deferred };
}
