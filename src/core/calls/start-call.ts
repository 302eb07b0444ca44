import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { DomainError, insufficientCredits } from '../errors.js';
import { newId } from '../ids.js';
import type { Core } from '../index.js';
import type { Applied, IdempotencyInput, LedgerOp } from '../ledger/types.js';
import { computeCostMc, maxQuantityFor } from '../money.js';

export const DEFAULT_CALL_SECONDS = 600;
const MIN_CALL_SECONDS = 60;

export interface CallHold {
  callId: string;
  reservationId: string;
  maxDurationSeconds: number;
  chargedMc: number;
  reservedMc: number;
  applied: Applied;
}

/**
 * Charges a call's start and holds its minutes in one all-or-nothing ledger operation:
 * vapi_call/per_call now, and vapi_call/per_minute for the longest length the caller can
 * afford after that charge, at most `maxDurationSeconds`, in whole seconds. Less than a
 * minute affordable is insufficient_credits and nothing is charged. The call row is
 * written in the same transaction, status `starting` until VAPI answers.
 */
export async function holdCall(
  core: Core,
  input: { userId: string; bypass: boolean; phoneNumber: string; assistantId: string | null; maxDurationSeconds: number; idem?: IdempotencyInput | undefined },
): Promise<CallHold> {
  const perCall = await core.pricing.rule('vapi_call', 'per_call');
  const perMinute = await core.pricing.rule('vapi_call', 'per_minute');
  const callId = newId();
  const reservationId = newId();
  const wanted = input.maxDurationSeconds;
  let granted = wanted;
  const perCallCost = computeCostMc(perCall.credits_mc, 1000, 'per_call');
  const holdFor = (seconds: number) => computeCostMc(perMinute.credits_mc, seconds * 1000, 'per_minute');
  const now = core.now();
  const expiresAt = now + (wanted + 24 * 3600) * 1000;
  const usage = { operation: 'vapi_call', unit: 'per_call', quantityMilli: 1000, ruleId: perCall.id, ruleCreditsMc: perCall.credits_mc, costMc: perCallCost, metadata: { callId } };
  const pricing = { operation: 'vapi_call', unit: 'per_minute', ruleId: perMinute.id, ruleCreditsMc: perMinute.credits_mc };
  const steps: Exclude<LedgerOp, { kind: 'compound' }>[] = input.bypass
    ? [
        { kind: 'record_usage', userId: input.userId, usage },
        // The super admin is never charged: the hold is empty and settles as bypassed usage.
        { kind: 'reserve', userId: input.userId, reservationId, amountMc: 0, forced: true, expiresAt, pricing, description: 'Call minutes (not charged)' },
      ]
    : [
        { kind: 'debit', userId: input.userId, amountMc: perCallCost, type: 'usage', usage, description: 'Call started' },
        {
          kind: 'reserve',
          userId: input.userId,
          reservationId,
          amountMc: holdFor(wanted),
          expiresAt,
          pricing,
          description: `Call minutes held (up to ${wanted} s)`,
          shrink: (available) => {
            const affordable = Math.floor(maxQuantityFor(perMinute.credits_mc, available, 'per_minute') / 1000);
            granted = Math.min(wanted, affordable);
            return granted < MIN_CALL_SECONDS ? null : holdFor(granted);
          },
        },
      ];
  let applied: Applied;
  try {
    applied = await core.writer.submit({
      kind: 'compound',
      userId: input.userId,
      steps,
      idem: input.idem,
      refType: 'call',
      refId: callId,
      effects: async (trx: Kysely<DB>, a) => {
        await trx
          .insertInto('vapi_calls')
          .values({
            id: callId,
            vapi_id: null,
            idempotency_id: input.idem ? `${input.idem.scope}:${input.idem.key}` : null,
            user_id: input.userId,
            reservation_id: reservationId,
            status: 'starting',
            phone_number: input.phoneNumber,
            assistant_id: input.assistantId,
            max_duration_seconds: input.bypass ? wanted : granted,
            simulated: 0,
            duration_ms: null,
            charged_mc: input.bypass ? 0 : perCallCost,
            created_at: now,
            ended_at: null,
          })
          .execute();
        return { callId, maxDurationSeconds: input.bypass ? wanted : granted };
      },
    });
  } catch (e) {
    if (e instanceof DomainError && e.code === 'insufficient_credits') {
      const bal = await core.ledger.balance(input.userId);
      throw insufficientCredits(perCallCost + holdFor(MIN_CALL_SECONDS), bal.availableMc);
    }
    throw e;
  }
  const fx = applied.effects as { callId: string; maxDurationSeconds: number } | undefined;
  return {
    callId: fx?.callId ?? callId,
    reservationId,
    maxDurationSeconds: fx?.maxDurationSeconds ?? granted,
    chargedMc: input.bypass ? 0 : perCallCost,
    reservedMc: applied.steps?.[1]?.reservedChangeMc ?? 0,
    applied,
  };
}

/** VAPI accepted the call: it is in progress under VAPI's id. */
export async function markCallStarted(core: Core, callId: string, vapiId: string, simulated: boolean): Promise<void> {
  await core.writer.transaction(async ({ trx }) => {
    await trx.updateTable('vapi_calls').set({ vapi_id: vapiId, status: 'in_progress', simulated: simulated ? 1 : 0 }).where('id', '=', callId).execute();
  });
}

/** VAPI refused or never answered: the hold is released and the start charge given back, in one operation. */
export async function abandonCall(core: Core, callId: string): Promise<void> {
  const call = await core.database.db.selectFrom('vapi_calls').selectAll().where('id', '=', callId).executeTakeFirst();
  if (!call || call.status !== 'starting') return;
  const back = call.charged_mc ?? 0;
  const steps: Exclude<LedgerOp, { kind: 'compound' }>[] = [{ kind: 'release', reservationId: call.reservation_id, reason: 'released', description: 'Call could not be started' }];
  if (back > 0) steps.push({ kind: 'credit', userId: call.user_id, amountMc: back, type: 'adjustment', description: 'Call could not be started: start charge returned' });
  await core.writer.submit({
    kind: 'compound',
    userId: call.user_id,
    steps,
    refType: 'call',
    refId: callId,
    effects: async (trx) => {
      await trx.updateTable('vapi_calls').set({ status: 'failed', ended_at: core.now() }).where('id', '=', callId).execute();
    },
  });
}
