import { conflict } from '../errors.js';
import type { Core } from '../index.js';
import { holdStatus, loadHold } from './load-hold.js';

/**
 * Sets a held hold's expiry to `ttlSeconds` from now. A hold past its expiry (swept or not),
 * or settled, cannot be extended (409). The UPDATE is conditional on the hold being active
 * and unexpired, so it never revives a hold the sweeper has picked (those are past expiry).
 */
export async function extendHold(core: Core, input: { id: string; ttlSeconds: number }): Promise<{ status: 'held'; expiresAt: number }> {
  const h = await loadHold(core.database.db, input.id);
  const now = core.now();
  const expiresAt = now + input.ttlSeconds * 1000;
  const r = await core.database.db
    .updateTable('reservations')
    .set({ expires_at: expiresAt })
    .where('id', '=', h.id)
    .where('status', '=', 'active')
    .where('expires_at', '>', now)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) === 0) {
    const after = await loadHold(core.database.db, input.id);
    const status = after.status === 'active' ? 'expired' : holdStatus(after.status);
    throw conflict(after.status === 'active' ? 'This hold has expired and cannot be extended.' : `This hold is already ${status}.`, {
      status,
    });
  }
  return { status: 'held', expiresAt };
}
