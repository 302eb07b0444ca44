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
import { principal } from './auth.js';
import type { Idempotency, StoredReply } from './idempotency.js';

export interface ChargeRequest {
  operation: string;
  unit: string;
  /** Base quantity in thousandths. */
  quantityMilli: number;
  /** Whose credits: the signed-in user unless given (POST /api/usage names a user). */
  userId?: string;
  /** The organisation member who causes the charge (their monthly limit is enforced by the writer); null or absent: none. */
  memberId?: string | null;
  /** Whether that user is a super admin (defaults to the signed-in principal's role). */
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
    const p = principal(req);
    const userId = c.userId ?? p.id;
    const bypass = c.bypass ?? p.role === 'super_admin';
    const counted = new WeakSet<Applied>();
    const render = (applied: Applied) => {
      if (!counted.has(applied) && !applied.replayed && applied.amountMc < 0) {
        counted.add(applied);
        this.metrics.creditsCharged.inc({ operation: c.operation }, mcToCredits(-applied.amountMc));
      }
      return c.render(applied);
    };
    try {
      const reply = await this.idempotency.run(
        req,
        {
          scope: c.scope ?? userId,
          required: c.requireKey,
          render,
          ...(c.key !== undefined ? { key: c.key } : {}),
          ...(c.body !== undefined ? { body: c.body } : {}),
        },
        (idem) =>
          this.core.ledger.spend(userId, {
            operation: c.operation,
            unit: c.unit,
            quantityMilli: c.quantityMilli,
            bypass,
            idem,
            usageMetadata: c.metadata ?? null,
            metadata: c.transactionMetadata,
            description: c.description,
            effects: c.effects,
            memberId: c.memberId,
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
}
