import type { Core } from '../index.js';
import type { CallProvider } from './provider.js';

/** VAPI's words for a live call, in the order a call goes through them. */
export const LIVE_WORDS = ['scheduled', 'queued', 'ringing', 'in-progress', 'forwarding'];
/** Those of a call nobody talks on yet: answered `queued`. */
export const WAITING_WORDS = LIVE_WORDS.slice(0, LIVE_WORDS.indexOf('in-progress'));

/** VAPI's word as the service keeps it: one of a live call's, else none (`ended` is the settlement's, an unknown word no step). */
export function liveWord(word: string | null | undefined): string | null {
  return word && LIVE_WORDS.includes(word) ? word : null;
}

/**
 * Records VAPI's word for an open call, only forward (an old `queued` after `in-progress`
 * changes nothing): by VAPI's id, or by our id (the name the call was placed with) while
 * VAPI's answer to the start has not been recorded yet, so a `ringing` that overtakes that
 * answer is kept (markCallStarted then keeps the later word). One conditional update: of two
 * words at once, the later wins whichever commits first. Whether it changed a call.
 */
export async function recordProviderStatus(core: Core, to: { vapiId: string; reference: string | null }, word: string): Promise<boolean> {
  const rank = LIVE_WORDS.indexOf(word);
  if (rank < 0) return false;
  const before = LIVE_WORDS.slice(0, rank);
  return core.writer.transaction(async ({ trx }) => {
    const r = await trx
      .updateTable('vapi_calls')
      .set({ vapi_status: word })
      .where((eb) =>
        eb.or([
          eb.and([eb('vapi_id', '=', to.vapiId), eb('status', '=', 'in_progress')]),
          ...(to.reference ? [eb.and([eb('id', '=', to.reference), eb('status', 'in', ['starting', 'in_progress'])])] : []),
        ]),
      )
      .where((eb) => eb.or([eb('vapi_status', 'is', null), ...(before.length > 0 ? [eb('vapi_status', 'in', before)] : [])]))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  });
}

/**
 * A VAPI `status-update` message: VAPI's new word for a call is recorded (above), so that
 * answers say `queued` until VAPI says the call is `in-progress`. No credits move: the
 * call's hold and its settlement are the end-of-call report's. Whether it changed a call.
 */
export async function noteProviderStatus(core: Core, message: Record<string, unknown>): Promise<boolean> {
  const m = message as { type?: unknown; status?: unknown; call?: { id?: unknown; name?: unknown } };
  if (m.type !== 'status-update' || typeof m.status !== 'string' || typeof m.call?.id !== 'string') return false;
  const reference = typeof m.call.name === 'string' ? m.call.name : null;
  return recordProviderStatus(core, { vapiId: m.call.id, reference }, m.status);
}

/**
 * Calls VAPI has held in a waiting word for `staleMs` (a status-update lost, or handled by an
 * instance of the release before migration 027, which ignores them): asked of VAPI
 * (`GET /call/:id`), at most `limit` a pass, and their word moved on. Run by the sweeper.
 */
export async function refreshWaitingCalls(core: Core, provider: CallProvider, opts: { staleMs: number; limit?: number }): Promise<number> {
  const waiting = await core.database.db
    .selectFrom('vapi_calls')
    .select('vapi_id')
    .where('status', '=', 'in_progress')
    .where('vapi_id', 'is not', null)
    .where('vapi_status', 'in', WAITING_WORDS)
    .where('simulated', '=', 0)
    .where('created_at', '<', core.now() - opts.staleMs)
    .orderBy('created_at')
    .limit(opts.limit ?? 50)
    .execute();
  let moved = 0;
  for (const { vapi_id: vapiId } of waiting) {
    if (vapiId === null) continue;
    const facts = await provider.getCall(vapiId).catch(() => null);
    if (facts && (await recordProviderStatus(core, { vapiId, reference: null }, facts.status))) moved++;
  }
  return moved;
}
