/**
 * Applies a batch of ledger operations inside one open transaction.
 *
 * The accounts and holds the batch touches are read once and locked (FOR UPDATE on
 * Postgres; SQLite's writer holds the whole database), every operation is decided in
 * arrival order against that in-memory state, and the outcome is written back with a
 * handful of multi-row statements whatever the batch size (on Postgres a single one, so a
 * batch costs four round trips: begin, lock, write, commit). Each operation succeeds or
 * is refused on its own; a refused one writes nothing.
 */
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Dialect, SqliteHandle } from '../../db/open.js';
import type {
  AccountRow,
  DB,
  NewTransaction,
  ReservationRow,
  TransactionType,
  UsageRow as StoredUsageRow,
} from '../../db/schema.js';
import {
  DomainError,
  conflict,
  idempotencyConflict,
  insufficientCredits,
  invalid,
  notFound,
} from '../errors.js';
import { newId } from '../ids.js';
import { type LedgerKey, hashRow } from './hash.js';
import type {
  Applied,
  BalanceChange,
  CompoundOp,
  LedgerOp,
  OpResult,
  UsageInput,
} from './types.js';

const HOUR_MS = 3_600_000;
const CHUNK = 400;

interface AccountState {
  row: AccountRow;
  startAvailableMc: number;
  dirty: boolean;
}

interface ReservationState {
  row: ReservationRow;
  isNew: boolean;
  dirty: boolean;
}

/** A usage row a reversal names, and whether it is reversed already. */
interface UsageState {
  row: StoredUsageRow;
  reversed: boolean;
}

/** The ledger row type and reference of a usage reversal (verify recognises them by it). */
export const USAGE_REVERSAL_REF = 'usage_reversal';

type UsageRow = DB['usage_tracking'] extends infer T ? { [K in keyof T]: T[K] } : never;

