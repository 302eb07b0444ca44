import type { Kysely } from 'kysely';
import type { Selectable } from 'kysely';
import type { CreditAlertsTable, DB, PaymentRow, TransactionRow } from '../../db/schema.js';
import { type ListedCall, listCalls } from '../calls/list-calls.js';
import { type UserWithAccount, getUserWithAccount } from './get-user.js';
import { type Settings, getSettings } from './settings.js';

export interface UserDetail {
  user: UserWithAccount;
  /** The last 20 ledger rows, newest first. */
  transactions: TransactionRow[];
  /** The last 20 payments, newest first. */
  payments: PaymentRow[];
  /** The last 20 in-app alerts, newest first. */
  alerts: Selectable<CreditAlertsTable>[];
  /** The low-balance threshold and the auto-recharge settings. */
  settings: Settings;
  /** The last 20 calls, newest first. */
  calls: ListedCall[];
}

/** A user for the admin's detail page; not_found when there is none. */
export async function getUserDetail(db: Kysely<DB>, id: string): Promise<UserDetail> {
  const user = await getUserWithAccount(db, id);
  const [transactions, payments, alerts, settings, calls] = await Promise.all([
    db.selectFrom('credit_transactions').selectAll().where('user_id', '=', user.id).orderBy('seq', 'desc').limit(20).execute(),
    db.selectFrom('stripe_payments').selectAll().where('user_id', '=', user.id).orderBy('id', 'desc').limit(20).execute(),
    db.selectFrom('credit_alerts').selectAll().where('user_id', '=', user.id).orderBy('id', 'desc').limit(20).execute(),
    getSettings(db, user.id),
    listCalls(db, user.id, {}, { limit: 20 }),
  ]);
  return { user, transactions, payments, alerts, settings, calls: calls.rows };
}
