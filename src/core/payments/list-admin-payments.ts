import type { Kysely } from 'kysely';
import type { DB, PaymentRow, PaymentStatus } from '../../db/schema.js';
import { type Page, type PageRequest, paginate } from '../paginate.js';

export interface AdminPaymentsFilter {
  status?: PaymentStatus | undefined;
  userId?: string | undefined;
  /** Created at or after (Unix ms). */
  from?: number | undefined;
  /** Created before (Unix ms). */
  to?: number | undefined;
}

export type AdminPaymentRow = PaymentRow & { user_email: string };

function query(db: Kysely<DB>, f: AdminPaymentsFilter) {
  let q = db.selectFrom('stripe_payments as p').innerJoin('users as u', 'u.id', 'p.user_id').selectAll('p').select('u.email as user_email');
  if (f.status) q = q.where('p.status', '=', f.status);
  if (f.userId) q = q.where('p.user_id', '=', f.userId);
  if (f.from !== undefined) q = q.where('p.created_at', '>=', f.from);
  if (f.to !== undefined) q = q.where('p.created_at', '<', f.to);
  return q;
}

/** Payment monitoring: every user's payments newest first, with the payer's email, filtered by status, user and creation time. */
export async function listAdminPayments(db: Kysely<DB>, f: AdminPaymentsFilter, page: PageRequest): Promise<Page<AdminPaymentRow>> {
  return paginate(query(db, f), 'p.id', (p) => p.id, page);
}

/** Every payment under the filter, newest first, in batches (the CSV export). */
export async function* allAdminPayments(db: Kysely<DB>, f: AdminPaymentsFilter, batch = 500): AsyncGenerator<AdminPaymentRow[]> {
  let after: string | undefined;
  do {
    const page = await listAdminPayments(db, f, { limit: batch, after });
    if (page.rows.length > 0) yield page.rows;
    after = page.next ?? undefined;
  } while (after);
}
