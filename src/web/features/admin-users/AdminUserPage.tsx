import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { api } from '../../api/client';
import { DataTable } from '../../components/DataTable';
import { paymentColumns } from '../../components/payment-columns';
import { TransactionTable } from '../../components/TransactionTable';
import { Empty, Loading, Stat } from '../../components/ui';
import { formatCredits, formatDate } from '../../lib/format';
import { keys } from '../../lib/query-keys';
import { AdjustCreditsDialog } from './AdjustCreditsDialog';
import { RoleForm } from './RoleForm';
import { UserAlerts, UserCalls, UserSettings, UserUsage } from './UserActivity';
import { LoadError } from '../../components/QueryStatus';

/**
 * `/admin/users/:id`: a user's balance with "Adjust credits", the role, their usage report,
 * the last transactions and payments, their settings, alerts and calls.
 */
export function AdminUserPage() {
  const { id = '' } = useParams();
  const [adjusting, setAdjusting] = useState(false);
  const detail = useQuery({
    queryKey: keys.admin.user(id),
    queryFn: ({ signal }) => api('GET /api/admin/users/:id', { params: { id }, signal }),
  });
  const d = detail.data;
  return (
    <div className="stack-lg">
      <p>
        <Link to="/admin/users">← All users</Link>
      </p>
      <LoadError query={detail} />
      {detail.isPending ? <Loading label="Loading user…" /> : null}
      {d ? (
        <>
          <section className="card" aria-labelledby="user-h">
            <div className="card-head">
              <div>
                <h2 id="user-h">{d.user.name}</h2>
                <p className="muted break">
                  {d.user.email} · joined {formatDate(d.user.createdAt)}
                </p>
              </div>
              <button type="button" className="button button-primary" onClick={() => setAdjusting(true)}>
                Adjust credits
              </button>
            </div>
            <dl className="stats">
              <Stat label="Available" value={formatCredits(d.user.available)} />
              <Stat label="Balance" value={formatCredits(d.user.balance)} />
              <Stat label="Reserved" value={formatCredits(d.user.reserved)} hint="held for calls and holds" />
              <Stat label="Lifetime purchased" value={formatCredits(d.user.lifetimePurchased)} />
              <Stat label="Lifetime used" value={formatCredits(d.user.lifetimeUsed)} />
            </dl>
            <RoleForm user={d.user} />
          </section>
          <UserUsage userId={d.user.id} />
          <section className="card" aria-labelledby="user-tx-h">
            <h2 id="user-tx-h">Recent transactions</h2>
            {d.transactions.length === 0 ? (
              <Empty>No transactions.</Empty>
            ) : (
              <TransactionTable items={d.transactions} caption="Recent transactions of this user" />
            )}
          </section>
          <section className="card" aria-labelledby="user-pay-h">
            <h2 id="user-pay-h">Payments</h2>
            {d.payments.length === 0 ? (
              <Empty>No payments.</Empty>
            ) : (
              <DataTable
                stack
                caption="Payments"
                rows={d.payments}
                columns={[
                  paymentColumns.date,
                  paymentColumns.status,
                  paymentColumns.provider,
                  paymentColumns.amount,
                  paymentColumns.credits,
                ]}
              />
            )}
          </section>
          <UserSettings settings={d.settings} />
          <UserAlerts alerts={d.alerts} />
          <UserCalls calls={d.calls} />
          {adjusting ? <AdjustCreditsDialog target={{ kind: 'user', user: d.user }} onClose={() => setAdjusting(false)} /> : null}
        </>
      ) : null}
    </div>
  );
}
