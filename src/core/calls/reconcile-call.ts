import { sql } from 'kysely';
import type { CallRow } from '../../db/schema.js';
import { DomainError, conflict, notFound } from '../errors.js';
import type { Core } from '../index.js';
import type { LedgerOp } from '../ledger/types.js';
import { type CallProvider, endedDurationMs } from './provider.js';
import { liveWord } from './provider-status.js';
import { settleCall } from './settle-call.js';

export interface CallsConfig {
  /** CALL_GRACE_SECONDS: how long after a call's maximum length VAPI may take to tell its end. */
  graceSeconds: number;
  /** How long one request to VAPI may take before it is given up. */
  providerTimeoutMs: number;
}

/**
 * How long an unconfirmed start waits before its absence from VAPI's list counts as "never
 * placed": the grace period, and never less than a few VAPI timeouts, so that no request
 * that may still be waiting for VAPI's answer is overtaken.
 */
export function startSettleDelayMs(cfg: CallsConfig): number {
  return Math.max(cfg.graceSeconds * 1000, 3 * cfg.providerTimeoutMs);
}

export async function getCallRow(core: Core, callId: string): Promise<CallRow> {
  const row = await core.database.db.selectFrom('vapi_calls').selectAll().where('id', '=', callId).executeTakeFirst();
  if (!row) throw notFound('Call');
  return row;
}

/**
 * VAPI placed the call: it is in progress under VAPI's id, with VAPI's word for it (queued,
 * as VAPI answers a new call; one of a live call's words, provider-status.ts). Only a call
 * still `starting` changes (a released hold never becomes a call in progress); returns the
 * row as it is.
 */
export async function markCallStarted(core: Core, callId: string, vapiId: string, vapiStatus: string): Promise<CallRow> {
  await core.writer.transaction(async ({ trx }) => {
    await trx
      .updateTable('vapi_calls')
      // VAPI's word unless a status-update came first (a later word: kept).
      .set({ vapi_id: vapiId, status: 'in_progress', vapi_status: sql<string | null>`coalesce(vapi_status, ${liveWord(vapiStatus)})` })
      .where('id', '=', callId)
      .where('status', '=', 'starting')
      .execute();
  });
  return getCallRow(core, callId);
}

/**
 * VAPI placed nothing: the hold is released and the start charge reversed (credits,
 * lifetime used and the usage report), with the call marked failed, in one operation. Only a
 * call still `starting` is given up (never one in progress); returns the row as it is.
 */
export async function abandonCall(core: Core, callId: string): Promise<CallRow> {
  const call = await getCallRow(core, callId);
  if (call.status !== 'starting') return call;
  const startUsageId = call.start_usage_id ?? (await legacyStartUsageId(core, call));
  const steps: Exclude<LedgerOp, { kind: 'compound' }>[] = [
    { kind: 'release', reservationId: call.reservation_id, reason: 'released', description: 'Call could not be started' },
  ];
  if (startUsageId) {
    steps.push({
      kind: 'reverse_usage',
      userId: call.user_id,
      usageId: startUsageId,
      description: 'Call could not be started: start charge returned',
    });
  }
  try {
    await core.writer.submit({
      kind: 'compound',
      userId: call.user_id,
      steps,
      refType: 'call',
      refId: callId,
      effects: async (trx) => {
        const r = await trx
          .updateTable('vapi_calls')
          .set({ status: 'failed', ended_at: core.now(), charged_mc: 0, settled_by: 'abandoned' })
          .where('id', '=', callId)
          .where('status', '=', 'starting')
          .executeTakeFirst();
        // Someone else moved the call on meanwhile: nothing of this operation may stay.
        if (Number(r.numUpdatedRows) !== 1) throw conflict('The call is no longer starting.');
      },
    });
  } catch (e) {
    if (!(e instanceof DomainError && e.code === 'conflict')) throw e;
  }
  return getCallRow(core, callId);
}

/** Calls recorded before start_usage_id existed: their start charge's usage row, by its metadata. */
async function legacyStartUsageId(core: Core, call: CallRow): Promise<string | null> {
  const row = await core.database.db
    .selectFrom('usage_tracking')
    .select('id')
    .where('user_id', '=', call.user_id)
    .where('operation', '=', 'vapi_call')
    .where('unit', '=', 'per_call')
    .where('reverses_id', 'is', null)
    .where('metadata', '=', JSON.stringify({ callId: call.id }))
    .executeTakeFirst();
  return row?.id ?? null;
}

export type Reconciled = { kind: 'started' | 'failed' | 'unknown'; call: CallRow };

/**
 * Asks VAPI whether a call still `starting` was placed (its list, by our call id): if so it
 * is marked started under VAPI's id (and settled at once from VAPI's figures when VAPI
 * says it has ended); if VAPI lists none and `abandonIfAbsent`, it is given up (hold
 * released, start charge reversed). When VAPI cannot be asked, nothing changes: `unknown`.
 */
export async function reconcileCall(
  core: Core,
  provider: CallProvider,
  callId: string,
  opts: { abandonIfAbsent: boolean },
): Promise<Reconciled> {
  let call = await getCallRow(core, callId);
  if (call.status !== 'starting') return { kind: call.status === 'failed' ? 'failed' : 'started', call };
  let found: Awaited<ReturnType<CallProvider['findCall']>>;
  try {
    found = await provider.findCall(call.id, call.created_at);
  } catch {
    return { kind: 'unknown', call };
  }
  if (!found) {
    if (!opts.abandonIfAbsent) return { kind: 'unknown', call };
    call = await abandonCall(core, callId);
    return { kind: call.status === 'failed' ? 'failed' : call.status === 'starting' ? 'unknown' : 'started', call };
  }
  call = await markCallStarted(core, callId, found.id, found.status);
  if (call.status === 'failed') {
    // Given up on already: the call is paid back, so it must not go on.
    await provider
      .hangUp(found.id)
      .catch((err) => core.log.error({ err, callId, vapiId: found.id }, 'a paid-back call could not be hung up: it may still be live'));
    return { kind: 'failed', call };
  }
  const ms = endedDurationMs(found);
  if (ms !== null && call.status === 'in_progress') {
    await settleCall(core, call.id, ms, 'vapi');
    call = await getCallRow(core, callId);
  }
  return { kind: call.status === 'failed' ? 'failed' : 'started', call };
}