/** Everything a batch will write, gathered while deciding (its rows hashed under `key`). */
class Pending {
  constructor(readonly key: LedgerKey) {}
  txRows: NewTransaction[] = [];
  usageRows: UsageRow[] = [];
  rollups = new Map<
    string,
    {
      user_id: string;
      bucket: number;
      operation: string;
      unit: string;
      credits_mc: number;
      operations: number;
      quantity_milli: number;
    }
  >();
  idemRows: { id: string; fingerprint: string; result: string; created_at: number }[] = [];

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

export interface BatchOutcome {
  results: OpResult[];
  changes: BalanceChange[];
  /** Ops that repeat an idempotency key earlier in the same batch: run them in the next one. */
  deferred: number[];
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

/** `column in (ids)`; on Postgres `= any($1)`, one parameter and one statement text for any number of ids. */
function oneOf(dialect: Dialect, column: string, ids: string[]): RawBuilder<boolean> {
  return dialect === 'postgres'
    ? sql<boolean>`${sql.ref(column)} = any(${ids}::text[])`
    : sql<boolean>`${sql.ref(column)} in (${sql.join(ids)})`;
}

function idemId(op: LedgerOp): string | null {
  return op.idem ? `${op.idem.scope}:${op.idem.key}` : null;
}

/** Applies `ops` in order inside `trx` (an open transaction). Unexpected errors throw. */
export async function applyBatch(
  trx: Kysely<DB>,
  dialect: Dialect,
  key: LedgerKey,
  ops: LedgerOp[],
  now: number,
  /** SQLite: the raw connection under `trx`, for the batch's writes as prepared statements. */
  sqlite?: SqliteHandle,
): Promise<BatchOutcome> {
  const forUpdate = dialect === 'postgres';
  // Postgres takes a list of ids as one array parameter, so it never needs chunks.
  const chunk = dialect === 'postgres' ? Number.MAX_SAFE_INTEGER : CHUNK;
  const results: OpResult[] = new Array(ops.length);
  const deferred: number[] = [];

  // 1. Idempotency: keys already applied replay their stored outcome.
  const stored = new Map<string, { fingerprint: string; result: string }>();
  const keyIds = [...new Set(ops.map(idemId).filter((k): k is string => k !== null))];
  for (let i = 0; i < keyIds.length; i += chunk) {
    const rows = await trx
      .selectFrom('idempotency_keys')
      .select(['id', 'fingerprint', 'result'])
      .where(oneOf(dialect, 'id', keyIds.slice(i, i + chunk)))
      .execute();
    for (const r of rows) stored.set(r.id, r);
  }

  // 2. Holds, then accounts, each locked in id order (one order everywhere: no deadlock).
  const reservations = new Map<string, ReservationState>();
  const resIds = [...new Set(ops.flatMap(reservationIdsOf))].sort();
  for (let i = 0; i < resIds.length; i += chunk) {
    let q = trx
      .selectFrom('reservations')
      .selectAll()
      .where(oneOf(dialect, 'id', resIds.slice(i, i + chunk)))
      .orderBy('id');
    if (forUpdate) q = q.forUpdate();
    for (const row of await q.execute()) {
      reservations.set(row.id, { row, isNew: false, dirty: false });
    }
  }
  const userIds = new Set<string>();
  for (const op of ops) {
    if ('userId' in op && op.userId) userIds.add(op.userId);
    for (const rid of reservationIdsOf(op)) {
      const r = reservations.get(rid);
      if (r) userIds.add(r.row.user_id);
    }
  }
  // Usage rows to reverse, and which of them already are (the unique reverses_id is the guard
  // across batches and instances; this read lets the op refuse cleanly instead).
  const usages = new Map<string, UsageState>();
  const usageIds = [...new Set(ops.flatMap(usageIdsOf))];
  for (let i = 0; i < usageIds.length; i += chunk) {
    const part = usageIds.slice(i, i + chunk);
    for (const row of await trx.selectFrom('usage_tracking').selectAll().where(oneOf(dialect, 'id', part)).execute()) {
      usages.set(row.id, { row, reversed: false });
    }
    const done = await trx.selectFrom('usage_tracking').select('reverses_id').where(oneOf(dialect, 'reverses_id', part)).execute();
    for (const d of done) {
      const u = d.reverses_id ? usages.get(d.reverses_id) : undefined;
      if (u) u.reversed = true;
    }
  }
  const accounts = new Map<string, AccountState>();
  const sortedUsers = [...userIds].sort();
  for (let i = 0; i < sortedUsers.length; i += chunk) {
    let q = trx
      .selectFrom('user_credits')
      .selectAll()
      .where(oneOf(dialect, 'user_id', sortedUsers.slice(i, i + chunk)))
      .orderBy('user_id');
    if (forUpdate) q = q.forUpdate();
    for (const row of await q.execute()) {
      accounts.set(row.user_id, {
        row,
        startAvailableMc: row.balance_mc - row.reserved_mc,
        dirty: false,
      });
    }
  }

  // 3. Decide each op in arrival order.
  const pending = new Pending(key);
  const seenKeys = new Set<string>();
  const effectsToRun: { index: number; op: LedgerOp; applied: Applied }[] = [];
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i] as LedgerOp;
    const kid = idemId(op);
    if (kid) {
      const prior = stored.get(kid);
      if (prior) {
        results[i] =
          prior.fingerprint === op.idem?.fingerprint
            ? { ok: true, value: { ...(JSON.parse(prior.result) as Applied), replayed: true } }
            : { ok: false, error: idempotencyConflict() };
        continue;
      }
      if (seenKeys.has(kid)) {
        deferred.push(i);
        continue;
      }
      seenKeys.add(kid);
    }
    try {
      const applied = decide(op, accounts, reservations, usages, pending, now);
      if (op.idem?.reply) applied.reply = op.idem.reply(applied);
      results[i] = { ok: true, value: applied };
      if (op.effects) effectsToRun.push({ index: i, op, applied });
      else if (kid && op.idem) {
        pending.idemRows.push({
          id: kid,
          fingerprint: op.idem.fingerprint,
          result: JSON.stringify(applied),
          created_at: now,
        });
      }
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      if (kid) seenKeys.delete(kid);
      results[i] = { ok: false, error: e };
    }
  }

  // 4. Write.
  await writePending(trx, dialect, pending, accounts, reservations, now, sqlite);

  // 5. Effects of the operation, in the same transaction (after the ledger rows exist).
  for (const { index, op, applied } of effectsToRun) {
    applied.effects = await op.effects?.(trx, applied);
    const kid = idemId(op);
    if (kid && op.idem) {
      if (op.idem.reply) applied.reply = op.idem.reply(applied);
      await trx
        .insertInto('idempotency_keys')
        .values({
          id: kid,
          fingerprint: op.idem.fingerprint,
          result: JSON.stringify(applied),
          created_at: now,
        })
        .execute();
    }
    results[index] = { ok: true, value: applied };
  }

