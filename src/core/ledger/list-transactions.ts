import type { Kysely } from 'kysely';
import type { DB, TransactionRow, TransactionType } from '../../db/schema.js';

export interface TransactionFilter {
  type?: TransactionType | undefined;
  /** Inclusive, Unix ms. */
  from?: number | undefined;
  /** Exclusive, Unix ms. */
  to?: number | undefined;
}

/** One page of an account's ledger, newest first, after the row `beforeSeq` (exclusive). */
export async function listTransactions(
  db: Kysely<DB>,
  userId: string,
  f: TransactionFilter,
  page: { limit: number; beforeSeq?: number | undefined },
): Promise<{ rows: TransactionRow[]; nextSeq: number | null }> {
  let q = db.selectFrom('credit_transactions').selectAll().where('user_id', '=', userId);
  if (f.type) q = q.where('type', '=', f.type);
  if (f.from !== undefined) q = q.where('created_at', '>=', f.from);
  if (f.to !== undefined) q = q.where('created_at', '<', f.to);
  if (page.beforeSeq !== undefined) q = q.where('seq', '<', page.beforeSeq);
  const rows = await q.orderBy('seq', 'desc').limit(page.limit + 1).execute();
  const more = rows.length > page.limit;
  if (more) rows.length = page.limit;
  return { rows, nextSeq: more ? (rows[rows.length - 1] as TransactionRow).seq : null };
}

/** Every row under the filter, newest first, read in pages so memory stays flat. */
export async function* allTransactions(db: Kysely<DB>, userId: string, f: TransactionFilter) {
  let beforeSeq: number | undefined;
  for (;;) {
    const { rows, nextSeq } = await listTransactions(db, userId, f, { limit: 1000, beforeSeq });
    yield rows;
    if (nextSeq === null) return;
    beforeSeq = nextSeq;
  }
}
