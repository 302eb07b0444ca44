/**
 * The credit guard: the one piece every metered route uses. For an operation and a
 * quantity it prices, checks and charges through the ledger in one step (the writer's
 * guarded debit: never a read-then-write), records the usage, answers 402 with the
 * required and available credits when short, and lets the super admin through
 * uncharged with the usage marked `bypass`. Operations sized only at their end hold
 * credits first (`hold`) and settle later through the ledger's capture.
 */
import type { FastifyRequest } from 'fastify';
import { DomainError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import type { Applied, Effect } from '../../core/ledger/types.js';
import { mcToCredits } from '../../contracts/money.js';
import type { Metrics } from '../metrics.js';
import { NOT_YOUR_ACCOUNT, account, bypassCharges, idempotencyScope } from './account.js';
import { principal } from './auth.js';
import { HttpError } from '../http-errors.js';
import { findMembership } from '../../core/orgs/membership.js';
import type { Ledger } from '../../core/ledger/ledger.js';
import type { Idempotency, StoredReply } from './idempotency.js';

export interface ChargeRequest {
  operation: string;
  unit: string;
  /** Base quantity in thousandths. */
  quantityMilli: number;
  /** Whose credits: the request's account (X-Account, else the signed-in user's) unless given (POST /api/usage names a user). */
  userId?: string;
  /** The organisation member who causes the charge (their monthly limit is enforced by the writer); null or absent: none. */
  memberId?: string | null;
  /** Whether the charge is waived (default: a super admin on their personal account). */
  bypass?: boolean;
  metadata?: Record<string, unknown> | null;
  /** The ledger row's metadata (what the history shows), when the route sets one. */
  transactionMetadata?: Record<string, unknown> | null;
  /** The owner of the idempotency key, when not the charged user (the service API: the API key). */
  scope?: string;
  description?: string;
  requireKey?: boolean;
  /** An idempotency key given in the body rather than the header. */
  key?: string;
  /** What the idempotency fingerprint covers, when not the parsed body (an upload's name, size and digest). */
  body?: unknown;
  effects?: Effect;
  /** The response for an applied charge; stored with the key for replays. */
  render: (applied: Applied) => StoredReply;
}

/** The `credits` object of a metered response. */
export function chargeSummary(applied: Applied) {
  return {
    charged: mcToCredits(applied.chargedMc ?? -applied.amountMc),
    balance: mcToCredits(applied.balanceMc),
    available: mcToCredits(applied.availableMc),
  };
}

export class CreditGuard {
  constructor(
    private readonly core: Core,
    private readonly idempotency: Idempotency,
    private readonly metrics: Metrics,
  ) {}

  /** Charges the operation for the caller, or throws insufficient_credits (402). */
  async charge(req: FastifyRequest, c: ChargeRequest): Promise<StoredReply> {
    // The account of the request (X-Account, else the caller's own) unless the route names one.
    const userId = c.userId ?? account(req).id;
    const bypass = c.bypass ?? bypassCharges(req);
    // What this request's render counted already (one outcome, in practice): a list, not a
    // WeakSet, whose ephemeron table each request would leave to the GC.
    let counted: Applied[] | null = null;
    const render = (applied: Applied) => {
      if (!counted?.includes(applied) && !applied.replayed && applied.amountMc < 0) {
        if (counted) counted.push(applied);
        else counted = [applied];
        this.metrics.creditsCharged.inc({ operation: c.operation }, mcToCredits(-applied.amountMc));
      }
      return c.render(applied);
    };
    try {
      const reply = await this.idempotency.run(
        req,
        {
          scope: c.scope ?? (c.userId !== undefined ? c.userId : idempotencyScope(req)),
          required: c.requireKey,
          render,
          ...(c.key !== undefined ? { key: c.key } : {}),
          ...(c.body !== undefined ? { body: c.body } : {}),
        },
        (idem) =>
          this.spend(req, c, userId, {
            operation: c.operation,
            unit: c.unit,
            quantityMilli: c.quantityMilli,
            bypass,
            idem,
            usageMetadata: c.metadata ?? null,
            metadata: c.transactionMetadata,
            description: c.description,
            effects: c.effects,
            // The member of X-Account's organisation unless the route names one (or names the account itself).
            memberId: c.memberId !== undefined || c.userId !== undefined ? c.memberId : account(req).memberId,
          }),
      );
      return reply;
    } catch (e) {
      if (e instanceof DomainError && e.code === 'insufficient_credits') {
        this.metrics.insufficient.inc({ operation: c.operation });
      }
      throw e;
    }
  }
  /**
   * The ledger's spend. When the request's organisation was not read at the request (a
   * WRITER_CHECKED_ROUTES charge), the writer refused a non-member with its own 404; it is
   * answered as the request-time check answers (404, NOT_YOUR_ACCOUNT), whether or not the
   * account exists, so the two paths say the same.
   */
  private async spend(req: FastifyRequest, c: ChargeRequest, userId: string, s: Parameters<Ledger['spend']>[1]) {
    try {
      return await this.core.ledger.spend(userId, s);
    } catch (e) {
      const a = account(req);
      if (!(e instanceof DomainError) || e.code !== 'not_found' || a.verified || c.userId !== undefined) throw e;
      const m = await findMembership(this.core.database.db, a.id, principal(req).id);
      if (!m || m.kind !== 'organization') throw new HttpError('not_found', NOT_YOUR_ACCOUNT);
      throw e;
    }
  }
}