  const changes: BalanceChange[] = [];
  for (const a of accounts.values()) {
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

function account(accounts: Map<string, AccountState>, userId: string): AccountState {
  const a = accounts.get(userId);
  if (!a) throw notFound('Account');
  return a;
}

function reservation(
  reservations: Map<string, ReservationState>,
  id: string,
  userId: string | undefined,
): ReservationState {
  const r = reservations.get(id);
  if (!r || (userId !== undefined && r.row.user_id !== userId)) throw notFound('Reservation');
  return r;
}

function checkAmount(mc: number, allowZero: boolean) {
  if (!Number.isSafeInteger(mc) || mc < 0 || (!allowZero && mc === 0)) {
    throw invalid('The amount must be a positive whole number of millicredits.', { amountMc: mc });
  }
}

function available(a: AccountState) {
  return a.row.balance_mc - a.row.reserved_mc;
}

/** Decides one op against the in-memory state, appending its rows to `pending`. */
function decide(
  op: LedgerOp,
  accounts: Map<string, AccountState>,
  reservations: Map<string, ReservationState>,
  usages: Map<string, UsageState>,
  pending: Pending,
  now: number,
): Applied {
  switch (op.kind) {
    case 'credit': {
      checkAmount(op.amountMc, false);
      const a = account(accounts, op.userId);
      if (op.type === 'purchase' || op.type === 'bonus' || op.type === 'auto_recharge') {
        a.row.lifetime_purchased_mc += op.amountMc;
      }
      return post(a, pending, op, op.type, op.amountMc, 0, now);
    }
    case 'debit': {
      checkAmount(op.amountMc, true);
      if (op.type === 'usage' && !op.usage) throw invalid('A usage charge needs its usage record.');
      const a = account(accounts, op.userId);
      const avail = available(a);
      if (avail < op.amountMc || avail < 0) throw insufficientCredits(op.amountMc, avail);
      if (op.type === 'usage') a.row.lifetime_used_mc += op.amountMc;
      const applied = post(a, pending, op, op.type, -op.amountMc, 0, now);
      if (op.usage) {
        applied.usageId = addUsage(pending, a.row.user_id, op.usage, op.amountMc, false, applied.transactionId, null, now);
      }
      return applied;
    }
    case 'clawback': {
      checkAmount(op.amountMc, false);
      const a = account(accounts, op.userId);
      return post(a, pending, op, op.type, -op.amountMc, 0, now);
    }
    case 'reserve': {
      checkAmount(op.amountMc, true);
      const a = account(accounts, op.userId);
      if (reservations.has(op.reservationId)) throw conflict('This hold already exists.');
      const avail = available(a);
      let amount = op.amountMc;
      if (!op.forced) {
        if (op.shrink) {
          const shrunk = avail < 0 ? null : op.shrink(avail);
          if (shrunk === null) throw insufficientCredits(op.amountMc, avail);
          amount = Math.min(shrunk, op.amountMc);
        }
        if (avail < amount || avail < 0) throw insufficientCredits(amount, avail);
      }
      const row: ReservationRow = {
        id: op.reservationId,
        user_id: op.userId,
        amount_mc: amount,
        captured_mc: 0,
        status: 'active',
        operation: op.pricing?.operation ?? null,
        unit: op.pricing?.unit ?? null,
        rule_id: op.pricing?.ruleId ?? null,
        rule_credits_mc: op.pricing?.ruleCreditsMc ?? null,
        forced: op.forced ? 1 : 0,
        description: op.description ?? 'Hold',
        metadata: op.metadata ? JSON.stringify(op.metadata) : null,
        expires_at: op.expiresAt,
        created_at: now,
        settled_at: null,
      };
      reservations.set(row.id, { row, isNew: true, dirty: true });
      const applied = post(a, pending, { ...op, refType: op.refType ?? 'reservation', refId: op.refId ?? row.id }, 'reservation', 0, amount, now);
      applied.reservationId = row.id;
      return applied;
    }
    case 'capture': {
      checkAmount(op.amountMc, true);
      const r = reservation(reservations, op.reservationId, op.userId);
      if (r.row.status !== 'active') {
        throw conflict('This hold is already settled.', { status: r.row.status });
      }
      const a = account(accounts, r.row.user_id);
      const hold = r.row.amount_mc;
      const charged = Math.min(op.amountMc, hold);
      // Every `usage` row has its usage record (verify checks it): a charged capture says what it was for.
      if (charged > 0 && (op.type ?? 'usage') === 'usage' && !op.usage) throw invalid('A usage charge needs its usage record.');
      r.row.status = 'captured';
      r.row.captured_mc = charged;
      r.row.settled_at = now;
      r.dirty = true;
      const type: TransactionType = charged === 0 ? 'release' : (op.type ?? 'usage');
      if (type === 'usage') a.row.lifetime_used_mc += charged;
      const applied = post(
        a,
        pending,
        { ...op, refType: op.refType ?? 'reservation', refId: op.refId ?? r.row.id },
        type,
        -charged,
        -hold,
        now,
      );
      applied.reservationId = r.row.id;
      applied.chargedMc = charged;
      if (op.usage) {
        applied.usageId = addUsage(pending, a.row.user_id, op.usage, charged, false, applied.transactionId, r.row.id, now);
      }
      return applied;
    }
    case 'release': {
      const r = reservation(reservations, op.reservationId, op.userId);
      if (r.row.status !== 'active') {
        throw conflict('This hold is already settled.', { status: r.row.status });
      }
      const a = account(accounts, r.row.user_id);
      r.row.status = op.reason === 'expired' ? 'expired' : 'released';
      r.row.settled_at = now;
      r.dirty = true;
      const applied = post(
        a,
        pending,
        {
          ...op,
          description: op.description ?? (op.reason === 'expired' ? 'Hold expired' : 'Hold released'),
          refType: op.refType ?? 'reservation',
          refId: op.refId ?? r.row.id,
        },
        'release',
        0,
        -r.row.amount_mc,
        now,
      );
      applied.reservationId = r.row.id;
      applied.chargedMc = 0;
      return applied;
    }
    case 'record_usage': {
      const a = account(accounts, op.userId);
      const usageId = addUsage(pending, op.userId, op.usage, 0, true, null, null, now);
      return { ...unposted(a, now), usageId, chargedMc: 0 };
    }
    case 'reverse_usage': {
      const u = usages.get(op.usageId);
      if (!u || u.row.user_id !== op.userId) throw notFound('Usage');
      if (u.row.reverses_id !== null) throw invalid('A reversal cannot be reversed.');
      if (u.reversed) throw conflict('This usage was already reversed.');
      const a = account(accounts, op.userId);
      const charged = u.row.charged_mc;
      let applied: Applied;
      if (u.row.bypass === 1 || charged === 0) {
        applied = unposted(a, now);
      } else {
        a.row.lifetime_used_mc -= charged;
        applied = post(
          a,
          pending,
          { ...op, description: op.description ?? 'Usage reversed', refType: USAGE_REVERSAL_REF, refId: u.row.id },
          'adjustment',
          charged,
          0,
          now,
        );
      }
      u.reversed = true;
      applied.chargedMc = -charged;
      applied.usageId = addUsage(
        pending,
        op.userId,
        {
          operation: u.row.operation,
          unit: u.row.unit,
          quantityMilli: -u.row.quantity_milli,
          ruleId: u.row.rule_id,
          ruleCreditsMc: u.row.rule_credits_mc,
          costMc: -u.row.cost_mc,
          metadata: u.row.metadata ? (JSON.parse(u.row.metadata) as Record<string, unknown>) : null,
        },
        -charged,
        u.row.bypass === 1,
        applied.transactionId,
        u.row.reservation_id,
        now,
        // In the original's hour: the report loses the operation where it was counted, and no
        // bucket ever goes below zero.
        { reversesId: u.row.id, createdAt: u.row.created_at },
      );
      return applied;
    }
    case 'compound':
      return decideCompound(op, accounts, reservations, usages, pending, now);
  }
}

/**
 * Every op but a compound one checks before it changes anything, so a refusal leaves
 * the state as it was. A compound one decides its steps on scratch rows and keeps them
 * only if every step passed.
 */
function decideCompound(
  op: CompoundOp,
  accounts: Map<string, AccountState>,
  reservations: Map<string, ReservationState>,
  usages: Map<string, UsageState>,
  pending: Pending,
  now: number,
): Applied {
  const a = account(accounts, op.userId);
  const savedAccount = { ...a.row };
  const savedDirty = a.dirty;
  const touched = new Map<string, ReservationState | undefined>();
  // A hold settled by a step must be this account's: only this account is restored on a refusal.
  const ownSteps = op.steps.map((s) =>
    s.kind === 'capture' || s.kind === 'release' ? { ...s, userId: s.userId ?? op.userId } : s,
  );
  for (const s of ownSteps) {
    if ('userId' in s && s.userId !== undefined && s.userId !== op.userId) {
      throw invalid('Every step of a compound operation concerns the same account.');
    }
    const rid = s.kind === 'reserve' ? s.reservationId : reservationIdsOf(s)[0];
    if (rid !== undefined && !touched.has(rid)) {
      const r = reservations.get(rid);
      touched.set(rid, r ? { ...r, row: { ...r.row } } : undefined);
    }
  }
  const usagesBefore = new Map(ownSteps.flatMap(usageIdsOf).map((id) => [id, usages.get(id)?.reversed]));
  const scratch = new Pending(pending.key);
  try {
    const steps = ownSteps.map((s) => decide(s, accounts, reservations, usages, scratch, now));
    pending.merge(scratch);
    return {
      replayed: false,
      userId: op.userId,
      transactionId: steps[0]?.transactionId ?? null,
      createdAt: now,
      amountMc: steps.reduce((s, x) => s + x.amountMc, 0),
      reservedChangeMc: steps.reduce((s, x) => s + x.reservedChangeMc, 0),
      balanceMc: a.row.balance_mc,
      reservedMc: a.row.reserved_mc,
      availableMc: available(a),
      steps,
    };
  } catch (e) {
    Object.assign(a.row, savedAccount);
    a.dirty = savedDirty;
    for (const [rid, saved] of touched) {
      if (saved) reservations.set(rid, saved);
      else reservations.delete(rid);
    }
    for (const [uid, reversed] of usagesBefore) {
      const u = usages.get(uid);
      if (u && reversed !== undefined) u.reversed = reversed;
    }
    throw e;
  }
}

/** The outcome of an op that writes no ledger row (bypassed usage): the account as it stands. */
function unposted(a: AccountState, now: number): Applied {
  return {
    replayed: false,
    userId: a.row.user_id,
    transactionId: null,
    createdAt: now,
    amountMc: 0,
    reservedChangeMc: 0,
    balanceMc: a.row.balance_mc,
    reservedMc: a.row.reserved_mc,
    availableMc: available(a),
  };
}

/** Moves the account and appends the hashed ledger row. */
function post(
  a: AccountState,
  pending: Pending,
  op: {
    description?: string | undefined;
    metadata?: Record<string, unknown> | null | undefined;
    refType?: string | undefined;
    refId?: string | undefined;
    idem?: { key: string } | undefined;
  },
  type: TransactionType,
  amountMc: number,
  reservedChangeMc: number,
  now: number,
): Applied {
  const row = a.row;
  row.balance_mc += amountMc;
  row.reserved_mc += reservedChangeMc;
  row.seq += 1;
  row.updated_at = now;
  a.dirty = true;
  const tx = {
    id: newId(now),
    user_id: row.user_id,
    seq: row.seq,
    type,
    amount_mc: amountMc,
    reserved_change_mc: reservedChangeMc,
    balance_after_mc: row.balance_mc,
    reserved_after_mc: row.reserved_mc,
    description: op.description ?? defaultDescription(type),
    metadata: op.metadata ? JSON.stringify(op.metadata) : null,
    reference_type: op.refType ?? null,
    reference_id: op.refId ?? null,
    idempotency_key: op.idem?.key ?? null,
    prev_hash: row.last_hash,
    hash: '',
    created_at: now,
  };
  tx.hash = hashRow(pending.key, tx.prev_hash, tx);
  row.last_hash = tx.hash;
  pending.txRows.push(tx);
  return {
    replayed: false,
    userId: row.user_id,
    transactionId: tx.id,
    createdAt: now,
    amountMc,
    reservedChangeMc,
    balanceMc: row.balance_mc,
    reservedMc: row.reserved_mc,
    availableMc: row.balance_mc - row.reserved_mc,
  };
}

function defaultDescription(type: TransactionType): string {
  switch (type) {
    case 'purchase':
      return 'Credit purchase';
    case 'bonus':
      return 'Bonus credits';
    case 'signup_bonus':
      return 'Sign-up bonus';
    case 'auto_recharge':
      return 'Auto-recharge';
    case 'adjustment':
      return 'Adjustment';
    case 'usage':
      return 'Usage';
    case 'reservation':
      return 'Hold';
    case 'release':
      return 'Hold released';
    case 'refund':
      return 'Credits taken back after a refund';
    case 'dispute':
      return 'Credits taken after a lost dispute';
    case 'expiry':
      return 'Credits expired';
  }
}

function addUsage(
  pending: Pending,
  userId: string,
  u: UsageInput,
  chargedMc: number,
  bypass: boolean,
  transactionId: string | null,
  reservationId: string | null,
  now: number,
  reversal?: { reversesId: string; createdAt: number },
): string {
  const id = newId(now);
  const at = reversal ? reversal.createdAt : now;
  const ops = reversal ? -1 : 1;
  pending.usageRows.push({
    id,
    user_id: userId,
    operation: u.operation,
    unit: u.unit,
    quantity_milli: u.quantityMilli,
    cost_mc: u.costMc,
    charged_mc: chargedMc,
    rule_id: u.ruleId,
    rule_credits_mc: u.ruleCreditsMc,
    bypass: bypass ? 1 : 0,
    transaction_id: transactionId,
    reservation_id: reservationId,
    metadata: u.metadata ? JSON.stringify(u.metadata) : null,
    created_at: at,
    reverses_id: reversal ? reversal.reversesId : null,
  });
  const bucket = at - (at % HOUR_MS);
  const key = `${userId}\u001f${bucket}\u001f${u.operation}\u001f${u.unit}`;
  const r = pending.rollups.get(key);
  if (r) {
    r.credits_mc += chargedMc;
    r.operations += ops;
    r.quantity_milli += u.quantityMilli;
  } else {
    pending.rollups.set(key, {
      user_id: userId,
      bucket,
      operation: u.operation,
      unit: u.unit,
      credits_mc: chargedMc,
      operations: ops,
      quantity_milli: u.quantityMilli,
    });
  }
  return id;
}

/** Writes what the batch decided: on Postgres in one statement, on SQLite in a few. */
async function writePending(
  trx: Kysely<DB>,
  dialect: Dialect,
  pending: Pending,
  accounts: Map<string, AccountState>,
  reservations: Map<string, ReservationState>,
  now: number,
  raw?: SqliteHandle,
) {
  const dirty: AccountRow[] = [];
  for (const a of accounts.values()) if (a.dirty) dirty.push(a.row);
  const newRes: ReservationRow[] = [];
  const settled: ReservationRow[] = [];
  for (const r of reservations.values()) {
    if (r.isNew) newRes.push(r.row);
    else if (r.dirty) settled.push(r.row);
  }
  if (dialect === 'postgres') {
    await writePostgres(trx, pending, dirty, newRes, settled, now);
    return;
  }
  if (raw) {
    writeSqlite(raw, pending, dirty, newRes, settled, now);
    return;
  }
  for (let i = 0; i < pending.txRows.length; i += CHUNK) {
    await trx.insertInto('credit_transactions').values(pending.txRows.slice(i, i + CHUNK)).execute();
  }
  for (let i = 0; i < dirty.length; i += CHUNK) {
    const values = sql.join(
      dirty
        .slice(i, i + CHUNK)
        .map(
          (r) =>
            sql`(${r.user_id}, ${r.balance_mc}, ${r.reserved_mc}, ${r.lifetime_purchased_mc}, ${r.lifetime_used_mc}, ${r.seq}, ${r.last_hash})`,
        ),
    );
    await sql`with v(id, b, r, lp, lu, s, h) as (values ${values})
      update user_credits set balance_mc = v.b, reserved_mc = v.r, lifetime_purchased_mc = v.lp,
        lifetime_used_mc = v.lu, seq = v.s, last_hash = v.h, updated_at = ${now}
      from v where user_credits.user_id = v.id`.execute(trx);
  }
  for (let i = 0; i < newRes.length; i += CHUNK) {
    await trx.insertInto('reservations').values(newRes.slice(i, i + CHUNK)).execute();
  }
  for (const r of settled) {
    await trx
      .updateTable('reservations')
      .set({ status: r.status, captured_mc: r.captured_mc, settled_at: r.settled_at })
      .where('id', '=', r.id)
      .execute();
  }
  for (let i = 0; i < pending.usageRows.length; i += CHUNK) {
    await trx.insertInto('usage_tracking').values(pending.usageRows.slice(i, i + CHUNK)).execute();
  }
  const rollups = [...pending.rollups.values()];
  for (let i = 0; i < rollups.length; i += CHUNK) {
    await trx
      .insertInto('usage_rollups')
      .values(rollups.slice(i, i + CHUNK))
      .onConflict((oc) =>
        oc.columns(['user_id', 'bucket', 'operation', 'unit']).doUpdateSet((eb) => ({
          credits_mc: eb('usage_rollups.credits_mc', '+', eb.ref('excluded.credits_mc')),
          operations: eb('usage_rollups.operations', '+', eb.ref('excluded.operations')),
          quantity_milli: eb('usage_rollups.quantity_milli', '+', eb.ref('excluded.quantity_milli')),
        })),
      )
      .execute();
  }
  for (let i = 0; i < pending.idemRows.length; i += CHUNK) {
    await trx.insertInto('idempotency_keys').values(pending.idemRows.slice(i, i + CHUNK)).execute();
  }
}

/** `insert into table (keys of row) values (?, ...)` for each row, statements cached by their text. */
function insertEach(raw: SqliteHandle, table: string, rows: readonly object[], suffix = '') {
  for (const row of rows) {
    const cols: string[] = [];
    const values: unknown[] = [];
    for (const [k, v] of Object.entries(row)) {
      if (v === undefined) continue;
      cols.push(k);
      values.push(v);
    }
    raw
      .prepare(`insert into "${table}" ("${cols.join('", "')}") values (${cols.map(() => '?').join(', ')})${suffix}`)
      .run(...values);
  }
}

/**
 * SQLite: the batch's writes as prepared statements on the raw connection, one execution
 * per row. better-sqlite3 runs in-process, so a statement costs microseconds and there is
 * no round trip to save; going through the query builder (build, compile, prepare) cost
 * more than the writes themselves in the metered path's profile.
 */
function writeSqlite(
  raw: SqliteHandle,
  pending: Pending,
  dirty: AccountRow[],
  newRes: ReservationRow[],
  settled: ReservationRow[],
  now: number,
) {
  insertEach(raw, 'credit_transactions', pending.txRows);
  const account = raw.prepare(`update user_credits set balance_mc = ?, reserved_mc = ?, lifetime_purchased_mc = ?,
      lifetime_used_mc = ?, seq = ?, last_hash = ?, updated_at = ? where user_id = ?`);
  for (const r of dirty) {
    account.run(r.balance_mc, r.reserved_mc, r.lifetime_purchased_mc, r.lifetime_used_mc, r.seq, r.last_hash, now, r.user_id);
  }
  insertEach(raw, 'reservations', newRes);
  const settle = raw.prepare('update reservations set status = ?, captured_mc = ?, settled_at = ? where id = ?');
  for (const r of settled) settle.run(r.status, r.captured_mc, r.settled_at, r.id);
  insertEach(raw, 'usage_tracking', pending.usageRows);
  const rollup = raw.prepare(`insert into usage_rollups (user_id, bucket, operation, unit, credits_mc, operations, quantity_milli)
      values (?, ?, ?, ?, ?, ?, ?)
      on conflict (user_id, bucket, operation, unit) do update set
        credits_mc = usage_rollups.credits_mc + excluded.credits_mc,
        operations = usage_rollups.operations + excluded.operations,
        quantity_milli = usage_rollups.quantity_milli + excluded.quantity_milli`);
  for (const r of pending.rollups.values()) {
    rollup.run(r.user_id, r.bucket, r.operation, r.unit, r.credits_mc, r.operations, r.quantity_milli);
  }
  insertEach(raw, 'idempotency_keys', pending.idemRows);
}

/** One column of `rows` as an array: Postgres takes it as one parameter and unnests it. */
function col<T, K extends keyof T>(rows: readonly T[], key: K): T[K][] {
  return rows.map((r) => r[key]);
}

/**
 * Postgres: the whole batch's writes in one statement, one round trip whatever the batch
 * size. Each table's rows travel as one array per column (`unnest`), so the statement's
 * text and parameter count do not grow with the batch. Data-modifying CTEs all run to
 * completion; none touches a row another one touches (each account, hold, rollup and key
 * appears once), so their shared snapshot changes nothing.
 */
async function writePostgres(
  trx: Kysely<DB>,
  pending: Pending,
  dirty: AccountRow[],
  newRes: ReservationRow[],
  settled: ReservationRow[],
  now: number,
) {
  const parts: RawBuilder<unknown>[] = [];
  const tx = pending.txRows;
  if (tx.length > 0) {
    parts.push(sql`tx as (insert into credit_transactions (id, user_id, seq, type, amount_mc, reserved_change_mc,
        balance_after_mc, reserved_after_mc, description, metadata, reference_type, reference_id,
        idempotency_key, prev_hash, hash, created_at)
      select * from unnest(${col(tx, 'id')}::text[], ${col(tx, 'user_id')}::text[], ${col(tx, 'seq')}::bigint[],
        ${col(tx, 'type')}::text[], ${col(tx, 'amount_mc')}::bigint[], ${col(tx, 'reserved_change_mc')}::bigint[],
        ${col(tx, 'balance_after_mc')}::bigint[], ${col(tx, 'reserved_after_mc')}::bigint[],
        ${col(tx, 'description')}::text[], ${col(tx, 'metadata')}::text[], ${col(tx, 'reference_type')}::text[],
        ${col(tx, 'reference_id')}::text[], ${col(tx, 'idempotency_key')}::text[], ${col(tx, 'prev_hash')}::text[],
        ${col(tx, 'hash')}::text[], ${col(tx, 'created_at')}::bigint[]))`);
  }
  if (dirty.length > 0) {
    // Rows found by `= any(ids)` (index probes), each taking its values from the arrays: a
    // join with the arrays would let the planner pick a hash join over a scan of the table.
    const ids = col(dirty, 'user_id');
    parts.push(sql`acc as (update user_credits as u set (balance_mc, reserved_mc, lifetime_purchased_mc,
        lifetime_used_mc, seq, last_hash, updated_at) = (
        select v.b, v.r, v.lp, v.lu, v.s, v.h, ${now}::bigint
        from unnest(${ids}::text[], ${col(dirty, 'balance_mc')}::bigint[], ${col(dirty, 'reserved_mc')}::bigint[],
          ${col(dirty, 'lifetime_purchased_mc')}::bigint[], ${col(dirty, 'lifetime_used_mc')}::bigint[],
          ${col(dirty, 'seq')}::bigint[], ${col(dirty, 'last_hash')}::text[]) as v(id, b, r, lp, lu, s, h)
        where v.id = u.user_id)
      where u.user_id = any(${ids}::text[]))`);
  }
  if (newRes.length > 0) {
    const r = newRes;
    parts.push(sql`res_new as (insert into reservations (id, user_id, amount_mc, captured_mc, status, operation, unit,
        rule_id, rule_credits_mc, forced, description, metadata, expires_at, created_at, settled_at)
      select * from unnest(${col(r, 'id')}::text[], ${col(r, 'user_id')}::text[], ${col(r, 'amount_mc')}::bigint[],
        ${col(r, 'captured_mc')}::bigint[], ${col(r, 'status')}::text[], ${col(r, 'operation')}::text[],
        ${col(r, 'unit')}::text[], ${col(r, 'rule_id')}::text[], ${col(r, 'rule_credits_mc')}::bigint[],
        ${col(r, 'forced')}::integer[], ${col(r, 'description')}::text[], ${col(r, 'metadata')}::text[],
        ${col(r, 'expires_at')}::bigint[], ${col(r, 'created_at')}::bigint[], ${col(r, 'settled_at')}::bigint[]))`);
  }
  if (settled.length > 0) {
    const r = settled;
    const ids = col(r, 'id');
    parts.push(sql`res_settled as (update reservations as x set (status, captured_mc, settled_at) = (
        select v.st, v.c, v.sa
        from unnest(${ids}::text[], ${col(r, 'status')}::text[], ${col(r, 'captured_mc')}::bigint[],
          ${col(r, 'settled_at')}::bigint[]) as v(id, st, c, sa)
        where v.id = x.id)
      where x.id = any(${ids}::text[]))`);
  }
  const u = pending.usageRows;
  if (u.length > 0) {
    parts.push(sql`usage as (insert into usage_tracking (id, user_id, operation, unit, quantity_milli, cost_mc,
        charged_mc, rule_id, rule_credits_mc, bypass, transaction_id, reservation_id, metadata, created_at, reverses_id)
      select * from unnest(${col(u, 'id')}::text[], ${col(u, 'user_id')}::text[], ${col(u, 'operation')}::text[],
        ${col(u, 'unit')}::text[], ${col(u, 'quantity_milli')}::bigint[], ${col(u, 'cost_mc')}::bigint[],
        ${col(u, 'charged_mc')}::bigint[], ${col(u, 'rule_id')}::text[], ${col(u, 'rule_credits_mc')}::bigint[],
        ${col(u, 'bypass')}::integer[], ${col(u, 'transaction_id')}::text[], ${col(u, 'reservation_id')}::text[],
        ${col(u, 'metadata')}::text[], ${col(u, 'created_at')}::bigint[], ${col(u, 'reverses_id')}::text[]))`);
  }
  const ro = [...pending.rollups.values()];
  if (ro.length > 0) {
    parts.push(sql`rollups as (insert into usage_rollups as x (user_id, bucket, operation, unit, credits_mc,
        operations, quantity_milli)
      select * from unnest(${col(ro, 'user_id')}::text[], ${col(ro, 'bucket')}::bigint[], ${col(ro, 'operation')}::text[],
        ${col(ro, 'unit')}::text[], ${col(ro, 'credits_mc')}::bigint[], ${col(ro, 'operations')}::bigint[],
        ${col(ro, 'quantity_milli')}::bigint[])
      on conflict (user_id, bucket, operation, unit) do update set
        credits_mc = x.credits_mc + excluded.credits_mc, operations = x.operations + excluded.operations,
        quantity_milli = x.quantity_milli + excluded.quantity_milli)`);
  }
  const k = pending.idemRows;
  if (k.length > 0) {
    parts.push(sql`idem as (insert into idempotency_keys (id, fingerprint, result, created_at)
      select * from unnest(${col(k, 'id')}::text[], ${col(k, 'fingerprint')}::text[], ${col(k, 'result')}::text[],
        ${col(k, 'created_at')}::bigint[]))`);
  }
  if (parts.length === 0) return;
  await sql`with ${sql.join(parts)} select 1`.execute(trx);
}
