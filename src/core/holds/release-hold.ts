import { DomainError, conflict } from '../errors.js';
import type { Core } from '../index.js';
import type { IdempotencyInput } from '../ledger/types.js';
import { holdStatus, loadHold } from './load-hold.js';

/**
 * Ends a hold without charging. Releasing a released (or expired) hold changes nothing and
 * answers its status; a captured hold is 409.
 */
export async function releaseHold(
  core: Core,
  input: { id: string; idem?: IdempotencyInput | undefined },
): Promise<{ status: 'released' | 'expired' }> {
  const h = await loadHold(core.database.db, input.id);
  if (h.status === 'released' || h.status === 'expired') return { status: h.status };
  if (h.status !== 'active') throw conflict(`This hold is already ${holdStatus(h.status)}.`, { status: holdStatus(h.status) });
  try {
    await core.ledger.release(h.id, { userId: h.userId, idem: input.idem });
    return { status: 'released' };
  } catch (e) {
    // Settled meanwhile (a capture, the sweeper): answer by what it became.
    if (e instanceof DomainError && e.code === 'conflict') {
      const now = await loadHold(core.database.db, input.id);
      if (now.status === 'released' || now.status === 'expired') return { status: now.status };
    }
    throw e;
  }
}
