/** The ledger's rows in chain order, a page at a time: what verify and the keying walk. */
import type { Kysely } from 'kysely';
import type { DB, TransactionRow } from '../../db/schema.js';

const PAGE = 5000;

/** Every ledger row, a page at a time, in chain order (account, then seq). */
export async function* ledgerPages(db: Kysely<DB>): AsyncGenerator<TransactionRow[]> {
  let after: { user: string; seq: number } | null = null;
  for (;;) {
    let q = db.selectFrom('credit_transactions').selectAll().orderBy('user_id').orderBy('seq').limit(PAGE);
    if (after) {
      const a = after;
      q = q.where((eb) => eb.or([eb('user_id', '>', a.user), eb.and([eb('user_id', '=', a.user), eb('seq', '>', a.seq)])]));
    }
    const rows: TransactionRow[] = await q.execute();
    if (rows.length > 0) yield rows;
    if (rows.length < PAGE) return;
    const last = rows[rows.length - 1] as TransactionRow;
    after = { user: last.user_id, seq: last.seq };
  }
}
