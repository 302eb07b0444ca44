import type { Kysely } from 'kysely';
import type { DB, TransactionRow, TransactionType } from '../../db/schema.js';
import { type Page, type PageRequest, paginate } from '../paginate.js';

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
  let q = db.selectFrom('credit_transactions').selectAll().where('user_id', '=', userId);
  if (f.type) q = q.where('type', '=', f.type);
  if (f.from !== undefined) q = q.where('created_at', '>=', f.from);
  if (f.to !== undefined) q = q.where('created_at', '<', f.to);
  return paginate(q, 'seq', (t) => t.seq, page);
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
