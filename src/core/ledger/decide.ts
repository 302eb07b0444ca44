/**
 * The ledger's decisions, without a database: every op of a batch is decided in arrival
 * order against the state the batch loaded (accounts, holds, usage rows, stored
 * idempotency outcomes), changing that state and appending the rows it will write to a
 * `Pending`. Each op succeeds or is refused on its own; a refused one changes nothing.
 * The holds' ops are decided in decide-holds.ts, the grants' part in decide-grants.ts.
 * Unit-tested on its own in decide.test.ts, decide-holds.test.ts and decide-grants.test.ts.
 */
import { mcToCredits } from '../../contracts/money.js';
import { DomainError, conflict, idempotencyConflict, insufficientCredits, invalid, notFound } from '../errors.js';
import { addGrant, decideExpireGrant, snapshotGrants, spendGrants } from './decide-grants.js';
import { decideCapture, decideRelease, decideReserve } from './decide-holds.js';
import { checkLimit, memberKey, memberOf, monthOf, snapshotMembers } from './decide-members.js';
import {
  type BatchState,
  Pending,
  type ReservationState,
  account,
  checkAmount,
  idemId,
  reservationIdsOf,
  usageIdsOf,
} from './batch-state.js';
import type { LedgerKey } from './hash.js';
import { recordMoves } from './grant-moves.js';
import { paymentFirst } from './grants.js';
import { addUsage, available, post, unposted, usageMetadataText, usageRowMetadata } from './ledger-rows.js';
import type { Applied, CompoundOp, LedgerOp, OpResult } from './types.js';

/** The ledger row type and reference of a usage reversal (verify recognises them by it). */
export const USAGE_REVERSAL_REF = 'usage_reversal';

export interface Decisions {
  /** One per op, in order; the entries of `deferred` and of `withEffects` are placeholders. */
  results: OpResult[];
  /** Ops that repeat an idempotency key earlier in the same batch: run them in the next one. */
  deferred: number[];
  /** Applied ops whose effects must run (after the rows are written) before their key is stored. */
  withEffects: { index: number; op: LedgerOp; applied: Applied }[];
  /** The rows to write. */
  pending: Pending;
}

/** What an op whose key is stored answers: the stored outcome, replayed; under another request, idempotency_conflict. */
export function storedOutcome(prior: { fingerprint: string; result: string }, op: LedgerOp): OpResult {
  return prior.fingerprint === op.idem?.fingerprint
    ? { ok: true, value: { ...(JSON.parse(prior.result) as Applied), replayed: true } }
    : { ok: false, error: idempotencyConflict() };
}

/** Decides `ops` in arrival order against `state` (which it changes). Unexpected errors throw. */
export function decideBatch(ops: readonly LedgerOp[], state: BatchState, key: LedgerKey, now: number): Decisions {
  const results: OpResult[] = new Array(ops.length);
  const deferred: number[] = [];
  const withEffects: Decisions['withEffects'] = [];
  const pending = new Pending(key);
  const seenKeys = new Set<string>();
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i] as LedgerOp;
    const kid = idemId(op);
    if (kid) {
      const prior = state.stored.get(kid);
      if (prior) {
        results[i] = storedOutcome(prior, op);
        continue;
      }
      if (seenKeys.has(kid)) {
        deferred.push(i);
        continue;
      }
      seenKeys.add(kid);
    }
    try {
      const applied = decide(op, state, pending, now);
      if (op.idem?.reply) applied.reply = op.idem.reply(applied);
      results[i] = { ok: true, value: applied };
      if (op.effects) withEffects.push({ index: i, op, applied });
      else if (kid && op.idem) {
        pending.idemRows.push({ id: kid, fingerprint: op.idem.fingerprint, result: JSON.stringify(applied), created_at: now });
      }
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      if (kid) seenKeys.delete(kid);
      results[i] = { ok: false, error: e };
    }
  }
  return { results, deferred, withEffects, pending };
}

