/**
 * The in-memory state one ledger batch is decided against (loaded and locked by
 * load-batch.ts, changed by decide.ts) and what the batch will write (`Pending`, written by
 * write-sqlite.ts or write-postgres.ts).
 */
import type {
  AccountRow,
  GrantRow,
  NewTransaction,
  ReservationGrantRow,
  ReservationRow,
  UsageRollupsTable,
  UsageRow as StoredUsageRow,
} from '../../db/schema.js';
import { invalid, notFound } from '../errors.js';
import type { AllocationState, GrantState, Moves } from './grants.js';
import type { GrantMoveRow } from './grant-moves.js';
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
  /** What the credits its charge took were worth (their grants' prices; 0 when unknown): a reversal's grant is worth it. */
  valueCents?: number;
}

/** An organisation member an op of the batch names, with their limit and what counts against it this month (decide-members.ts). */
export interface MemberState {
  accountId: string;
  userId: string;
  /** Their monthly limit (null: none). */
  limitMc: number | null;
  /** What they were charged this calendar month (UTC). */
  usedMc: number;
  /** What their active holds on the account reserve. */
  heldMc: number;
  /** usedMc + heldMc when loaded. */
  startCountedMc: number;
  /** A charge of theirs was refused for the limit in this batch. */
  refused: boolean;
}

/** What a batch reads before deciding: stored idempotency outcomes, and the rows its ops touch. */
export interface BatchState {
  /** Idempotency keys already applied (`scope:key`), with their fingerprint and stored outcome. */
  stored: Map<string, { fingerprint: string; result: string }>;
  accounts: Map<string, AccountState>;
  reservations: Map<string, ReservationState>;
  usages: Map<string, UsageState>;
  /** Each account's grants with credits left (and those a batch's expiry names), in the spending order. */
  grants: Map<string, GrantState[]>;
  /** What each active hold of the batch (and every active hold of an account a claw-back or capture touches) reserved from which grants. */
  allocations: Map<string, AllocationState[]>;
  /** Accounts whose every active hold's reservations are loaded (those a claw-back or capture touches). */
  allocationsLoaded: Set<string>;
  /** Every reservation loaded or made, for the writer (new ones inserted, changed ones updated). */
  allocationRows: AllocationState[];
  /** The organisation members the batch's ops name (by `memberKey`), each found a member of that account. */
  members: Map<string, MemberState>;
  /** The calendar month (UTC, 'YYYY-MM') of the batch: the month its charges count in. */
  month: string;
}

/** A change of what a member was charged in a month (member_month_usage), added on write. */
export interface MemberUsageRow {
  account_id: string;
  user_id: string;
  month: string;
  used_mc: number;
}

/** An event a ledger op causes, written with the batch (core/events/emit-event.ts). */
export interface LedgerEvent {
  type: 'credits.granted' | 'credits.expired';
  accountId: string;
  data: Record<string, unknown>;
}

export type NewUsageRow = StoredUsageRow;

/** An hour's usage rollup of an account, operation and unit, as the table holds it. */
export type RollupRow = UsageRollupsTable;

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
  events: LedgerEvent[] = [];
  /** By account, member and month. */
  memberUsage = new Map<string, MemberUsageRow>();

  /** Adds a charge (negative: a reversal) to what a member was charged in `month`. */
  addMemberUsage(accountId: string, userId: string, month: string, mc: number) {
    if (mc === 0) return;
    const key = `${accountId}\u001f${userId}\u001f${month}`;
    const r = this.memberUsage.get(key);
    if (r) r.used_mc += mc;
    else this.memberUsage.set(key, { account_id: accountId, user_id: userId, month, used_mc: mc });
  }
  /**
   * The rollup added to last: a batch's usage is mostly one account's one operation in one
   * hour, and comparing four fields is cheaper than making the map's key and hashing it
   * (about 2,700 instructions a metered request: bench/analysis.md, "The writer's reads of its
   * rows"). Always the map's row for its key: rows are only added to, never replaced.
   */
  private lastRollup: RollupRow | null = null;

  /** Adds a usage row's charge, count and quantity to its account's hour of its operation and unit. */
  addRollup(userId: string, bucket: number, operation: string, unit: string, creditsMc: number, operations: number, quantityMilli: number) {
    let r = this.lastRollup;
    if (r === null || r.user_id !== userId || r.bucket !== bucket || r.operation !== operation || r.unit !== unit) {
      const key = `${userId}\u001f${bucket}\u001f${operation}\u001f${unit}`;
      r = this.rollups.get(key) ?? null;
      if (r === null) {
        const row = { user_id: userId, bucket, operation, unit, credits_mc: creditsMc, operations, quantity_milli: quantityMilli };
        this.rollups.set(key, row);
        this.lastRollup = row;
        return;
      }
      this.lastRollup = r;
    }
    r.credits_mc += creditsMc;
    r.operations += operations;
    r.quantity_milli += quantityMilli;
  }
  /** What each op changed of each grant's remaining credits (grant-moves.ts). */
  grantMoves: GrantMoveRow[] = [];
  /** What the op being decided changed so far of each grant (grants.ts `moved`), made rows by `recordMoves`. */
  moved: Moves = new Map();

  /** Appends what a compound op decided once all its steps passed. */
  merge(other: Pending) {
    this.txRows.push(...other.txRows);
    for (const r of other.memberUsage.values()) this.addMemberUsage(r.account_id, r.user_id, r.month, r.used_mc);
    this.events.push(...other.events);
    this.grantMoves.push(...other.grantMoves);
    this.usageRows.push(...other.usageRows);
    for (const v of other.rollups.values()) {
      this.addRollup(v.user_id, v.bucket, v.operation, v.unit, v.credits_mc, v.operations, v.quantity_milli);
    }
  }
}

