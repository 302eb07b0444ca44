import { useId, useState } from 'react';
import { Link } from 'react-router';
import { PAYMENT_STATUSES } from '../../../contracts/enums';
import type { Shape } from '../../../contracts/types';
import { DataTable } from '../../components/DataTable';
import { FilterSelect } from '../../components/Field';
import { LoadMore } from '../../components/LoadMore';
import { paymentColumns } from '../../components/payment-columns';
import { QueryStatus } from '../../components/QueryStatus';
import { formatMoney, humanize } from '../../lib/format';
import { usePages } from '../../lib/paged';
import { keys } from '../../lib/query-keys';
import { RefundDialog } from './RefundDialog';
import { StripeEvents } from './StripeEvents';

const refundable = (p: Shape<'AdminPayment'>) => (p.status === 'succeeded' || p.status === 'partially_refunded') && p.amountCents - p.refundedCents > 0;

/** `/admin/payments`: every user's payments, filtered by status, with "Refund" where something is left to refund; then the Stripe events received. */
export function AdminPaymentsPage() {
  const h = useId();
  const [status, setStatus] = useState<Shape<'Payment'>['status'] | ''>('');
  const [refunding, setRefunding] = useState<Shape<'AdminPayment'> | null>(null);
  const { list: payments, items } = usePages('GET /api/admin/payments', keys.admin.payments(status), { ...(status ? { status } : {}), limit: 25 });
  return (
    <>
      <section className="card" aria-labelledby={h}>
        <div className="card-head">
          <h2 id={h}>Payments</h2>
          <FilterSelect label="Status" all="All statuses" options={PAYMENT_STATUSES} value={status} onChange={setStatus} words={humanize} />
        </div>
        <QueryStatus query={payments} count={items.length} empty={`No payments${status ? ' with this status' : ''}.`} />
        <DataTable
          rows={items}
          columns={[
            paymentColumns.date,
            { header: 'User', cell: (p) => <Link to={`/admin/users/${encodeURIComponent(p.userId)}`}>View user</Link> },
            paymentColumns.status,
            paymentColumns.provider,
            paymentColumns.amount,
            { header: 'Refunded', className: 'num', cell: (p) => (p.refundedCents ? formatMoney(p.refundedCents, p.currency) : '–') },
            paymentColumns.credits,
            {
              header: 'Actions',
              hideHeader: true,
              cellClassName: 'right',
              cell: (p) =>
                refundable(p) ? (
                  <button type="button" className="button button-small" onClick={() => setRefunding(p)}>
                    Refund
                  </button>
                ) : null,
            },
          ]}
        />
        <LoadMore list={payments} />
        {refunding ? <RefundDialog payment={refunding} onClose={() => setRefunding(null)} /> : null}
      </section>
      <StripeEvents />
    </>
  );
}
