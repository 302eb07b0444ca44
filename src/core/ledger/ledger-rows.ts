/**
 * How a decision becomes rows: an op that moves an account posts one hashed ledger row
 * (`post`), a charged or recorded operation adds its usage row and rollup (`addUsage`),
 * and an op that moves nothing reports the account as it stands (`unposted`). Pure: the
 * rows are appended to the batch's `Pending`, written later by the dialect's writer.
 */
import type { TransactionType } from '../../db/schema.js';
import type { AccountState, Pending } from './batch-state.js';
import { monthOf } from './decide-members.js';
import { hashRow } from './hash.js';
import { newId } from '../ids.js';
import type { Applied, UsageInput } from './types.js';

const HOUR_MS = 3_600_000;

export function available(a: AccountState): number {
  return a.row.balance_mc - a.row.reserved_mc;
}

/** The outcome of an op that writes no ledger row (bypassed usage): the account as it stands. */
export function unposted(a: AccountState, now: number): Applied {
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
export function post(
  a: AccountState,
  pending: Pending,
  op: {
    description?: string | undefined;
    metadata?: Record<string, unknown> | null | undefined;
    refType?: string | undefined;
    refId?: string | undefined;
    idem?: { key: string } | undefined;
    /** The organisation member who caused it (recorded on the row and covered by its hash). */
    memberId?: string | null | undefined;
  },
  type: TransactionType,
  amountMc: number,
  reservedChangeMc: number,
  now: number,
  /**
   * The metadata's JSON when it is already made (usageMetadataText): then `op.metadata` is not
   * read. A parameter, not a field of a copy of `op`: a copy per charge made a new object whose
   * map varied with the op's, and the reads of it here missed their caches (bench/analysis.md,
   * "A copy of each charge's op").
   */
  metadataText?: string,
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
    // A ledger row's text as both databases store it (toWellFormed: U+FFFD for a lone surrogate,
    // what UTF-8 and so the hash make of it): PostgreSQL stores that, but SQLite (better-sqlite3)
    // stored the surrogate's three bytes and read them back as three U+FFFD, so the hash failed.
    // Text a person types is refused with one (contracts/text.ts); this covers the rest (a name
    // stored before that check, a reference).
    description: (op.description ?? defaultDescription(type)).toWellFormed(),
    // JSON.stringify writes a lone surrogate as an escape: metadata is exact on both.
    metadata: metadataText ?? (op.metadata ? JSON.stringify(op.metadata) : null),
    reference_type: op.refType ?? null,
    reference_id: op.refId?.toWellFormed() ?? null,
    idempotency_key: op.idem?.key.toWellFormed() ?? null,
    member_id: op.memberId ?? null,
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

/**
 * What a `usage` ledger row says it paid for, when its operation did not say it itself: the
 * operation, unit and quantity (in the unit's base quantity), the call's length in seconds
 * for call minutes, and what the usage record names (`callId`, `fileName`, `bytes`,
 * `workflowId`...).
 */
export function usageRowMetadata(u: UsageInput, given: Record<string, unknown> | null | undefined): Record<string, unknown> {
  if (given) return given;
  const quantity = u.quantityMilli / 1000;
  return {
    operation: u.operation,
    unit: u.unit,
    quantity,
    ...(u.unit === 'per_minute' ? { durationSeconds: quantity } : {}),
    ...(u.metadata ?? {}),
  };
}

/** The usage record's metadata as the usage row stores it (JSON), made once per record. */
export function usageText(u: UsageInput): string | null {
  if (!u.metadata) return null;
  if (u.metadataText === undefined) u.metadataText = JSON.stringify(u.metadata);
  return u.metadataText;
}

/** Keys that make the spliced text differ from the merged object's: a key of the head, or one JavaScript orders first. */
const SPLICE_UNSAFE = /^(?:operation|unit|quantity|durationSeconds|toJSON|\d.*)$/s;

/** Whether a usage record's own JSON can follow the head as it is: a plain object with no key SPLICE_UNSAFE names. */
function spliceable(meta: Record<string, unknown> | null | undefined): boolean {
  if (!meta) return true;
  const proto = Object.getPrototypeOf(meta);
  if (proto !== Object.prototype && proto !== null) return false;
  for (const k in meta) if (SPLICE_UNSAFE.test(k)) return false;
  return true;
}

/**
 * `JSON.stringify(usageRowMetadata(u, given))`, the ledger row's metadata of a usage charge. With
 * no `given`, it is the head (operation, unit, quantity, the call's seconds) followed by the usage
 * row's own text (usageText) after its `{`, so the record's metadata is serialised once for both
 * rows (5,300 instructions a metered request: bench/analysis.md, "The writer's reads of its rows").
 * It falls back to the merged object whenever the two could differ: a key the head also has (the
 * record's value wins, in the head's place), an integer-like key (objects list those first), a
 * `toJSON`, or metadata that is not a plain object. ledger-rows.test.ts checks both agree.
 */
export function usageMetadataText(u: UsageInput, given: Record<string, unknown> | null | undefined): string {
  if (given) return JSON.stringify(given);
  if (!spliceable(u.metadata)) return JSON.stringify(usageRowMetadata(u, null));
  const quantity = JSON.stringify(u.quantityMilli / 1000);
  let text = `{"operation":${JSON.stringify(u.operation)},"unit":${JSON.stringify(u.unit)},"quantity":${quantity}`;
  if (u.unit === 'per_minute') text += `,"durationSeconds":${quantity}`;
  const own = usageText(u);
  return own === null || own === '{}' ? `${text}}` : `${text},${own.slice(1)}`;
}

/**
 * Appends a usage row and its rollup; a member's charge (or a reversal's negative one) is
 * added to what they were charged in the row's month (member_month_usage).
 */
export function addUsage(
  pending: Pending,
  userId: string,
  u: UsageInput,
  chargedMc: number,
  bypass: boolean,
  transactionId: string | null,
  reservationId: string | null,
  now: number,
  reversal?: { reversesId: string; createdAt: number } | undefined,
  memberId: string | null = null,
): string {
  const id = newId(now);
  const at = reversal ? reversal.createdAt : now;
  const ops = reversal ? -1 : 1;
  pending.usageRows.push({
    id,
    user_id: userId,
    member_id: memberId,
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
    metadata: usageText(u),
    created_at: at,
    reverses_id: reversal ? reversal.reversesId : null,
  });
  if (memberId !== null) pending.addMemberUsage(userId, memberId, monthOf(at), chargedMc);
  pending.addRollup(userId, at - (at % HOUR_MS), u.operation, u.unit, chargedMc, ops, u.quantityMilli);
  return id;
}