/**
 * Decides one op, and records what it moved of each grant (grant-moves.ts): the grants' changes
 * are noted in `pending.moved` where they are made. A compound op's steps record their own,
 * each under its step's ledger row.
 */
function decide(op: LedgerOp, state: BatchState, pending: Pending, now: number): Applied {
  if (op.kind === 'compound') return decideOp(op, state, pending, now);
  // A refused op changed nothing (decideCompound's steps note theirs in their own scratch).
  pending.moved.clear();
  const applied = decideOp(op, state, pending, now);
  recordMoves(state, pending, applied, now);
  return applied;
}

/** Decides one op against the in-memory state, appending its rows to `pending`. */
function decideOp(op: LedgerOp, state: BatchState, pending: Pending, now: number): Applied {
  const { accounts, usages } = state;
  switch (op.kind) {
    case 'credit': {
      checkAmount(op.amountMc, false);
      const a = account(accounts, op.userId);
      const expiresAt = op.grant?.expiresAt ?? null;
      if (expiresAt !== null && (!Number.isSafeInteger(expiresAt) || expiresAt <= now)) {
        throw invalid('The expiry of credits must be in the future.', { expiresAt });
      }
      const valueCents = op.grant?.valueCents ?? 0;
      if (!Number.isSafeInteger(valueCents) || valueCents < 0) throw invalid('The value of credits must be a whole number of cents.');
      if (op.type === 'purchase' || op.type === 'bonus' || op.type === 'auto_recharge') {
        a.row.lifetime_purchased_mc += op.amountMc;
      }
      const before = a.row.balance_mc;
      const applied = post(a, pending, op, op.type, op.amountMc, 0, now);
      applied.grantId = addGrant(state, pending, a, applied, {
        source: op.grant?.source ?? op.type,
        creditsMc: op.amountMc,
        before,
        expiresAt,
        valueCents,
        paymentId: op.refType === 'payment' ? (op.refId ?? null) : null,
        now,
      });
      return applied;
    }
    case 'debit': {
      checkAmount(op.amountMc, true);
      if (op.type === 'usage' && !op.usage) throw invalid('A usage charge needs its usage record.');
      const a = account(accounts, op.userId);
      // The member's limit first: it is theirs, whatever the organisation holds.
      const m = op.memberId ? memberOf(state, op.userId, op.memberId) : null;
      if (m) checkLimit(m, op.amountMc);
      const avail = available(a);
      if (avail < op.amountMc || avail < 0) throw insufficientCredits(op.amountMc, avail);
      // What counts against a limit is what the member's usage rows charge (member_month_usage is
      // added to from them): an adjustment the member causes is checked, not counted, in this
      // batch as in the next one.
      if (m && op.type === 'usage') m.usedMc += op.amountMc;
      if (op.type === 'usage') a.row.lifetime_used_mc += op.amountMc;
      const before = a.row.balance_mc;
      const applied = post(a, pending, op, op.type, -op.amountMc, 0, now, op.usage ? usageMetadataText(op.usage, op.metadata) : undefined);
      spendGrants(state, pending, a.row.user_id, before, a.row.balance_mc, 0);
      if (op.usage) {
        applied.usageId = addUsage(
          pending,
          a.row.user_id,
          op.usage,
          op.amountMc,
          false,
          applied.transactionId,
          null,
          now,
          undefined,
          op.memberId ?? null,
        );
      }
      return applied;
    }
    case 'clawback': {
      checkAmount(op.amountMc, false);
      const a = account(accounts, op.userId);
      const before = a.row.balance_mc;
      const applied = post(a, pending, op, op.type, -op.amountMc, 0, now);
      // A refund takes from the refunded payment's own grants first.
      spendGrants(state, pending, a.row.user_id, before, a.row.balance_mc, 0, paymentFirst(op));
      return applied;
    }
    case 'reserve':
      return decideReserve(op, state, pending, now);
    case 'capture':
      return decideCapture(op, state, pending, now);
    case 'release':
      return decideRelease(op, state, pending, now);
    case 'record_usage': {
      // The super admin's usage: a `usage` row of amount 0 that says what it would have cost (the contract).
      const a = account(accounts, op.userId);
      const applied = post(
        a,
        pending,
        { ...op, metadata: { ...usageRowMetadata(op.usage, op.metadata), wouldHaveCost: mcToCredits(op.usage.costMc) } },
        'usage',
        0,
        0,
        now,
      );
      applied.usageId = addUsage(pending, op.userId, op.usage, 0, true, applied.transactionId, null, now, undefined, op.memberId ?? null);
      applied.chargedMc = 0;
      return applied;
    }
    case 'reverse_usage': {
      const u = usages.get(op.usageId);
      if (!u || u.row.user_id !== op.userId) throw notFound('Usage');
      if (u.row.reverses_id !== null) throw invalid('A reversal cannot be reversed.');
      if (u.reversed) throw conflict('This usage was already reversed.');
      const a = account(accounts, op.userId);
      const charged = u.row.charged_mc;
      // The charge leaves the member's spending of the month it was charged in.
      const memberId = u.row.member_id;
      const m = memberId ? state.members.get(memberKey(op.userId, memberId)) : undefined;
      if (m && u.row.bypass !== 1 && monthOf(u.row.created_at) === state.month) m.usedMc -= charged;
      let applied: Applied;
      if (u.row.bypass === 1 || charged === 0) {
        applied = unposted(a, now);
      } else {
        a.row.lifetime_used_mc -= charged;
        const before = a.row.balance_mc;
        applied = post(
          a,
          pending,
          { ...op, description: op.description ?? 'Usage reversed', refType: USAGE_REVERSAL_REF, refId: u.row.id, memberId },
          'adjustment',
          charged,
          0,
          now,
        );
        // The charge given back is a grant of its own (an adjustment that never expires), worth
        // what the credits the charge took were worth: the customer paid for them.
        addGrant(state, pending, a, applied, {
          source: 'adjustment',
          creditsMc: charged,
          before,
          expiresAt: null,
          valueCents: u.valueCents ?? 0,
          paymentId: null,
          now,
          quiet: true,
        });
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
        memberId,
      );
      return applied;
    }
    case 'expire_grant':
      return decideExpireGrant(op, account(accounts, op.userId), state, pending, now);
    case 'compound':
      return decideCompound(op, state, pending, now);
  }
}

