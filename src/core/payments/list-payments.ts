import type { Kysely } from 'kysely';
import type { DB, PaymentRow, PaymentStatus } from '../../db/schema.js';
import { type Page, type PageRequest, paginate } from '../paginate.js';

/** A payment with the user who bought it (`bought_by`, migration 022): null for auto-recharge, for payments made before the buyer was recorded, and once that user is gone. */
export type AccountPaymentRow = PaymentRow & { buyer_email: string | null; buyer_name: string | null; package_name: string | null };

/** Payments newest first: one account's (`userId`: a user's own, or an organisation's) or everyone's (admins), optionally of one `status`, each with who bought it. */
export async function listPayments(
  db: Kysely<DB>,
  filter: { userId?: string; status?: PaymentStatus | undefined },
  page: PageRequest,
): Promise<Page<AccountPaymentRow>> {
  let q = db
    .selectFrom('stripe_payments as p')
    .leftJoin('users as b', 'b.id', 'p.bought_by')
    .leftJoin('credit_packages as k', 'k.id', 'p.package_id')
    .selectAll('p')
    .select(['b.email as buyer_email', 'b.name as buyer_name', 'k.name as package_name']);
  if (filter.userId !== undefined) q = q.where('p.user_id', '=', filter.userId);
  if (filter.status) q = q.where('p.status', '=', filter.status);
  return paginate(q, 'p.id', (p) => p.id, page);
}
