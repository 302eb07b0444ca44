/**
 * The writer: group commit for the ledger.
 *
 * Every balance change of this process goes through one queue. While a batch is being
 * committed, new operations wait; the next batch takes all of them (up to `maxBatch`)
 * and applies them in one database transaction, each still succeeding or failing on
 * its own, in arrival order. Under load this turns N commits into one, which is where
 * the throughput comes from; when idle, an operation is committed at once.
 *
 * If a batch fails as a whole (an unexpected error, another instance racing for the same
 * idempotency key), its operations are retried one transaction each, so a single bad
 * operation fails alone. A lost connection is not re-run (its COMMIT may have landed):
 * every operation of the batch fails with it (runBatch).
 *
 * On PostgreSQL a batch runs on the writer's connections in pg's pipeline mode, two round
 * trips instead of four (db/pg-pipeline.ts); with `pipeline` 2 or more (WRITER_PIPELINE;
 * off by default), batches are pipelined: how they are kept in order is in pipeline.ts.
 * SQLite has one connection: one batch at a time.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/open.js';
import type { TransactionLink } from '../../db/pg-pipeline.js';
import type { DB } from '../../db/schema.js';
import { isConnectionError, isTransientConflict } from '../../db/errors.js';
import { exclusiveTransaction } from '../../db/transaction.js';
import { DomainError } from '../errors.js';
import { applyBatch } from './apply-batch.js';
import { type BatchHooks, type Flight, lockAfter, namesInFlight, newFlight } from './pipeline.js';
import type { LedgerKey } from './hash.js';
import type { Applied, BalanceChange, LedgerOp } from './types.js';
import { announceChanges, type ChangeAnnouncer, mergeChanges } from './balance-changes.js';
import type { Item, JobItem, OpItem, TransactionScope, WriterOptions, WriterStats } from './writer-types.js';

export type { ChangeAnnouncer } from './balance-changes.js';
export type { TransactionScope, WriterOptions, WriterStats } from './writer-types.js';

export class LedgerWriter {
  private queue: Item[] = [];
  private running = false;
  /** Batches started and not finished (at most `depth`). */
  private readonly flying = new Set<Flight>();
  /** Wakes the loop waiting for an arrival or a batch's end. */
  private wake: (() => void) | null = null;
  private readonly depth: number;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  private listeners: ((changes: BalanceChange[]) => void)[] = [];
  private announcer: ChangeAnnouncer | undefined;
  private batchListeners: ((size: number, ms: number) => void)[] = [];
  readonly stats: WriterStats = { batches: 0, ops: 0, lastBatchSize: 0, pipelined: 0 };
  private readonly maxBatch: number;
  private readonly maxQueue: number;
  private readonly now: () => number;
  private readonly key: LedgerKey;

  constructor(
    private readonly database: Database,
    opts: WriterOptions,
  ) {
    this.key = opts.ledgerKey;
    this.maxBatch = opts.maxBatch ?? 500;
    this.maxQueue = opts.maxQueue ?? 50_000;
    this.now = opts.now ?? Date.now;
    this.depth = database.dialect === 'postgres' ? Math.max(1, opts.pipeline ?? 1) : 1;
  }

  get queueDepth(): number {
    return this.queue.length;
  }

  /** Called after each commit with the accounts whose balance changed. */
  onCommit(fn: (changes: BalanceChange[]) => void): void {
    this.listeners.push(fn);
  }

  /**
   * On PostgreSQL, the changes of each committed transaction are also sent with NOTIFY as
   * `a` says (ChangeAnnouncer); undefined: nothing is (the default). SQLite: ignored (one process).
   */
  announceWith(a: ChangeAnnouncer | undefined): void {
    this.announcer = a;
  }

  /** The database's dialect (a use-case's SQL may differ: locks, NOTIFY). */
  get dialect(): Database['dialect'] {
    return this.database.dialect;
  }

  /** Called after each batch with its size and duration (metrics). */
  onBatch(fn: (size: number, ms: number) => void): void {
    this.batchListeners.push(fn);
  }

  /**
   * Queues one operation; resolves once it is committed, rejects with a DomainError when
   * refused. The outcome's `effects` is what the op's effect returned (`E`).
   */
  submit<E = undefined>(op: LedgerOp<E>): Promise<Applied<E>> {
    return new Promise<Applied<E>>((resolve, reject) => {
      if (this.closed) {
        reject(new DomainError('overloaded', 'The service is shutting down.'));
        return;
      }
      if (this.queue.length >= this.maxQueue) {
        reject(new DomainError('overloaded', 'Too many operations are waiting; retry shortly.'));
        return;
      }
      // The op's effect is what fills `effects`, so its outcome is an Applied<E>.
      this.queue.push({ kind: 'op', op, resolve: resolve as (v: Applied) => void, reject });
      this.kick();
    });
  }

  /** Runs `fn` in its own transaction, serialised with the batches. */
  transaction<T>(fn: (scope: TransactionScope) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.closed) {
        reject(new DomainError('overloaded', 'The service is shutting down.'));
        return;
      }
      this.queue.push({
        kind: 'job',
        fn,
        resolve: resolve as (v: unknown) => void,
        reject,
      });
      this.kick();
    });
  }

  /** Resolves when everything queued so far is committed. */
  drain(): Promise<void> {
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /** Refuses new work and waits for the queue to empty. */
  async close(): Promise<void> {
    this.closed = true;
    await this.drain();
  }

  private kick() {
    if (this.running) {
      this.wake?.();
      return;
    }
    this.running = true;
    setImmediate(() => void this.loop());
  }

  private async loop() {
    try {
      for (;;) {
        const first = this.queue[0];
        if (first === undefined) {
          if (this.flying.size === 0) break;
          await this.nextChange();
          continue;
        }
        if (first.kind === 'job') {
          // A job runs alone, after the batches in flight.
          if (this.flying.size > 0) {
            await this.nextChange();
            continue;
          }
          this.queue.shift();
          await this.runJob(first);
          continue;
        }
        const batch = this.flying.size < this.depth && !this.followsAlone() ? this.take() : [];
        if (batch.length === 0) {
          await this.nextChange();
          continue;
        }
        // On to the next batch once this one holds its locks (or is done, whatever happened).
        await this.start(batch);
      }
    } finally {
      this.running = false;
      if (this.queue.length > 0) this.kick();
      else for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  /** Whether a batch in flight repeats an idempotency key (nothing may follow it). */
  private followsAlone(): boolean {
    for (const f of this.flying) if (f.alone) return true;
    return false;
  }

  /** The next batch: the ops at the head of the queue, up to a job, `maxBatch`, or an op naming what a batch in flight names. */
  private take(): OpItem[] {
    let n = 0;
    while (n < this.queue.length && n < this.maxBatch) {
      const item = this.queue[n] as Item;
      if (item.kind !== 'op') break;
      if (this.flying.size > 0 && namesInFlight(item.op, this.flying)) break;
      n++;
    }
    return this.queue.splice(0, n) as OpItem[];
  }

  /** Starts `batch`; resolves once it holds its locks or is done. */
  private start(batch: OpItem[]): Promise<void> {
    const before = [...this.flying];
    const flight = newFlight(
      batch.map((b) => b.op),
      before,
    );
    if (before.length > 0) this.stats.pipelined++;
    this.flying.add(flight);
    return new Promise<void>((locked) => {
      const hooks: BatchHooks = {
        locked: (userIds) => {
          flight.accounts = new Set(userIds);
          locked();
        },
      };
      if (before.length > 0) hooks.beforeLocks = lockAfter(before);
      void this.runBatch(batch, hooks, flight).finally(() => {
        flight.settle();
        flight.before = [];
        flight.finish();
        this.flying.delete(flight);
        locked();
        this.wake?.();
      });
    });
  }

  /** Resolves at the next arrival (after the ops of the same tick) or the end of a batch in flight. */
  private nextChange(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = () => {
        this.wake = null;
        setImmediate(resolve);
      };
    });
  }

  private inTransaction<T>(fn: (trx: Kysely<DB>) => Promise<T>): Promise<T> {
    return exclusiveTransaction(this.database, fn);
  }

  /** A batch's transaction: on PostgreSQL's pipelined writer pool when open (db/pg-pipeline.ts). */
  private batchTransaction(ops: LedgerOp[], now: number, hooks?: BatchHooks) {
    const writer = this.database.pgWriter;
    if (writer)
      return writer.transaction(async (trx, link) => {
        const out = await applyBatch(trx, { dialect: 'postgres', link }, this.key, ops, now, hooks);
        this.announce(out.changes, link);
        return out;
      });
    return this.inTransaction((trx) => applyBatch(trx, this.database, this.key, ops, now, hooks)).then((out) => {
      this.announce(out.changes);
      return out;
    });
  }

  /** PostgreSQL: NOTIFY of committed `changes` (balance-changes.ts announceChanges). */
  private announce(changes: BalanceChange[], link?: TransactionLink): void {
    announceChanges(this.database, this.announcer, changes, link);
  }

  private async runBatch(batch: OpItem[], hooks?: BatchHooks, flight?: Flight) {
    const started = performance.now();
    const now = this.now();
    let outcome: Awaited<ReturnType<typeof applyBatch>>;
    try {
      const ops = batch.map((b) => b.op);
      outcome = await this.batchTransaction(ops, now, hooks);
    } catch (e) {
      if (isConnectionError(e)) {
        // The connection died: the COMMIT may or may not have landed, so nothing is re-run
        // (that could apply an op without an idempotency key twice). Every op fails with
        // the error (503); a retry with its Idempotency-Key replays or applies it once.
        for (const item of batch) item.reject(e);
        return;
      }
      // The batch failed as a whole: give each op its own transaction so only the bad one fails.
      if (batch.length === 1) {
        await this.runAlone(batch[0] as OpItem);
      } else {
        for (const item of batch) await this.runAlone(item);
      }
      return;
    }
    if (flight) {
      // Committed: a batch waiting for it may lock now. Its lock is sent before this batch's
      // answers are written (the next turn of the event loop), so it does not wait for them.
      flight.settle();
      if (this.flying.size > 1) await new Promise((r) => setImmediate(r));
      // Answered and published in the order the batches started (listeners see each account's changes in order).
      if (flight.before.length > 0) await Promise.all(flight.before.map((f) => f.done));
    }
    this.finishBatch(batch, outcome, started);
  }

  private async runAlone(item: OpItem, attempt = 0): Promise<void> {
    const started = performance.now();
    try {
      const outcome = await this.batchTransaction([item.op], this.now());
      this.finishBatch([item], outcome, started);
    } catch (e) {
      if (attempt < 2 && isRetryable(e)) return this.runAlone(item, attempt + 1);
      item.reject(e);
    }
  }

  private finishBatch(batch: OpItem[], outcome: Awaited<ReturnType<typeof applyBatch>>, started: number) {
    const deferred = new Set(outcome.deferred);
    for (let i = 0; i < batch.length; i++) {
      const item = batch[i] as OpItem;
      if (deferred.has(i)) continue;
      const r = outcome.results[i];
      if (!r) continue;
      if (r.ok) item.resolve(r.value);
      else item.reject(r.error);
    }
    // Ops repeating a key of this batch go first in the next one, where they replay.
    if (deferred.size > 0) {
      this.queue.unshift(...batch.filter((_, i) => deferred.has(i)));
    }
    const applied = batch.length - deferred.size;
    this.stats.batches++;
    this.stats.ops += applied;
    this.stats.lastBatchSize = applied;
    const ms = performance.now() - started;
    for (const l of this.batchListeners) l(applied, ms);
    if (outcome.changes.length > 0) this.publish(outcome.changes);
  }

  private async runJob(item: JobItem) {
    const started = performance.now();
    let attempt = 0;
    for (;;) {
      const changes: BalanceChange[] = [];
      try {
        const now = this.now();
        const value = await this.inTransaction((trx) =>
          item.fn({
            trx,
            now,
            apply: async (ops) => {
              const out = await applyBatch(trx, this.database, this.key, ops, now);
              if (out.deferred.length > 0) {
                throw new DomainError('conflict', 'One idempotency key used twice in one transaction.');
              }
              changes.push(...out.changes);
              return out.results;
            },
          }),
        );
        this.stats.batches++;
        for (const l of this.batchListeners) l(1, performance.now() - started);
        if (changes.length > 0) {
          const merged = mergeChanges(changes);
          this.announce(merged);
          this.publish(merged);
        }
        item.resolve(value);
        return;
      } catch (e) {
        if (attempt < 2 && isRetryable(e)) {
          attempt++;
          continue;
        }
        item.reject(e);
        return;
      }
    }
  }

  private publish(changes: BalanceChange[]) {
    for (const l of this.listeners) {
      try {
        l(changes);
      } catch {
        // A listener's failure must not undo or block a committed batch.
      }
    }
  }
}

/** Serialisation failures, deadlocks, unique races and busy databases are worth one more try. */
function isRetryable(e: unknown): boolean {
  return !(e instanceof DomainError) && isTransientConflict(e);
}
