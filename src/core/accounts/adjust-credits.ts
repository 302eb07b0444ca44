import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { recordAudit } from '../audit/record-audit.js';
import type { Core } from '../index.js';
import type { Applied, IdempotencyInput } from '../ledger/types.js';
import { getUser } from './get-user.js';
import { getOrganization } from './list-organizations.js';

export interface Adjustment {
  /** The account adjusted: a user's (personal) id, or an organisation's with `targetType: 'organization'`. */
  userId: string;
  /** What `userId` names (the audit entry's `targetType`); a user unless said. */
  targetType?: 'user' | 'organization' | undefined;
  /** Signed: positive grants, negative takes (refused below zero available). */
  amountMc: number;
  reason: string;
  actorId: string;
  /** When the credits given expire (Unix ms; a positive amount only); absent: never. */
  expiresAt?: number | undefined;
}

/**
 * An admin's adjustment of a user's or an organisation's credits: one `adjustment` ledger row and
 * its audit entry, in one transaction. An id that names no such account is not_found.
 */
export async function adjustCredits(core: Core, a: Adjustment, idem: IdempotencyInput | undefined): Promise<Applied> {
  const targetType = a.targetType ?? 'user';
  const target =
    targetType === 'organization' ? await getOrganization(core.database.db, a.userId) : await getUser(core.database.db, a.userId);
  const op = {
    idem,
    description: a.reason,
    metadata: { reason: a.reason, actorId: a.actorId },
    refType: 'admin',
    refId: a.actorId,
    effects: async (trx: Kysely<DB>, applied: Applied) =>
      recordAudit(
        trx,
        {
          actorId: a.actorId,
          action: 'credits.adjust',
          targetType,
          targetId: target.id,
          details: {
            amountMc: a.amountMc,
            reason: a.reason,
            transactionId: applied.transactionId,
            ...(a.expiresAt !== undefined ? { expiresAt: new Date(a.expiresAt).toISOString() } : {}),
          },
        },
        applied.createdAt,
      ),
  };
  return a.amountMc > 0
    ? core.ledger.grant(target.id, a.amountMc, 'adjustment', { ...op, grant: { expiresAt: a.expiresAt ?? null } })
    : core.ledger.debit(target.id, -a.amountMc, 'adjustment', op);
}