/** The rows a batch writes besides `Pending`: accounts it changed, holds it opened and settled. */
export interface ChangedRows {
  accounts: AccountRow[];
  newHolds: ReservationRow[];
  settledHolds: ReservationRow[];
  newGrants: GrantRow[];
  changedGrants: GrantRow[];
  newAllocations: ReservationGrantRow[];
  changedAllocations: ReservationGrantRow[];
}

function allocationRow(a: AllocationState): ReservationGrantRow {
  return { reservation_id: a.reservationId, grant_id: a.grantId, amount_mc: a.amountMc };
}

export function changedRows(state: Pick<BatchState, 'accounts' | 'reservations' | 'grants' | 'allocationRows'>): ChangedRows {
  const out: ChangedRows = {
    accounts: [],
    newHolds: [],
    settledHolds: [],
    newGrants: [],
    changedGrants: [],
    newAllocations: [],
    changedAllocations: [],
  };
  for (const a of state.accounts.values()) if (a.dirty) out.accounts.push(a.row);
  for (const r of state.reservations.values()) {
    if (r.isNew) out.newHolds.push(r.row);
    else if (r.dirty) out.settledHolds.push(r.row);
  }
  for (const list of state.grants.values()) {
    for (const g of list) {
      if (g.isNew) out.newGrants.push(g.row);
      else if (g.dirty) out.changedGrants.push(g.row);
    }
  }
  for (const a of state.allocationRows) {
    if (a.isNew) out.newAllocations.push(allocationRow(a));
    else if (a.dirty) out.changedAllocations.push(allocationRow(a));
  }
  return out;
}

/**
 * The account of each hold a reserve op of the batch makes (a compound op's reserve steps
 * too). A capture or release may name a hold made earlier in its own batch, which no stored
 * row names yet: its account is the reserve's.
 */
export function holdsMadeIn(ops: readonly LedgerOp[]): Map<string, string> {
  const out = new Map<string, string>();
  const visit = (op: LedgerOp, userId: string | undefined) => {
    if (op.kind === 'compound') {
      for (const s of op.steps) visit(s, 'userId' in s && s.userId !== undefined ? s.userId : op.userId);
    } else if (op.kind === 'reserve') {
      const owner = op.userId ?? userId;
      if (owner !== undefined && !out.has(op.reservationId)) out.set(op.reservationId, owner);
    }
  };
  for (const op of ops) visit(op, undefined);
  return out;
}

/** The account of hold `rid`: its stored row's, else that of the reserve op of the batch that makes it. */
export function holdAccount(
  rid: string,
  reservations: ReadonlyMap<string, ReservationState>,
  madeHere: ReadonlyMap<string, string>,
): string | undefined {
  return reservations.get(rid)?.row.user_id ?? madeHere.get(rid);
}

/** The holds an op reads or creates (a new hold's id is read too, so a reused id is a conflict). */
export function reservationIdsOf(op: LedgerOp): string[] {
  if (op.kind === 'capture' || op.kind === 'release' || op.kind === 'reserve') return [op.reservationId];
  if (op.kind === 'compound') return op.steps.flatMap(reservationIdsOf);
  return [];
}

