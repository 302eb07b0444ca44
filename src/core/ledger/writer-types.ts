/** The writer's options, counters and queue items (writer.ts). */
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { LedgerKey } from './hash.js';
import type { Applied, LedgerOp, OpResult } from './types.js';

export interface WriterOptions {
  /** The key every ledger row is hashed under (see hash.ts). */
  ledgerKey: LedgerKey;
  maxBatch?: number;
  /** Operations waiting beyond this are refused at once with `overloaded`. */
  maxQueue?: number;
  now?: () => number;
  /** Batches in flight at once on PostgreSQL (default 1: off; 2 pipelines them). SQLite: always 1. */
  pipeline?: number;
}

export interface WriterStats {
  batches: number;
  ops: number;
  lastBatchSize: number;
  /** Batches started while another was in flight (PostgreSQL's pipeline). */
  pipelined: number;
}

/** Runs inside an exclusive transaction: custom reads and writes plus ledger operations. */
export interface TransactionScope {
  trx: Kysely<DB>;
  now: number;
  /** Applies ledger operations in this transaction; refusals come back as results. */
  apply(ops: LedgerOp[]): Promise<OpResult[]>;
}

export type OpItem = {
  kind: 'op';
  op: LedgerOp;
  resolve: (v: Applied) => void;
  reject: (e: unknown) => void;
};
export type JobItem = {
  kind: 'job';
  fn: (scope: TransactionScope) => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
};
export type Item = OpItem | JobItem;
