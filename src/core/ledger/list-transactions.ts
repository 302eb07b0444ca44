import type { Kysely } from 'kysely';
import type { DB, TransactionRow, TransactionType } from '../../db/schema.js';
import { type Page, type PageRequest, paginate } from '../paginate.js';
import { checkRangeOrder } from '../time-range.js';

export interface TransactionFilter {
  type?: TransactionType | undefined;
  /** Inclusive, Unix ms. */
  from?: number | undefined;
  /** Exclusive, Unix ms. */
  to?: number | undefined;
}

/** One page of an account's ledger, newest first, keyed by the row's `seq`. */
export async function listTransactions(
  db: Kysely<DB>,
  userId: string,
  f: TransactionFilter,
  page: PageRequest<number>,
): Promise<Page<TransactionRow, number>> {
  checkRangeOrder(f.from, f.to);
  let q = db.selectFrom('credit_transactions').selectAll().where('user_id', '=', userId);
  if (f.type) q = q.where('type', '=', f.type);
  if (f.from !== undefined) q = q.where('created_at', '>=', f.from);
  if (f.to !== undefined) q = q.where('created_at', '<', f.to);
  const p = await paginate(q, 'seq', (t) => t.seq, page);
  return { ...p, rows: await withPublicCallIds(db, p.rows) };
}

/**
 * A call's start is charged before VAPI names the call, so that row's `metadata.callId` is
 * the service's own id, while the call's API answers name it by VAPI's id once known. The
 * ledger row is hashed as written and never changes; the history shows it under the id the
 * API answered, found here for the rows of one page in one query.
 */
async function withPublicCallIds(db: Kysely<DB>, rows: TransactionRow[]): Promise<TransactionRow[]> {
  const parsed = new Map<TransactionRow, Record<string, unknown>>();
  for (const r of rows) {
    if (r.type !== 'usage' || !r.metadata || !r.metadata.includes('"callId"')) continue;
    try {
      const m = JSON.parse(r.metadata) as unknown;
      if (m && typeof m === 'object' && typeof (m as { callId?: unknown }).callId === 'string') parsed.set(r, m as Record<string, unknown>);
    } catch {
      // Metadata that is not JSON is shown as it is.
    }
  }
  if (parsed.size === 0) return rows;
  const ids = [...new Set([...parsed.values()].map((m) => m.callId as string))];
  const named = await db
    .selectFrom('vapi_calls')
    .select(['id', 'vapi_id'])
    .where('id', 'in', ids)
    .where('vapi_id', 'is not', null)
    .execute();
  if (named.length === 0) return rows;
  const vapiId = new Map(named.map((c) => [c.id, c.vapi_id as string]));
  return rows.map((r) => {
    const m = parsed.get(r);
    const id = m ? vapiId.get(m.callId as string) : undefined;
    return m && id ? { ...r, metadata: JSON.stringify({ ...m, callId: id }) } : r;
  });
}

/** Every row under the filter, newest first, read in pages so memory stays flat. */
export async function* allTransactions(db: Kysely<DB>, userId: string, f: TransactionFilter) {
  let after: number | undefined;
  for (;;) {
    const { rows, next } = await listTransactions(db, userId, f, { limit: 1000, after });
    yield rows;
    if (next === null) return;
    after = next;
  }
}
