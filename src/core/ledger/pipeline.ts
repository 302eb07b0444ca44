/**
 * The writer's pipeline (writer.ts). On PostgreSQL, with `pipeline` 2 or more (WRITER_PIPELINE; off by default: on one machine
 * with the database it costs CPU per request and gains nothing, bench/analysis.md), batches
 * are pipelined: once a batch holds its row locks (its holds and
 * accounts, load-batch.ts), the next one starts on another pool connection: its BEGIN and
 * idempotency reads travel while the one before writes and commits. Before taking its first
 * lock it waits (here, holding no lock) until every batch before it that touches one of its
 * accounts has committed, or has finished its retries (any batch before it, when an op
 * reaches an account through a hold, usage row, grant or compound step); then it locks and
 * reads what those committed. So each account's operations apply in arrival order and its
 * hash chain (kept per account) stays whole, and a batch never reads a snapshot older than
 * its lock (load-batch.ts would read the grants again). Batches of other accounts overlap
 * fully. A batch stops before an operation naming an idempotency key, hold, usage row or
 * grant that a batch in flight names, and nothing follows a batch that repeats an
 * idempotency key (its repeats go first in the next batch). Jobs (`transaction`) run alone,
 * after the batches in flight. Other instances are kept apart by the row locks, as before.
 */
import { grantIdsOf, idemId, reservationIdsOf, usageIdsOf } from './batch-state.js';
import type { LedgerOp } from './types.js';

/** How the pipeline orders a batch's locks after those of the batches before it. */
export interface BatchHooks {
  /**
   * Called before the batch's first lock with the accounts its ops name directly; `others`:
   * some op reaches further accounts (through a hold, a usage row, a grant, a compound op's
   * steps). Resolves once no batch before it that touches them is still open.
   */
  beforeLocks?(userIds: string[], others: boolean): Promise<void>;
  /** Called once the batch holds the locks of its holds and accounts, with the accounts. */
  locked?(userIds: string[]): void;
}

/** The accounts `ops` name directly, and whether some op reaches others (see BatchHooks). */
export function namedAccounts(ops: readonly LedgerOp[]): { userIds: string[]; others: boolean } {
  const userIds = new Set<string>();
  let others = false;
  for (const op of ops) {
    if ('userId' in op && typeof op.userId === 'string') userIds.add(op.userId);
    else others = true;
    if (op.kind === 'compound' || reservationIdsOf(op).length > 0 || usageIdsOf(op).length > 0 || grantIdsOf(op).length > 0) {
      others = true;
    }
  }
  return { userIds: [...userIds], others };
}

/** A batch started and not finished. */
export interface Flight {
  /** The idempotency keys, holds, usage rows and grants its operations name. */
  ids: Set<string>;
  /** It repeats an idempotency key: no batch starts until it is done (its repeats go first in the next). */
  alone: boolean;
  /** The accounts it locked (null until it has). */
  accounts: Set<string> | null;
  /** Resolves once its transaction has committed or its operations have failed or been retried. */
  settled: Promise<void>;
  settle: () => void;
  /** Marks it done (resolves `done`). */
  finish: () => void;
  /** The batches in flight when it started: its outcome is published after theirs. Emptied when it is done. */
  before: Flight[];
  /** Resolves once it is done (its operations answered, its changes published). */
  done: Promise<void>;
}

/** What a batch's op names that another batch in flight must not (see the file's comment). */
export function namedIds(op: LedgerOp): string[] {
  const out = [
    ...reservationIdsOf(op).map((id) => `r:${id}`),
    ...usageIdsOf(op).map((id) => `u:${id}`),
    ...grantIdsOf(op).map((id) => `g:${id}`),
  ];
  const key = idemId(op);
  if (key !== null) out.push(`k:${key}`);
  return out;
}

/** A flight for `ops`, started while `before` are in flight. */
export function newFlight(ops: readonly LedgerOp[], before: Flight[]): Flight {
  let settle = () => {};
  const settled = new Promise<void>((r) => {
    settle = r;
  });
  let finish = () => {};
  const done = new Promise<void>((r) => {
    finish = r;
  });
  const flight: Flight = { ids: new Set(), alone: false, accounts: null, settled, settle, finish, before, done };
  for (const op of ops) {
    const key = idemId(op);
    if (key !== null && flight.ids.has(`k:${key}`)) flight.alone = true;
    for (const id of namedIds(op)) flight.ids.add(id);
  }
  return flight;
}

/** Whether `op` names what a batch in `flying` names (it must wait for the next batch). */
export function namesInFlight(op: LedgerOp, flying: Iterable<Flight>): boolean {
  const ids = namedIds(op);
  for (const f of flying) if (ids.some((id) => f.ids.has(id))) return true;
  return false;
}

/** The hook that holds a batch's first lock until the batches of `before` touching its accounts have settled. */
export function lockAfter(before: Flight[]): NonNullable<BatchHooks['beforeLocks']> {
  return async (userIds, others) => {
    const waits: Promise<void>[] = [];
    for (const f of before) {
      if (others || f.accounts === null || userIds.some((u) => f.accounts?.has(u))) waits.push(f.settled);
    }
    if (waits.length > 0) await Promise.all(waits);
  };
}
