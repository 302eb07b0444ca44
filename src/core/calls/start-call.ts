import type { Kysely } from 'kysely';
import type { CallRow, DB } from '../../db/schema.js';
import { DomainError, insufficientCredits, memberLimitExceeded } from '../errors.js';
import { memberSpending } from '../orgs/member-spending.js';
import { newId } from '../ids.js';
import type { Core } from '../index.js';
import type { Applied, IdempotencyInput, StepOp } from '../ledger/types.js';
import { computeCostMc, maxQuantityFor } from '../../contracts/money.js';
import { type CallProvider, CallProviderError } from './provider.js';
import { type CallsConfig, abandonCall, getCallRow, markCallStarted, reconcileCall, startSettleDelayMs } from './reconcile-call.js';

export const DEFAULT_CALL_SECONDS = 600;
const MIN_CALL_SECONDS = 60;

export interface StartCallInput {
  userId: string;
  /** The organisation member who places the call: the start charge and the minutes' hold are theirs and count against their monthly limit (the hold shrinks to what it leaves). */
  memberId?: string | null | undefined;
  /** The super admin: the usage is recorded, nothing is charged. */
  bypass: boolean;
  phoneNumber: string;
  assistantId: string | null;
  maxDurationSeconds: number;
  idem?: IdempotencyInput | undefined;
}

/**
 * How a start ended:
 * - started: VAPI placed the call (its id is `call.vapi_id`);
 * - failed: VAPI did not place it; the hold is released and the start charge reversed;
 * - unconfirmed: VAPI did not say (it timed out or could not be asked) and the call may be
 *   live: its hold is kept until VAPI says (a retry with the same key, or the sweeper);
 * - in_flight: a replay while the first request with the key may still be placing the call.
 */
export type StartOutcome = { kind: 'started' | 'failed' | 'unconfirmed' | 'in_flight'; call: CallRow; replayed: boolean };

/**
 * Starts a call, the whole flow: charge the start and hold the minutes with the call's row
 * (one ledger operation, the attempt recorded before VAPI is asked), ask VAPI to place it
 * under our call id, then mark it started, or give everything back only once VAPI has said
 * it placed nothing. A replay of the same idempotency key resumes the same call: answered
 * from its row, reconciled with VAPI when the first attempt left it unconfirmed.
 */
export async function startCall(core: Core, provider: CallProvider, cfg: CallsConfig, input: StartCallInput): Promise<StartOutcome> {
  const hold = await holdCall(core, { ...input, simulated: provider.simulated });
  if (hold.replayed) return resumeCall(core, provider, cfg, hold.callId);
  const call = await getCallRow(core, hold.callId);
  try {
    const placed = await provider.placeCall({
      reference: call.id,
      phoneNumber: call.phone_number,
      assistantId: call.assistant_id,
      maxDurationSeconds: call.max_duration_seconds,
    });
    const now = await markCallStarted(core, call.id, placed.id, placed.status);
    if (now.status === 'failed') {
      // Given up on meanwhile (it cannot be, short of a clock jump past the start delay):
      // the call is live but paid back, so it must not go on.
      await provider
        .hangUp(placed.id)
        .catch((err) =>
          core.log.error({ err, callId: call.id, vapiId: placed.id }, 'a paid-back call could not be hung up: it may still be live'),
        );
      return { kind: 'failed', call: now, replayed: false };
    }
    return { kind: 'started', call: now, replayed: false };
  } catch (e) {
    if (!(e instanceof CallProviderError)) throw e;
    if (e.definite) {
      // VAPI refused the call: nothing was placed.
      return { kind: 'failed', call: await abandonCall(core, call.id), replayed: false };
    }
    // VAPI may have placed it: look for it before giving anything back. When VAPI answered
    // (a 500), it is done with the request and its list is final. When it did not (a
    // timeout), a call not listed yet may still appear, so its absence is no answer: the
    // call stays held, and a retry or the sweeper decides after the start delay.
    const r = await reconcileCall(core, provider, call.id, { abandonIfAbsent: e.answered });
    return { kind: r.kind === 'started' ? 'started' : r.kind === 'failed' ? 'failed' : 'unconfirmed', call: r.call, replayed: false };
  }
}

