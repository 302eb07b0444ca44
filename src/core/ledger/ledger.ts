/**
 * The ledger's use-cases: the only way a balance changes. Each builds one operation and
 * hands it to the writer, which commits it with its ledger row (and usage row, rollup,
 * idempotency record) in one transaction.
 */
import type { Kysely, SelectQueryBuilder } from 'kysely';
import type { DB } from '../../db/schema.js';
import { formatCredits, mcToCredits } from '../../contracts/money.js';
import { createAlert } from '../alerts/alerts.js';
import { notFound } from '../errors.js';
import { emitEvent } from '../events/emit-event.js';
import { newId } from '../ids.js';
import type { PricingCache } from '../pricing/rules.js';
import { operationName, unitInWords } from '../../contracts/units.js';
import type { Applied, ClawbackType, CreditType, GrantOptions, HoldPricing, OpBase, UsageInput } from './types.js';
import type { LedgerWriter } from './writer.js';
import { type ExpiringSoon, expiringSoon } from './expiring-soon.js';

export interface Balance {
  balanceMc: number;
  reservedMc: number;
  availableMc: number;
  lifetimePurchasedMc: number;
  lifetimeUsedMc: number;
}

/** What every use-case takes besides its amounts: an op's common part (types.ts); `E` is what `effects` returns. */
type Common<E = undefined> = OpBase<E>;

/** The organisation member who causes a charge or hold (types.ts `memberId`): their limit is enforced by the writer. */
interface ByMember {
  memberId?: string | null | undefined;
}

export interface SpendInput<E = undefined> extends Common<E>, ByMember {
  operation: string;
  unit: string;
  /** Base quantity in thousandths. */
  quantityMilli: number;
  /** The super admin: record the usage, charge nothing. */
  bypass?: boolean | undefined;
  usageMetadata?: Record<string, unknown> | null | undefined;
}

export class Ledger {
  constructor(
    readonly db: Kysely<DB>,
    readonly writer: LedgerWriter,
    readonly pricing: PricingCache,
  ) {}

  /**
   * Adds credits (purchase, bonus, sign-up bonus, auto-recharge, positive adjustment) as a
   * grant; `grant` says when they expire and what they were bought for. A grant other than a
   * purchase emits `credits.granted` with it.
   */
  grant<E = undefined>(
    userId: string,
    amountMc: number,
    type: CreditType,
    c: Common<E> & { grant?: GrantOptions } = {},
  ): Promise<Applied<E>> {
    return this.writer.submit({ kind: 'credit', userId, amountMc, type, ...c });
  }

  /**
   * Expires every grant whose time has come (the sweeper, every HOLD_SWEEP_SECONDS): what is
   * left of it and not reserved by a hold leaves the balance as one `expiry` row, with the
   * `credits.expired` event and an alert, in one transaction. Each grant expires once: the
   * writer refuses a grant already expired (another instance, an earlier pass), inside its
   * transaction. Returns how many grants expired.
   */
  async expireGrants(now = Date.now(), limit = 500): Promise<number> {
    const due = await this.db
      .selectFrom('grants')
      .select(['id', 'user_id'])
      .where('expired_at', 'is', null)
      .$call(dueFirst(now, limit))
      .execute();
    // A grant expired meanwhile by another instance (conflict) is not an error here.
    return fulfilled(due, (g) =>
      this.writer.submit({
        kind: 'expire_grant',
        userId: g.user_id,
        grantId: g.id,
        effects: async (trx, a) => {
          const mc = a.expiredMc ?? 0;
          if (mc > 0) {
            await createAlert(trx, a.userId, 'credits_expired', `${formatCredits(mc)} credits expired.`, a.createdAt, { grantId: g.id });
          }
        },
      }),
    );
  }

  /** Takes credits the account can afford, or throws insufficient_credits. */
  debit<E = undefined>(
    userId: string,
    amountMc: number,
    type: 'usage' | 'adjustment',
    c: Common<E> & ByMember & { usage?: UsageInput } = {},
  ): Promise<Applied<E>> {
    return this.writer.submit({ kind: 'debit', userId, amountMc, type, ...c });
  }

  /** Prices an operation by the active rule and charges it, with its usage row. */
  async spend<E = undefined>(userId: string, s: SpendInput<E>): Promise<Applied<E>> {
    const { rule, costMc, usage } = await this.pricing.priceUsage(s.operation, s.unit, s.quantityMilli, s.usageMetadata);
    const description = s.description ?? `${rule.description || operationName(s.operation)} (${unitInWords(s.unit)})`;
    // Each op built whole (no common part spread into it): one object a request.
    if (s.bypass) {
      return this.writer.submit({
        kind: 'record_usage',
        userId,
        usage,
        idem: s.idem,
        description,
        metadata: s.metadata,
        refType: s.refType,
        refId: s.refId,
        effects: s.effects,
        memberId: s.memberId,
      });
    }
    return this.writer.submit({
      kind: 'debit',
      userId,
      amountMc: costMc,
      type: 'usage',
      usage,
      idem: s.idem,
      description,
      metadata: s.metadata,
      refType: s.refType,
      refId: s.refId,
      effects: s.effects,
      memberId: s.memberId,
    });
  }

