import type { Core } from '../index.js';

/** VAPI's words for a live call, in the order a call goes through them. */
const LIVE_ORDER = ['scheduled', 'queued', 'ringing', 'in-progress', 'forwarding'];

/**
 * A VAPI `status-update` message: VAPI's new word for a call in progress is recorded, so
 * that answers say `queued` until VAPI says the call is `in-progress`. No credits move:
 * the call's hold and its settlement are the end-of-call report's. Only forward (messages
 * may arrive out of order: an old `queued` after `in-progress` changes nothing), only for
 * a call VAPI placed that is still in progress (not one ending or settled), and only VAPI's
 * words for a live call (`ended` is for the end-of-call report). Whether it changed a call.
 */
export async function noteProviderStatus(core: Core, message: Record<string, unknown>): Promise<boolean> {
  const m = message as { type?: unknown; status?: unknown; call?: { id?: unknown } };
  if (m.type !== 'status-update' || typeof m.status !== 'string' || typeof m.call?.id !== 'string') return false;
  const rank = LIVE_ORDER.indexOf(m.status);
  if (rank < 0) return false;
  const word = m.status;
  const vapiId = m.call.id;
  // One conditional update: of two messages at once, the later word wins whichever commits first.
  const before = LIVE_ORDER.slice(0, rank);
  return core.writer.transaction(async ({ trx }) => {
    const r = await trx
      .updateTable('vapi_calls')
      .set({ vapi_status: word })
      .where('vapi_id', '=', vapiId)
      .where('status', '=', 'in_progress')
      .where((eb) =>
        before.length > 0 ? eb.or([eb('vapi_status', 'is', null), eb('vapi_status', 'in', before)]) : eb('vapi_status', 'is', null),
      )
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  });
}
