import type { CallRow } from '../../db/schema.js';
import { DomainError, conflict, notFound } from '../errors.js';
import type { Core } from '../index.js';
import type { IdempotencyInput } from '../ledger/types.js';
import type { CallProvider } from './provider.js';
import { getCallRow, reconcileCall } from './reconcile-call.js';
import { settleCall } from './settle-call.js';

export type EndOutcome =
  /** Settled by this request (simulated calls), or settled before it (`settled` false: nothing changed). */
  | { kind: 'settled'; settled: boolean; chargedMc: number; durationMs: number; call: CallRow }
  /** VAPI was asked to hang up; the call is settled from VAPI's figures when they come. */
  | { kind: 'ending'; call: CallRow };

/**
 * The owner ends a call (`id`: VAPI's id, or ours for a call VAPI never confirmed): on an
 * organisation, `startedBy` (a plain member) finds only the calls that member started
 * (their hold's member); another's is not found, as any call of another account.
 * Simulated calls settle at once for the caller's duration (by default the time since the
 * start, at most the call's maximum). Real calls are never settled from a number the
 * caller sends: VAPI is asked to hang up, the call becomes `ending`, and its charge comes
 * from VAPI's end-of-call report or VAPI's record of the call. A settled call changes nothing.
 */
export async function endCall(
  core: Core,
  provider: CallProvider,
  input: {
    userId: string;
    id: string;
    startedBy?: string | null | undefined;
    durationMs?: number | undefined;
    idem?: IdempotencyInput | undefined;
  },
): Promise<EndOutcome> {
  const db = core.database.db;
  const find = (by: 'c.vapi_id' | 'c.id') => {
    let q = db.selectFrom('vapi_calls as c').selectAll('c').where(by, '=', input.id).where('c.user_id', '=', input.userId);
    const member = input.startedBy;
    if (member) {
      q = q.where(({ exists, selectFrom }) =>
        exists(selectFrom('reservations as r').select('r.id').whereRef('r.id', '=', 'c.reservation_id').where('r.member_id', '=', member)),
      );
    }
    return q.executeTakeFirst();
  };
  const call = (await find('c.vapi_id')) ?? (await find('c.id'));
  if (!call) throw notFound('Call');
  if (call.status === 'ended' || call.status === 'failed') {
    return { kind: 'settled', settled: false, chargedMc: 0, durationMs: call.duration_ms ?? 0, call };
  }
  if (call.simulated === 1) {
    // A longer duration than the call's maximum is settled as that maximum (settleCall).
    const r = await settleCall(core, call.id, input.durationMs ?? core.now() - call.created_at, 'caller', input.idem);
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
  const ending: EndState = { status: 'ending', end_requested_at: askedAt };
  if (!wasEnding) await moveCall(core, current.id, { status: 'in_progress' }, ending);
  try {
    await provider.hangUp(current.vapi_id as string);
  } catch {
    if (!wasEnding) await moveCall(core, current.id, ending, { status: 'in_progress', end_requested_at: null });
    throw new DomainError('bad_gateway', 'VAPI could not be asked to hang up; nothing changed. Retry shortly.');
  }
  return { kind: 'ending', call: await getCallRow(core, current.id) };
}

/** A call's status with its end request (the time the owner asked to end it, while `ending`). */
type EndState = Pick<CallRow, 'status' | 'end_requested_at'>;

/**
 * Moves the call to `to` if it is still as `from` says (its status, and its end request when
 * `from` names one): a guarded write, so a move made meanwhile (VAPI's report, another request) stands.
 */
async function moveCall(core: Core, id: string, from: EndState | Pick<EndState, 'status'>, to: EndState): Promise<void> {
  await core.writer.transaction(async ({ trx }) => {
    let q = trx.updateTable('vapi_calls').set(to).where('id', '=', id).where('status', '=', from.status);
    if ('end_requested_at' in from && from.end_requested_at !== null) q = q.where('end_requested_at', '=', from.end_requested_at);
    await q.execute();
  });
}