  /**
   * Takes back a usage charge as if it had not happened (an operation that was charged but
   * never took place): the credits return, lifetime used and the usage report drop it. Once.
   */
  reverseUsage<E = undefined>(userId: string, usageId: string, c: Common<E> = {}): Promise<Applied<E>> {
    return this.writer.submit({ kind: 'reverse_usage', userId, usageId, ...c });
  }

  /** Takes credits back whatever the balance (refund, lost dispute); it may go below zero. */
  clawBack<E = undefined>(userId: string, amountMc: number, type: ClawbackType, c: Common<E> = {}): Promise<Applied<E>> {
    return this.writer.submit({ kind: 'clawback', userId, amountMc, type, ...c });
  }

  /** Holds credits until `expiresAt`; refused when available is short (unless forced). */
  reserve<E = undefined>(
    userId: string,
    amountMc: number,
    expiresAt: number,
    c: Common<E> &
      ByMember & {
        reservationId?: string;
        pricing?: HoldPricing;
        forced?: boolean;
        shrink?: (availableMc: number) => number | null;
      } = {},
  ): Promise<Applied<E>> {
    const { reservationId, pricing, forced, shrink, ...rest } = c;
    return this.writer.submit({
      kind: 'reserve',
      userId,
      reservationId: reservationId ?? newId(),
      amountMc,
      expiresAt,
      pricing,
      forced,
      shrink,
      ...rest,
    });
  }

  /** Settles a hold: charges `amountMc` (never beyond the hold) and releases the rest. */
  capture<E = undefined>(
    reservationId: string,
    amountMc: number,
    c: Common<E> & { userId?: string; usage?: UsageInput; type?: 'usage' | 'dispute' } = {},
  ): Promise<Applied<E>> {
    return this.writer.submit({ kind: 'capture', reservationId, amountMc, ...c });
  }

  /** Ends a hold without charging. */
  release<E = undefined>(
    reservationId: string,
    c: Common<E> & { userId?: string; reason?: 'released' | 'expired' } = {},
  ): Promise<Applied<E>> {
    const { reason, ...rest } = c;
    return this.writer.submit({ kind: 'release', reservationId, reason: reason ?? 'released', ...rest });
  }

  /** Releases every active hold whose time is up; returns how many were released. */
  async releaseExpiredHolds(now = Date.now(), limit = 500): Promise<number> {
    const due = await this.db.selectFrom('reservations').select('id').where('status', '=', 'active').$call(dueFirst(now, limit)).execute();
    // A hold settled meanwhile (conflict) is not an error here.
    return fulfilled(due, (r) =>
      this.release(r.id, {
        reason: 'expired',
        // The event commits with the release, in the writer's transaction.
        effects: (trx, a) =>
          emitEvent(
            trx,
            {
              type: 'hold.expired',
              accountId: a.userId,
              data: { accountId: a.userId, holdId: r.id, released: mcToCredits(-a.reservedChangeMc) },
            },
            a.createdAt,
          ),
      }),
    );
  }

  /** What of the account's balance expires within the next 30 days (one query on its open grants). */
  expiringSoon(userId: string, now = Date.now()): Promise<ExpiringSoon> {
    return expiringSoon(this.db, userId, now);
  }

  /** The balance as an answer shows it: the account's figures and what of them expires soon, read together. */
  async balanceWithExpiring(userId: string): Promise<{ balance: Balance; soon: ExpiringSoon }> {
    const [balance, soon] = await Promise.all([this.balance(userId), this.expiringSoon(userId)]);
    return { balance, soon };
  }

  /** The account's balance, reserved and available credits. */
  async balance(userId: string): Promise<Balance> {
    const row = await this.db
      .selectFrom('user_credits')
      .select([
        'balance_mc as balanceMc',
        'reserved_mc as reservedMc',
        'available_mc as availableMc',
        'lifetime_purchased_mc as lifetimePurchasedMc',
        'lifetime_used_mc as lifetimeUsedMc',
      ])
      .where('user_id', '=', userId)
      .executeTakeFirst();
    if (!row) throw notFound('Account');
    return row;
  }
}

/** A sweeper's pass: the rows (of grants or holds) whose `expires_at` has come, the earliest first, at most `limit`. */
function dueFirst(now: number, limit: number) {
  return <O>(q: SelectQueryBuilder<DB, 'grants' | 'reservations', O>) =>
    q.where('expires_at', '<=', now).orderBy('expires_at').limit(limit);
}

/** How many of the rows `settle` succeeded on (the sweepers: one refused because another did it first is not an error). */
async function fulfilled<R>(rows: R[], settle: (row: R) => Promise<unknown>): Promise<number> {
  return (await Promise.allSettled(rows.map(settle))).filter((r) => r.status === 'fulfilled').length;
}
