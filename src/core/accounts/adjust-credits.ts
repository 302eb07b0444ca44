import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { recordAudit } from '../audit/record-audit.js';
import type { Core } from '../index.js';
import type { Applied, IdempotencyInput } from '../ledger/types.js';
import { getUser } from './get-user.js';

export interface Adjustment {
  userId: string;
  /** Signed: positive grants, negative takes (refused below zero available). */
  amountMc: number;
  reason: string;
  actorId: string;
  /** When the credits given expire (Unix ms; a positive amount only); absent: never. */
  expiresAt?: number | undefined;
}

/** An admin's adjustment of a user's credits: one `adjustment` ledger row and its audit entry, in one transaction. */
export async function adjustCredits(core: Core, a: Adjustment, idem: IdempotencyInput | undefined): Promise<Applied> {
  const target = await getUser(core.database.db, a.userId);
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
          targetType: 'user',
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