/** The (account, member) pairs an op names itself (a debit, hold or recorded usage by a member, a compound op's steps). */
export function memberPairsOf(op: LedgerOp): [string, string][] {
  if (op.kind === 'compound') {
    return op.steps.flatMap((s) =>
      memberPairsOf(
        s.kind === 'debit' || s.kind === 'reserve' || s.kind === 'record_usage' ? { ...s, memberId: s.memberId ?? op.memberId } : s,
      ),
    );
  }
  if ((op.kind === 'debit' || op.kind === 'reserve' || op.kind === 'record_usage') && op.memberId) return [[op.userId, op.memberId]];
  return [];
}

/** The grants an op names (an expiry). */
export function grantIdsOf(op: LedgerOp): string[] {
  if (op.kind === 'expire_grant') return [op.grantId];
  if (op.kind === 'compound') return op.steps.flatMap(grantIdsOf);
  return [];
}

/**
 * Whether an op needs the account's holds' reservations of grants: settling a hold (its own),
 * a claw-back or a capture (which may take from other holds' when nothing else is left).
 */
export function needsAllocations(op: LedgerOp): boolean {
  if (op.kind === 'clawback' || op.kind === 'capture' || op.kind === 'release') return true;
  if (op.kind === 'compound') return op.steps.some(needsAllocations);
  return false;
}

/** Every open grant of the account is needed: no bound on what the batch may take of them. */
export const EVERY_GRANT = Number.POSITIVE_INFINITY;

/**
 * What the batch's ops may take of each account's free credits, an upper bound (load-batch.ts
 * loads only the grants the spending order reaches within it). Debits and holds take free
 * credits in the spending order and change nothing else of the grants already there: their
 * amounts add up. Credits, usage reversals (a new grant each) and recorded usage take none.
 * A hold that names a payment (a dispute's, which reserves that payment's grants first) and any
 * other op (a claw-back, which may take reserved credits or a refunded payment's grants first;
 * a capture or release, which settle a hold's own grants; an expiry, which empties a grant), or
 * an amount that is not a whole non-negative number, needs every grant: EVERY_GRANT.
 * Each account the batch touches has an entry.
 */
export function grantDemand(ops: readonly LedgerOp[], reservations: ReadonlyMap<string, ReservationState>): Map<string, number> {
  const demand = new Map<string, number>();
  const add = (userId: string, mc: number) => demand.set(userId, (demand.get(userId) ?? 0) + mc);
  const madeHere = holdsMadeIn(ops);
  const visit = (op: LedgerOp, userId: string | undefined) => {
    switch (op.kind) {
      case 'compound':
        for (const s of op.steps) visit(s, 'userId' in s && s.userId !== undefined ? s.userId : op.userId);
        return;
      case 'debit':
      case 'reserve':
        // A hold that names a payment reserves that payment's grants first, wherever they are in the order.
        add(
          op.userId,
          Number.isSafeInteger(op.amountMc) && op.amountMc >= 0 && !(op.kind === 'reserve' && op.refType === 'payment')
            ? op.amountMc
            : EVERY_GRANT,
        );
        return;
      case 'credit':
      case 'record_usage':
      case 'reverse_usage':
        add(op.userId, 0);
        return;
      default:
        if (userId !== undefined) add(userId, EVERY_GRANT);
        for (const rid of reservationIdsOf(op)) {
          const owner = holdAccount(rid, reservations, madeHere);
          if (owner !== undefined) add(owner, EVERY_GRANT);
        }
    }
  };
  for (const op of ops) visit(op, 'userId' in op ? op.userId : undefined);
  return demand;
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

/** The account of an op, or not found. */
export function account(accounts: Map<string, AccountState>, userId: string): AccountState {
  const a = accounts.get(userId);
  if (!a) throw notFound('Account');
  return a;
}

/** The hold an op names (the caller's own when `userId` is given), or not found. */
export function reservation(reservations: Map<string, ReservationState>, id: string, userId: string | undefined): ReservationState {
  const r = reservations.get(id);
  if (!r || (userId !== undefined && r.row.user_id !== userId)) throw notFound('Reservation');
  return r;
}

/** An op's amount: a whole, non-negative number of millicredits (positive unless `allowZero`). */
export function checkAmount(mc: number, allowZero: boolean) {
  if (!Number.isSafeInteger(mc) || mc < 0 || (!allowZero && mc === 0)) {
    throw invalid('The amount must be a positive whole number of millicredits.', { amountMc: mc });
  }
}
