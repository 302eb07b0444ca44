import type { Kysely } from 'kysely';
import type { AccountKind, DB, PaymentRow, PaymentStatus } from '../../db/schema.js';
import { type Page, type PageRequest, paginate } from '../paginate.js';
import { checkRangeOrder } from '../time-range.js';

export interface AdminPaymentsFilter {
  status?: PaymentStatus | undefined;
  userId?: string | undefined;
  /** Created at or after (Unix ms). */
  from?: number | undefined;
  /** Created before (Unix ms). */
  to?: number | undefined;
}

/** A payment with the account that bought: its kind and name, and the email of the personal account's user or, on an organisation, of the member who bought (when recorded). */
export type AdminPaymentRow = PaymentRow & { user_email: string | null; account_name: string | null; account_kind: AccountKind | null };

function query(db: Kysely<DB>, f: AdminPaymentsFilter) {
  checkRangeOrder(f.from, f.to);
  // Outer joins: an organisation's payments have no user of the account's id, and are listed all the same.
  let q = db
    .selectFrom('stripe_payments as p')
    .leftJoin('accounts as a', 'a.id', 'p.user_id')
    .leftJoin('users as u', 'u.id', 'p.user_id')
    // Who bought an organisation's payment (migration 022; null before it and for auto-recharge).
    .leftJoin('users as b', 'b.id', 'p.bought_by')
    .selectAll('p')
    .select((eb) => [eb.fn.coalesce('u.email', 'b.email').as('user_email'), 'a.name as account_name', 'a.kind as account_kind']);
  if (f.status) q = q.where('p.status', '=', f.status);
  if (f.userId) q = q.where('p.user_id', '=', f.userId);
  if (f.from !== undefined) q = q.where('p.created_at', '>=', f.from);
  if (f.to !== undefined) q = q.where('p.created_at', '<', f.to);
  return q;
}

/** Payment monitoring: every account's payments (personal and organisations') newest first, with the account's name and kind and a personal account's email, filtered by status, user and creation time. */
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
