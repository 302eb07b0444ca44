/**
 * Organisation members' monthly limits, decided like affordability: against the state the
 * batch loaded and locked (load-batch.ts reads each member's limit, what they were charged
 * this month and what their open holds reserve, after the account's lock), changed by every
 * op of the batch in order, so several ops of one member in one batch see each other's spend
 * and two batches of one organisation are serialised by its account's lock.
 *
 * What counts against a limit in a calendar month (UTC) is what the member was charged in it
 * (`member_month_usage.used_mc`, the sum of their usage rows' charges that month) plus what
 * their active holds on the organisation reserve: a hold counts from when it reserves, what
 * it captures stays counted (as a charge, in the month of the capture), what it releases no
 * longer counts. A usage reversal gives its charge back to the month it was charged in.
 *
 * Pure; unit-tested in decide-members.test.ts.
 */
import { memberLimitExceeded, notFound } from '../errors.js';
import type { BatchState, MemberState } from './batch-state.js';

/** The last month monthOf named, and the times it covers: [from, to). */
let lastMonth = { from: 0, to: 0, month: '' };

/**
 * The calendar month (UTC) of a time, as member_month_usage keeps it: 'YYYY-MM'. Every batch
 * asks for the month of its time, nearly always the last one asked: formatting a date
 * (toISOString) cost 8,000 instructions a batch (bench/analysis.md, "A batch's reads as raw rows").
 */
export function monthOf(ms: number): string {
  if (ms >= lastMonth.from && ms < lastMonth.to) return lastMonth.month;
  const d = new Date(ms);
  const month = d.toISOString().slice(0, 7);
  lastMonth = { from: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1), to: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1), month };
  return month;
}

export const memberKey = (accountId: string, userId: string) => `${accountId}\u001f${userId}`;

/** What counts against the member's limit now: charged this month plus held. */
export function counted(m: MemberState): number {
  return m.usedMc + m.heldMc;
}

/** The member of an account an op names, or 404: a user who is not (or no longer) a member spends nothing of it. */
export function memberOf(state: BatchState, accountId: string, memberId: string): MemberState {
  const m = state.members.get(memberKey(accountId, memberId));
  if (!m) throw notFound('Member');
  return m;
}

/** What the member may still spend this month (Infinity without a limit; 0 when past it). */
export function limitRoom(m: MemberState): number {
  return m.limitMc === null ? Number.POSITIVE_INFINITY : Math.max(0, m.limitMc - counted(m));
}

/** Refuses (402 member_limit_exceeded) a charge or hold of `amountMc` that would take the member past their limit. */
/** Whether charging or holding `amountMc` more keeps the member within their monthly limit (always, without one). */
export function withinLimit(m: MemberState, amountMc: number): boolean {
  return m.limitMc === null || counted(m) + amountMc <= m.limitMc;
}

export function checkLimit(m: MemberState, amountMc: number): void {
  if (m.limitMc === null || withinLimit(m, amountMc)) return;
  m.refused = true;
  throw memberLimitExceeded(m.limitMc, counted(m), amountMc);
}

/**
 * The members whose limit this batch reached: what counts went from below the limit to the
 * limit or beyond, or a charge was refused for it. The caller raises `member.limit_reached`
 * once per member, month and limit (apply-batch.ts).
 */
export function limitsReached(state: BatchState): MemberState[] {
  const out: MemberState[] = [];
  for (const m of state.members.values()) {
    if (m.limitMc === null) continue;
    if (m.refused || (m.startCountedMc < m.limitMc && counted(m) >= m.limitMc)) out.push(m);
  }
  return out;
}

/** Saves the members of an account, to put back if a compound op is refused. */
export function snapshotMembers(state: BatchState, accountId: string): () => void {
  const saved = [...state.members.values()].filter((m) => m.accountId === accountId).map((m) => [m, { ...m }] as const);
  return () => {
    for (const [m, copy] of saved) Object.assign(m, copy, { refused: m.refused });
  };
}
