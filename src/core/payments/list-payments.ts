import type { Kysely } from 'kysely';
import type { DB, PaymentRow, PaymentStatus } from '../../db/schema.js';
import { type Page, type PageRequest, paginate } from '../paginate.js';

/** Payments newest first: one user's (`userId`) or everyone's (admins), optionally of one `status`. */
export async function listPayments(
  db: Kysely<DB>,
  filter: { userId?: string; status?: PaymentStatus | undefined },
  page: PageRequest,
): Promise<Page<PaymentRow>> {
  let q = db.selectFrom('stripe_payments').selectAll();
  if (filter.userId !== undefined) q = q.where('user_id', '=', filter.userId);
  if (filter.status) q = q.where('status', '=', filter.status);
  return paginate(q, 'id', (p) => p.id, page);
}
