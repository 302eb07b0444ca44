import type { CallRow } from '../../db/schema.js';
import { DomainError, conflict, notFound } from '../errors.js';
import type { Core } from '../index.js';
import type { CallProvider } from './provider.js';
import { getCallRow, reconcileCall } from './reconcile-call.js';
import { settleCall } from './settle-call.js';

export type EndOutcome =
  /** Settled by this request (simulated calls), or settled before it (`settled` false: nothing changed). */
  | { kind: 'settled'; settled: boolean; chargedMc: number; durationMs: number; call: CallRow }
  /** VAPI was asked to hang up; the call is settled from VAPI's figures when they come. */
  | { kind: 'ending'; call: CallRow };

/**
 * The owner ends a call (`id`: VAPI's id, or ours for a call VAPI never confirmed).
 * Simulated calls settle at once for the caller's duration (by default the time since the
 * start, at most the call's maximum). Real calls are never settled from a number the
 * caller sends: VAPI is asked to hang up, the call becomes `ending`, and its charge comes
 * from VAPI's end-of-call report or VAPI's record of the call. A settled call changes nothing.
 */
export async function endCall(
  core: Core,
  provider: CallProvider,
  input: { userId: string; id: string; durationMs?: number | undefined },
): Promise<EndOutcome> {
  const db = core.database.db;
  const call =
    (await db
      .selectFrom('vapi_calls')
      .selectAll()
      .where('vapi_id', '=', input.id)
      .where('user_id', '=', input.userId)
      .executeTakeFirst()) ??
    (await db.selectFrom('vapi_calls').selectAll().where('id', '=', input.id).where('user_id', '=', input.userId).executeTakeFirst());
  if (!call) throw notFound('Call');
  if (call.status === 'ended' || call.status === 'failed') {
    return { kind: 'settled', settled: false, chargedMc: 0, durationMs: call.duration_ms ?? 0, call };
  }
  if (call.simulated === 1) {
    const elapsed = Math.min(core.now() - call.created_at, call.max_duration_seconds * 1000);
    const r = await settleCall(core, call.id, input.durationMs ?? elapsed, 'caller');
    if (!r) throw notFound('Call');
    return { kind: 'settled', settled: r.settled, chargedMc: r.chargedMc, durationMs: r.durationMs, call: r.call };
  }
  let current = call;
  if (current.status === 'starting') {
    // VAPI never confirmed it: ask VAPI whether it placed it, to hang it up.
    current = (await reconcileCall(core, provider, current.id, { abandonIfAbsent: false })).call;
    if (current.status === 'starting') throw conflict('The call is still being placed; end it once VAPI has confirmed it.');
    if (current.status === 'ended' || current.status === 'failed') {
      return { kind: 'settled', settled: false, chargedMc: 0, durationMs: current.duration_ms ?? 0, call: current };
    }
  }
  // Ending before VAPI is asked: VAPI's report may come before its answer to the hang-up.
  const askedAt = core.now();
  const wasEnding = current.status === 'ending';
  if (!wasEnding) {
    await core.writer.transaction(async ({ trx }) => {
      await trx
        .updateTable('vapi_calls')
        .set({ status: 'ending', end_requested_at: askedAt })
        .where('id', '=', current.id)
        .where('status', '=', 'in_progress')
        .execute();
    });
  }
  try {
    await provider.hangUp(current.vapi_id as string);
  } catch {
    if (!wasEnding) {
      await core.writer.transaction(async ({ trx }) => {
        await trx
          .updateTable('vapi_calls')
          .set({ status: 'in_progress', end_requested_at: null })
          .where('id', '=', current.id)
          .where('status', '=', 'ending')
          .where('end_requested_at', '=', askedAt)
          .execute();
      });
    }
    throw new DomainError('bad_gateway', 'VAPI could not be asked to hang up; nothing changed. Retry shortly.');
  }
  return { kind: 'ending', call: await getCallRow(core, current.id) };
}
