import type { CallRow } from '../../db/schema.js';
import { DomainError, conflict } from '../errors.js';
import type { Core } from '../index.js';
import type { IdempotencyInput, LedgerOp } from '../ledger/types.js';
import { computeCostMc } from '../../contracts/money.js';

/** What a settlement was based on: VAPI's report, VAPI's record of the call, the caller (simulated calls only), or the whole hold. */
export type SettledBy = 'report' | 'vapi' | 'caller' | 'hold';

export interface Settlement {
  settled: boolean;
  chargedMc: number;
  durationMs: number;
  call: CallRow;
}

const OPEN = ['starting', 'in_progress', 'ending'] as const;

/**
 * Settles a call once: its minutes (at most its maximum length) are charged by the per-minute
 * rule its hold was priced with, never beyond the hold, the rest released, and the call marked ended — one ledger
 * operation. A call already settled changes nothing: `settled` is false. Several
 * settlements racing for one call are serialised by the hold: only the first captures.
 */
export async function settleCall(
  core: Core,
  callId: string,
  durationMs: number,
  by: SettledBy,
  idem?: IdempotencyInput,
): Promise<Settlement | null> {
  const call = await core.database.db.selectFrom('vapi_calls').selectAll().where('id', '=', callId).executeTakeFirst();
  if (!call) return null;
  if (!(OPEN as readonly string[]).includes(call.status)) return { settled: false, chargedMc: 0, durationMs: call.duration_ms ?? 0, call };
  const hold = await core.database.db.selectFrom('reservations').selectAll().where('id', '=', call.reservation_id).executeTakeFirst();
  if (!hold) return { settled: false, chargedMc: 0, durationMs: 0, call };
  // A call lasts at most its maximum length (VAPI ends it there): a longer duration, whoever
  // tells it (VAPI's report, VAPI's record, the caller of a simulated call), is that length,
  // so the call's row, its usage and the charge (or what it would have cost) say the same.
  const ms = Math.min(Math.max(0, Math.round(durationMs)), call.max_duration_seconds * 1000);
  const cost = computeCostMc(hold.rule_credits_mc ?? 0, ms, 'per_minute');
  const bypass = hold.amount_mc === 0 && hold.forced === 1;
  const callRef = call.vapi_id ?? call.id;
  const usage = {
    operation: 'vapi_call',
    unit: 'per_minute',
    quantityMilli: ms,
    ruleId: hold.rule_id,
    ruleCreditsMc: hold.rule_credits_mc ?? 0,
    costMc: cost,
    metadata: { callId: callRef },
  };
  const steps: Exclude<LedgerOp, { kind: 'compound' }>[] = bypass
    ? [
        { kind: 'capture', reservationId: hold.id, amountMc: 0, description: 'Call ended' },
        { kind: 'record_usage', userId: call.user_id, usage },
      ]
    : [{ kind: 'capture', reservationId: hold.id, amountMc: cost, usage, description: `Call minutes (${ms / 1000} s)` }];
  try {
    const a = await core.writer.submit({
      kind: 'compound',
      userId: call.user_id,
      steps,
      // The owner's end request's key (a simulated call): stored with the settlement, so a retry replays it.
      idem,
      refType: 'call',
      refId: callRef,
      effects: async (trx, applied) => {
        const charged = -applied.amountMc;
        const r = await trx
          .updateTable('vapi_calls')
          .set({ status: 'ended', duration_ms: ms, charged_mc: (call.charged_mc ?? 0) + charged, ended_at: core.now(), settled_by: by })
          .where('id', '=', call.id)
          .where('status', 'in', OPEN)
          .executeTakeFirst();
        if (Number(r.numUpdatedRows) !== 1) throw conflict('The call is no longer open.');
      },
    });
    return { settled: true, chargedMc: -a.amountMc, durationMs: ms, call: await reread(core, call.id) };
  } catch (e) {
    if (e instanceof DomainError && e.code === 'conflict') {
      const now = await reread(core, call.id);
      return { settled: false, chargedMc: 0, durationMs: now.duration_ms ?? 0, call: now };
    }
    throw e;
  }
}

async function reread(core: Core, callId: string): Promise<CallRow> {
  return core.database.db.selectFrom('vapi_calls').selectAll().where('id', '=', callId).executeTakeFirstOrThrow();
}

/**
 * VAPI's end-of-call report: settles the call it names, found by VAPI's id, or by our id
 * (the name the call was placed with) when the service never learnt VAPI's id (it stopped
 * between VAPI's answer and recording it). Unknown calls change nothing: null.
 */
export async function settleReportedCall(
  core: Core,
  report: { vapiId: string; reference: string | null; durationMs: number },
): Promise<Settlement | null> {
  const db = core.database.db;
  let call = await db.selectFrom('vapi_calls').selectAll().where('vapi_id', '=', report.vapiId).executeTakeFirst();
  if (!call && report.reference) {
    const byRef = await db
      .selectFrom('vapi_calls')
      .selectAll()
      .where('id', '=', report.reference)
      .where('vapi_id', 'is', null)
      .executeTakeFirst();
    if (byRef?.status === 'starting') {
      await core.writer.transaction(async ({ trx }) => {
        await trx
          .updateTable('vapi_calls')
          .set({ vapi_id: report.vapiId, status: 'in_progress' })
          .where('id', '=', byRef.id)
          .where('status', '=', 'starting')
          .execute();
      });
      call = await reread(core, byRef.id);
      if (call.vapi_id !== report.vapiId) return null;
    }
  }
  if (!call) return null;
  return settleCall(core, call.id, report.durationMs, 'report');
}

/** VAPI's end-of-call report: duration from endedAt - startedAt, else durationSeconds (ms). */
export function reportDurationMs(m: Record<string, unknown>): number | null {
  const started = typeof m.startedAt === 'string' ? Date.parse(m.startedAt) : Number.NaN;
  const ended = typeof m.endedAt === 'string' ? Date.parse(m.endedAt) : Number.NaN;
  if (Number.isFinite(started) && Number.isFinite(ended) && ended >= started) return ended - started;
  if (typeof m.durationSeconds === 'number' && Number.isFinite(m.durationSeconds) && m.durationSeconds >= 0) {
    return Math.round(m.durationSeconds * 1000);
  }
  if (typeof m.durationMs === 'number' && Number.isFinite(m.durationMs) && m.durationMs >= 0) return Math.round(m.durationMs);
  return null;
}

/**
 * A VAPI server message: an end-of-call report settles its call (found by VAPI's id, or by
 * the name it was placed with) from its duration; other messages, and reports without a
 * duration, change nothing. Whether it settled a call.
 */
export async function settleFromMessage(core: Core, message: Record<string, unknown>): Promise<boolean> {
  const m = message as Record<string, unknown> & { type: string; call?: { id: string; name?: unknown } };
  if (m.type !== 'end-of-call-report' || !m.call?.id) return false;
  const duration = reportDurationMs(m);
  if (duration === null) return false;
  const reference = typeof m.call.name === 'string' ? m.call.name : null;
  const r = await settleReportedCall(core, { vapiId: m.call.id, reference, durationMs: duration });
  return r?.settled ?? false;
}