/** A replay: the call of the first request, as it stands (reconciled with VAPI if still unconfirmed). */
async function resumeCall(core: Core, provider: CallProvider, cfg: CallsConfig, callId: string): Promise<StartOutcome> {
  const call = await getCallRow(core, callId);
  if (call.status !== 'starting') return { kind: call.status === 'failed' ? 'failed' : 'started', call, replayed: true };
  // Another request may still be asking VAPI: give up on the call only past the start delay.
  const settledEnough = core.now() - call.created_at >= startSettleDelayMs(cfg);
  const r = await reconcileCall(core, provider, callId, { abandonIfAbsent: settledEnough });
  if (r.kind === 'unknown') return { kind: 'in_flight', call: r.call, replayed: true };
  return { kind: r.kind, call: r.call, replayed: true };
}

interface CallHold {
  callId: string;
  replayed: boolean;
  applied: Applied;
}

/**
 * Charges a call's start and holds its minutes in one all-or-nothing ledger operation:
 * vapi_call/per_call now, and vapi_call/per_minute for the longest length the caller can
 * afford after that charge, at most `maxDurationSeconds`, in whole seconds. Less than a
 * minute affordable is insufficient_credits and nothing is charged. The call row is
 * written in the same transaction, status `starting`, before VAPI is asked.
 */
async function holdCall(core: Core, input: StartCallInput & { simulated: boolean }): Promise<CallHold> {
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
  const usage = {
    operation: 'vapi_call',
    unit: 'per_call',
    quantityMilli: 1000,
    ruleId: perCall.id,
    ruleCreditsMc: perCall.credits_mc,
    costMc: perCallCost,
    metadata: { callId },
  };
  const pricing = { operation: 'vapi_call', unit: 'per_minute', ruleId: perMinute.id, ruleCreditsMc: perMinute.credits_mc };
  const steps: StepOp[] = input.bypass
    ? [
        { kind: 'record_usage', userId: input.userId, usage },
        // The super admin is never charged: the hold is empty and settles as bypassed usage.
        {
          kind: 'reserve',
          userId: input.userId,
          reservationId,
          amountMc: 0,
          forced: true,
          expiresAt,
          pricing,
          description: 'Call minutes (not charged)',
        },
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
  let applied: Applied<{ callId: string }>;
  try {
    applied = await core.writer.submit({
      kind: 'compound',
      userId: input.userId,
      memberId: input.memberId,
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
            simulated: input.simulated ? 1 : 0,
            duration_ms: null,
            charged_mc: input.bypass ? 0 : perCallCost,
            created_at: now,
            ended_at: null,
            end_requested_at: null,
            settled_by: null,
            start_usage_id: a.steps?.[0]?.usageId ?? null,
          })
          .execute();
        return { callId };
      },
    });
  } catch (e) {
    if (e instanceof DomainError && e.code === 'insufficient_credits') {
      const bal = await core.ledger.balance(input.userId);
      throw insufficientCredits(perCallCost + holdFor(MIN_CALL_SECONDS), bal.availableMc);
    }
    if (e instanceof DomainError && e.code === 'member_limit_exceeded' && input.memberId) {
      // As above: what the call needs at least (its start and a minute), against what the member
      // had spent and held before it (the refusal's own figures count the start's charge the
      // call's steps decided first, and the hold it wanted whole).
      const m = await memberSpending(core, input.userId, input.memberId);
      if (m?.limitMc != null) throw memberLimitExceeded(m.limitMc, m.usedMc + m.heldMc, perCallCost + holdFor(MIN_CALL_SECONDS));
    }
    throw e;
  }
  return { callId: applied.effects?.callId ?? callId, replayed: applied.replayed, applied };
}
