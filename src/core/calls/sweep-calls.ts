import { sql } from 'kysely';
import type { CallRow } from '../../db/schema.js';
import type { Core } from '../index.js';
import { type CallFacts, type CallProvider, endedDurationMs } from './provider.js';
import { type CallsConfig, abandonCall, reconcileCall, startSettleDelayMs } from './reconcile-call.js';
import { refreshWaitingCalls } from './provider-status.js';
import { settleCall } from './settle-call.js';

/** A call charged its whole hold because VAPI could not tell how long it lasted. */
export interface UntoldCall {
  callId: string;
  vapiId: string | null;
  userId: string;
  reason: string;
}

export interface SweepReport {
  /** Calls settled by this pass (from VAPI's figures or the whole hold). */
  settled: number;
  /** Starts given up after VAPI said it placed nothing (hold released, start charge reversed). */
  abandoned: number;
  /** The settlements of the whole hold because VAPI could not tell: to be logged. */
  untold: UntoldCall[];
  /** Calls whose VAPI word was still a waiting one a minute on, moved on by asking VAPI. */
  refreshed: number;
}

/** How long a call may wait for VAPI's status-update before the sweeper asks VAPI itself. */
const WORD_STALE_MS = 60_000;

/**
 * Settles the calls whose end-of-call report has not come, paging through every due call
 * (so calls that stay open, however many, never starve newer ones):
 * - `ending` (hang-up asked): as soon as VAPI reports the call ended, from VAPI's figures;
 * - `in_progress` and `ending` past their maximum length plus the grace period: from VAPI's
 *   figures if VAPI reports an end, else (VAPI does not answer, or reports no end) the whole
 *   hold is charged and the case is reported in `untold`;
 * - `starting` past the start delay: reconciled with VAPI's list (started, or given up when
 *   VAPI lists none); past the maximum length plus grace with VAPI still silent, the whole
 *   hold is charged as for a call in progress.
 * Simulated calls past their maximum plus grace are charged their whole hold; one still
 * starting past the start delay was never placed and is given up. Last, calls VAPI's word
 * has kept waiting (queued, ringing) for a minute are asked of VAPI (provider-status.ts).
 */
export async function sweepCalls(
  core: Core,
  provider: CallProvider,
  cfg: CallsConfig,
  opts: { pageSize?: number } = {},
): Promise<SweepReport> {
  const now = core.now();
  const db = core.database.db;
  const pageSize = opts.pageSize ?? 200;
  const graceMs = cfg.graceSeconds * 1000;
  const report: SweepReport = { settled: 0, abandoned: 0, untold: [], refreshed: 0 };
  let after: { createdAt: number; id: string } | null = null;
  for (;;) {
    let q = db
      .selectFrom('vapi_calls')
      .selectAll()
      .where((eb) =>
        eb.or([
          eb('status', '=', 'ending'),
          eb.and([eb('status', '=', 'starting'), eb('created_at', '<', now - startSettleDelayMs(cfg))]),
          eb.and([eb('status', '=', 'in_progress'), eb(sql<number>`created_at + max_duration_seconds * 1000`, '<', now - graceMs)]),
        ]),
      )
      .orderBy('created_at')
      .orderBy('id')
      .limit(pageSize);
    if (after) {
      const a = after;
      q = q.where((eb) => eb.or([eb('created_at', '>', a.createdAt), eb.and([eb('created_at', '=', a.createdAt), eb('id', '>', a.id)])]));
    }
    const page = await q.execute();
    for (const c of page) await sweepOne(core, provider, c, now, graceMs, cfg, report);
    if (page.length < pageSize) break;
    const last = page[page.length - 1] as CallRow;
    after = { createdAt: last.created_at, id: last.id };
  }
  if (!provider.simulated) report.refreshed = await refreshWaitingCalls(core, provider, { staleMs: WORD_STALE_MS });
  return report;
}

async function sweepOne(
  core: Core,
  provider: CallProvider,
  c: CallRow,
  now: number,
  graceMs: number,
  cfg: CallsConfig,
  report: SweepReport,
) {
  const pastDeadline = c.created_at + c.max_duration_seconds * 1000 < now - graceMs;
  const wholeHold = async (reason: string | null) => {
    const r = await settleCall(core, c.id, c.max_duration_seconds * 1000, 'hold');
    if (!r?.settled) return;
    report.settled++;
    if (reason) report.untold.push({ callId: c.id, vapiId: c.vapi_id, userId: c.user_id, reason });
  };
  if (c.simulated === 1) {
    if (c.status === 'starting') {
      // Simulated calls are placed the moment they are asked for: one still starting was
      // never placed (the service stopped in between), so it is given up.
      if ((await abandonCall(core, c.id)).status === 'failed') report.abandoned++;
    } else if (pastDeadline) await wholeHold(null);
    return;
  }
  let call = c;
  if (call.status === 'starting') {
    const r = await reconcileCall(core, provider, call.id, { abandonIfAbsent: true });
    if (r.kind === 'failed') {
      if (r.call.settled_by === 'abandoned') report.abandoned++;
      return;
    }
    if (r.kind === 'unknown') {
      if (pastDeadline) await wholeHold('VAPI could not be asked whether the call was placed');
      return;
    }
    if (r.call.status === 'ended') {
      report.settled++;
      return;
    }
    call = r.call;
  }
  if (!call.vapi_id) return;
  let facts: CallFacts | null = null;
  let asked = true;
  try {
    facts = await provider.getCall(call.vapi_id);
  } catch {
    asked = false;
  }
  const ms = facts ? endedDurationMs(facts) : null;
  if (ms !== null) {
    const r = await settleCall(core, call.id, ms, 'vapi');
    if (r?.settled) report.settled++;
    return;
  }
  if (!pastDeadline) return;
  await wholeHold(!asked ? 'VAPI did not answer' : !facts ? 'VAPI does not know the call' : `VAPI reports no end (status ${facts.status})`);
}
