import type { Kysely } from 'kysely';
import type { CallRow, CallStatus, DB } from '../../db/schema.js';
import { type Page, type PageRequest, mapPage, paginate } from '../paginate.js';

/** A call's status in VAPI's words, as every answer gives it. */
export type CallStatusWord = 'queued' | 'in-progress' | 'ending' | 'ended' | 'failed';

const WORDS: Record<CallStatus, CallStatusWord> = {
  starting: 'queued',
  in_progress: 'in-progress',
  ending: 'ending',
  ended: 'ended',
  failed: 'failed',
};

export function callStatusWord(status: CallStatus): CallStatusWord {
  return WORDS[status];
}

/** The statuses of calls not yet settled. */
export const OPEN_CALL_STATUSES: CallStatus[] = ['starting', 'in_progress', 'ending'];

export type CallFilter = 'open' | CallStatusWord;

export interface ListedCall extends CallRow {
  /** The credits still held for the call's minutes (0 once settled). */
  heldMc: number;
}

function statusesOf(filter: CallFilter): CallStatus[] {
  if (filter === 'open') return OPEN_CALL_STATUSES;
  return (Object.keys(WORDS) as CallStatus[]).filter((s) => WORDS[s] === filter);
}

/** The owner's calls, newest first; `status` filters (`open`: not settled). */
export async function listCalls(
  db: Kysely<DB>,
  userId: string,
  f: { status?: CallFilter | undefined },
  page: PageRequest,
): Promise<Page<ListedCall>> {
  let query = db
    .selectFrom('vapi_calls as c')
    .leftJoin('reservations as r', 'r.id', 'c.reservation_id')
    .selectAll('c')
    .select(['r.amount_mc as hold_mc', 'r.status as hold_status'])
    .where('c.user_id', '=', userId);
  if (f.status) query = query.where('c.status', 'in', statusesOf(f.status));
  const calls = await paginate(query, 'c.id', (c) => c.id, page);
  return mapPage(calls, ({ hold_mc, hold_status, ...c }) => ({ ...c, heldMc: hold_status === 'active' ? (hold_mc ?? 0) : 0 }));
}
