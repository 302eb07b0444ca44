import type { ExpressionBuilder, Kysely } from 'kysely';
import type { CallRow, CallStatus, DB } from '../../db/schema.js';
import { type Page, type PageRequest, mapPage, paginate } from '../paginate.js';
import { WAITING_WORDS } from './provider-status.js';

/** A call's status in VAPI's words, as every answer gives it. */
export type CallStatusWord = 'queued' | 'in-progress' | 'ending' | 'ended' | 'failed';

const WORDS: Record<CallStatus, CallStatusWord> = {
  starting: 'queued',
  in_progress: 'in-progress',
  ending: 'ending',
  ended: 'ended',
  failed: 'failed',
};

/**
 * A call's status in VAPI's words: a call VAPI placed is `queued` while VAPI's own word for
 * it is (scheduled, queued or ringing: nobody is talking yet), `in-progress` once VAPI says
 * so (a simulated call at once), or when VAPI gave no word (calls placed before migration 027).
 */
export function callStatusWord(call: Pick<CallRow, 'status' | 'vapi_status'>): CallStatusWord {
  if (call.status === 'in_progress' && call.vapi_status !== null && WAITING_WORDS.includes(call.vapi_status)) return 'queued';
  return WORDS[call.status];
}

/** The statuses of calls not yet settled. */
export const OPEN_CALL_STATUSES: CallStatus[] = ['starting', 'in_progress', 'ending'];

export type CallFilter = 'open' | CallStatusWord;

export interface ListedCall extends CallRow {
  /** The credits still held for the call's minutes (0 once settled). */
  heldMc: number;
}

/** The rows a filter names: by `status`, and by VAPI's word between `queued` and `in-progress`. */
function whereStatus(filter: CallFilter) {
  return (eb: ExpressionBuilder<{ c: DB['vapi_calls'] }, 'c'>) => {
    if (filter === 'open') return eb('c.status', 'in', OPEN_CALL_STATUSES);
    const waiting = eb.and([eb('c.status', '=', 'in_progress'), eb('c.vapi_status', 'in', WAITING_WORDS)]);
    if (filter === 'queued') return eb.or([eb('c.status', '=', 'starting'), waiting]);
    if (filter === 'in-progress')
      return eb.and([
        eb('c.status', '=', 'in_progress'),
        eb.or([eb('c.vapi_status', 'is', null), eb('c.vapi_status', 'not in', WAITING_WORDS)]),
      ]);
    return eb(
      'c.status',
      'in',
      (Object.keys(WORDS) as CallStatus[]).filter((s) => WORDS[s] === filter),
    );
  };
}

/**
 * The account's calls, newest first; `status` filters (`open`: not settled). `startedBy` (a
 * plain member of an organisation) keeps the calls that member started: their hold's member.
 */
export async function listCalls(
  db: Kysely<DB>,
  userId: string,
  f: { status?: CallFilter | undefined; startedBy?: string | null | undefined },
  page: PageRequest,
): Promise<Page<ListedCall>> {
  let query = db
    .selectFrom('vapi_calls as c')
    .leftJoin('reservations as r', 'r.id', 'c.reservation_id')
    .selectAll('c')
    .select(['r.amount_mc as hold_mc', 'r.status as hold_status'])
    .where('c.user_id', '=', userId);
  if (f.startedBy) query = query.where('r.member_id', '=', f.startedBy);
  if (f.status) query = query.where(whereStatus(f.status));
  const calls = await paginate(query, 'c.id', (c) => c.id, page);
  return mapPage(calls, ({ hold_mc, hold_status, ...c }) => ({ ...c, heldMc: hold_status === 'active' ? (hold_mc ?? 0) : 0 }));
}