/**
 * Every op but a compound one checks before it changes anything, so a refusal leaves
 * the state as it was. A compound one decides its steps on scratch rows and keeps them
 * only if every step passed.
 */
function decideCompound(op: CompoundOp, state: BatchState, pending: Pending, now: number): Applied {
  const { accounts, reservations, usages } = state;
  const a = account(accounts, op.userId);
  const savedAccount = { ...a.row };
  const savedDirty = a.dirty;
  const touched = new Map<string, ReservationState | undefined>();
  // A hold settled by a step must be this account's: only this account is restored on a refusal.
  // Its member is every step's that names none.
  const ownSteps = op.steps.map((s) =>
    s.kind === 'capture' || s.kind === 'release'
      ? { ...s, userId: s.userId ?? op.userId }
      : (s.kind === 'debit' || s.kind === 'reserve' || s.kind === 'record_usage') && s.memberId == null && op.memberId
        ? { ...s, memberId: op.memberId }
        : s,
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
  const restoreGrants = snapshotGrants(state, op.userId);
  const restoreMembers = snapshotMembers(state, op.userId);
  const scratch = new Pending(pending.key);
  try {
    const steps = ownSteps.map((s) => decide(s, state, scratch, now));
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
    restoreGrants();
    restoreMembers();
    throw e;
  }
}
