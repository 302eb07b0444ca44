import type { CallRow } from '../../db/schema.js';
import type { Core } from '../index.js';

/** What a started call moved: its start charge, the hold for its minutes, and the account after them. */
export async function getStartCredits(core: Core, c: CallRow) {
  const db = core.database.db;
  const [hold, start, balance] = await Promise.all([
    db.selectFrom('reservations').select(['amount_mc']).where('id', '=', c.reservation_id).executeTakeFirst(),
    c.start_usage_id
      ? db.selectFrom('usage_tracking').select('charged_mc').where('id', '=', c.start_usage_id).executeTakeFirst()
      : undefined,
    core.ledger.balance(c.user_id),
  ]);
  return {
    chargedMc: start?.charged_mc ?? c.charged_mc ?? 0,
    heldMc: hold?.amount_mc ?? 0,
    balanceMc: balance.balanceMc,
    availableMc: balance.availableMc,
  };
}
