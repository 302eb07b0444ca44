import type { Kysely } from 'kysely';
import type { DB, PaymentRow, PaymentStatus } from '../../db/schema.js';

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

/** Payment monitoring: every user's payments newest first, with the payer's email, filtered by status, user and creation time; keyset pages by id. */
export async function listAdminPayments(db: Kysely<DB>, f: AdminPaymentsFilter, page: { limit: number; afterId?: string | null }): Promise<{ items: AdminPaymentRow[]; nextId: string | null }> {
  let q = query(db, f);
  if (page.afterId) q = q.where('p.id', '<', page.afterId);
  const rows = await q.orderBy('p.id', 'desc').limit(page.limit + 1).execute();
  const more = rows.length > page.limit;
  if (more) rows.length = page.limit;
  return { items: rows, nextId: more ? (rows.at(-1)?.id ?? null) : null };
}

/** Every payment under the filter, newest first, in batches (the CSV export). */
export async function* allAdminPayments(db: Kysely<DB>, f: AdminPaymentsFilter, batch = 500): AsyncGenerator<AdminPaymentRow[]> {
  let afterId: string | null = null;
  do {
    const page: { items: AdminPaymentRow[]; nextId: string | null } = await listAdminPayments(db, f, { limit: batch, afterId });
    if (page.items.length > 0) yield page.items;
    afterId = page.nextId;
  } while (afterId);
}
