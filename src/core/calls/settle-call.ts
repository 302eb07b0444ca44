import { DomainError } from '../errors.js';
import type { Core } from '../index.js';
import type { LedgerOp } from '../ledger/types.js';
import { computeCostMc } from '../money.js';

export interface Settlement {
  settled: boolean;
  chargedMc: number;
  durationMs: number;
  call: { id: string; userId: string };
}

/**
 * Settles a call once: its minutes are charged by the per-minute rule its hold was priced
 * with, never beyond the hold, the rest released, and the call marked ended — one ledger
 * operation. A call already settled (or unknown) changes nothing: `settled` is false.
 * Several reports racing for one call are serialised by the hold: only the first captures.
 */
export async function settleCall(core: Core, vapiId: string, durationMs: number, opts: { ownerId?: string } = {}): Promise<Settlement | null> {
  const call = await core.database.db.selectFrom('vapi_calls').selectAll().where('vapi_id', '=', vapiId).executeTakeFirst();
  if (!call || (opts.ownerId !== undefined && call.user_id !== opts.ownerId)) return null;
  const info = { id: vapiId, userId: call.user_id };
  if (call.status !== 'in_progress') return { settled: false, chargedMc: 0, durationMs: call.duration_ms ?? 0, call: info };
  const hold = await core.database.db.selectFrom('reservations').selectAll().where('id', '=', call.reservation_id).executeTakeFirst();
  if (!hold) return { settled: false, chargedMc: 0, durationMs: 0, call: info };
  const ms = Math.max(0, Math.round(durationMs));
  const cost = computeCostMc(hold.rule_credits_mc ?? 0, ms, 'per_minute');
  const bypass = hold.amount_mc === 0 && hold.forced === 1;
  const usage = { operation: 'vapi_call', unit: 'per_minute', quantityMilli: ms, ruleId: hold.rule_id, ruleCreditsMc: hold.rule_credits_mc ?? 0, costMc: cost, metadata: { callId: vapiId } };
  const steps: Exclude<LedgerOp, { kind: 'compound' }>[] = bypass
    ? [
        { kind: 'capture', reservationId: hold.id, amountMc: 0, description: 'Call ended' },
        { kind: 'record_usage', userId: call.user_id, usage },
      ]
    : [{ kind: 'capture', reservationId: hold.id, amountMc: cost, usage, description: `Call minutes (${(ms / 1000).toFixed(3)} s)` }];
  try {
    const a = await core.writer.submit({
      kind: 'compound',
      userId: call.user_id,
      steps,
      refType: 'call',
      refId: vapiId,
      effects: async (trx, applied) => {
        const charged = -applied.amountMc;
        await trx
          .updateTable('vapi_calls')
          .set({ status: 'ended', duration_ms: ms, charged_mc: (call.charged_mc ?? 0) + charged, ended_at: core.now() })
          .where('id', '=', call.id)
          .execute();
      },
    });
    return { settled: true, chargedMc: -a.amountMc, durationMs: ms, call: info };
  } catch (e) {
    if (e instanceof DomainError && e.code === 'conflict') {
      const now = await core.database.db.selectFrom('vapi_calls').select(['duration_ms']).where('id', '=', call.id).executeTakeFirst();
      return { settled: false, chargedMc: 0, durationMs: now?.duration_ms ?? 0, call: info };
    }
    throw e;
  }
}
