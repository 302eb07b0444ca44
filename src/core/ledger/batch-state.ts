/**
 * The in-memory state one ledger batch is decided against (loaded and locked by
 * load-batch.ts, changed by decide.ts) and what the batch will write (`Pending`, written by
 * write-sqlite.ts or write-postgres.ts).
 */
import type { AccountRow, DB, NewTransaction, ReservationRow, UsageRow as StoredUsageRow } from '../../db/schema.js';
import type { LedgerKey } from './hash.js';
import type { LedgerOp } from './types.js';

export interface AccountState {
  row: AccountRow;
  /** Available credits before this batch touched the account. */
  startAvailableMc: number;
  dirty: boolean;
}

export interface ReservationState {
  row: ReservationRow;
  isNew: boolean;
  dirty: boolean;
}

/** A usage row a reversal names, and whether it is reversed already. */
export interface UsageState {
  row: StoredUsageRow;
  reversed: boolean;
}

/** What a batch reads before deciding: stored idempotency outcomes, and the rows its ops touch. */
export interface BatchState {
  /** Idempotency keys already applied (`scope:key`), with their fingerprint and stored outcome. */
  stored: Map<string, { fingerprint: string; result: string }>;
  accounts: Map<string, AccountState>;
  reservations: Map<string, ReservationState>;
  usages: Map<string, UsageState>;
}

export type NewUsageRow = DB['usage_tracking'] extends infer T ? { [K in keyof T]: T[K] } : never;

export interface RollupRow {
  user_id: string;
  bucket: number;
  operation: string;
  unit: string;
  credits_mc: number;
  operations: number;
  quantity_milli: number;
}

export interface IdempotencyRow {
  id: string;
  fingerprint: string;
  result: string;
  created_at: number;
}

/** Everything a batch will write, gathered while deciding (its rows hashed under `key`). */
export class Pending {
  constructor(readonly key: LedgerKey) {}
  txRows: NewTransaction[] = [];
  usageRows: NewUsageRow[] = [];
  rollups = new Map<string, RollupRow>();
  idemRows: IdempotencyRow[] = [];

  /** Appends what a compound op decided once all its steps passed. */
  merge(other: Pending) {
    this.txRows.push(...other.txRows);
    this.usageRows.push(...other.usageRows);
    for (const [k, v] of other.rollups) {
      const r = this.rollups.get(k);
      if (r) {
        r.credits_mc += v.credits_mc;
        r.operations += v.operations;
        r.quantity_milli += v.quantity_milli;
      } else this.rollups.set(k, v);
    }
  }
}

/** The rows a batch writes besides `Pending`: accounts it changed, holds it opened and settled. */
export interface ChangedRows {
  accounts: AccountRow[];
  newHolds: ReservationRow[];
  settledHolds: ReservationRow[];
}

export function changedRows(state: Pick<BatchState, 'accounts' | 'reservations'>): ChangedRows {
  const out: ChangedRows = { accounts: [], newHolds: [], settledHolds: [] };
  for (const a of state.accounts.values()) if (a.dirty) out.accounts.push(a.row);
  for (const r of state.reservations.values()) {
    if (r.isNew) out.newHolds.push(r.row);
    else if (r.dirty) out.settledHolds.push(r.row);
  }
  return out;
}

/** The holds an op reads or creates (a new hold's id is read too, so a reused id is a conflict). */
export function reservationIdsOf(op: LedgerOp): string[] {
  if (op.kind === 'capture' || op.kind === 'release' || op.kind === 'reserve') return [op.reservationId];
  if (op.kind === 'compound') return op.steps.flatMap(reservationIdsOf);
  return [];
}

/** The usage rows an op reverses. */
export function usageIdsOf(op: LedgerOp): string[] {
  if (op.kind === 'reverse_usage') return [op.usageId];
  if (op.kind === 'compound') return op.steps.flatMap(usageIdsOf);
  return [];
}

/** The stored id of an op's idempotency key (`scope:key`), or null without one. */
export function idemId(op: LedgerOp): string | null {
  return op.idem ? `${op.idem.scope}:${op.idem.key}` : null;
}
