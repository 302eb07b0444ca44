import type { Database } from '../../db/open.js';
import type { TransactionLink } from '../../db/pg-pipeline.js';
import type { BalanceChange } from './types.js';

/** Keeps the last state of each account, and the available credits before the first change. */
export function mergeChanges(changes: BalanceChange[]): BalanceChange[] {
  const byUser = new Map<string, BalanceChange>();
  for (const c of changes) {
    const prev = byUser.get(c.userId);
    byUser.set(c.userId, prev ? { ...c, previousAvailableMc: prev.previousAvailableMc } : c);
  }
  return [...byUser.values()];
}

/**
 * How the writer tells the other instances about balance changes (PostgreSQL): NOTIFY on
 * `channel` with `payloads` (server/events.ts makes them), sent once the transaction that made
 * the changes has committed, never for one rolled back. Not inside that transaction: a
 * transaction that sends NOTIFY holds PostgreSQL's one notification lock from its pre-commit
 * to the end of its commit, WAL flush included, so the batches of several writers would
 * commit one at a time (bench/analysis.md, 3 December). A batch's NOTIFY goes on its own
 * connection right after its `commit` (db/pg-pipeline.ts, afterCommit), unawaited.
 */
export interface ChangeAnnouncer {
  channel: string;
  /** The payloads announcing `changes` (each under PostgreSQL's 8000 bytes). */
  payloads(changes: BalanceChange[]): string[];
  /** A NOTIFY failed (the changes are committed; the other instances do not hear of them). */
  failed(e: unknown, changes: number): void;
}

/** Announces a batch's changes: one statement whatever their number (`unnest` of the payloads). */
const NOTIFY = 'select pg_notify($1, p) from unnest($2::text[]) as p';

/**
 * PostgreSQL: NOTIFY of committed `changes` with `announcer`: on the batch's pipelined
 * connection right after its commit (`link`), else, the transaction being committed, on the pool.
 */
export function announceChanges(
  database: Database,
  announcer: ChangeAnnouncer | undefined,
  changes: BalanceChange[],
  link?: TransactionLink,
): void {
  if (!announcer || database.dialect !== 'postgres' || changes.length === 0) return;
  const values = [announcer.channel, announcer.payloads(changes)];
  const failed = (e: unknown) => announcer.failed(e, changes.length);
  if (link) link.afterCommit(NOTIFY, values, failed);
  else database.pgPool?.query(NOTIFY, values).catch(failed);
}
