import type { Kysely } from 'kysely';
import type { DB, PaymentRow, TransactionRow } from '../../db/schema.js';
import { type UserWithAccount, getUserWithAccount } from './get-user.js';

export interface UserDetail {
  user: UserWithAccount;
  /** The last 20 ledger rows, newest first. */
  transactions: TransactionRow[];
  /** The last 20 payments, newest first. */
  payments: PaymentRow[];
}

/** A user for the admin's detail page; not_found when there is none. */
export async function getUserDetail(db: Kysely<DB>, id: string): Promise<UserDetail> {
  const user = await getUserWithAccount(db, id);
  const [transactions, payments] = await Promise.all([
    db.selectFrom('credit_transactions').selectAll().where('user_id', '=', user.id).orderBy('seq', 'desc').limit(20).execute(),
    db.selectFrom('stripe_payments').selectAll().where('user_id', '=', user.id).orderBy('id', 'desc').limit(20).execute(),
  ]);
  return { user, transactions, payments };
}
