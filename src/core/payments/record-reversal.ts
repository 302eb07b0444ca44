import type { PaymentRow } from '../../db/schema.js';
import { newId } from '../ids.js';
import type { TransactionScope } from '../ledger/writer.js';

/** Money that came back out of the payment now (the analytics book it on this day, not the payment's). */
export async function recordReversal(scope: TransactionScope, p: PaymentRow, kind: 'refund' | 'dispute_lost', cents: number) {
  if (cents <= 0) return;
  await scope.trx
    .insertInto('payment_reversals')
    .values({ id: newId(scope.now), payment_id: p.id, kind, amount_cents: cents, created_at: scope.now })
    .execute();
}
