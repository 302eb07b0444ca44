import { useId } from 'react';
import { DataTable } from '../../components/DataTable';
import { LoadMore } from '../../components/LoadMore';
import { paymentColumns } from '../../components/payment-columns';
import { QueryStatus } from '../../components/QueryStatus';
import { usePages } from '../../lib/paged';
import { keys } from '../../lib/query-keys';

/** The "Payments" section of `/credits`: the user's payments with their status, and Stripe's receipt where it gives one. */
export function PaymentsList() {
  const h = useId();
  const { list: payments, items } = usePages('GET /api/credits/payments', keys.payments, { limit: 10 });
  return (
    <section className="card" aria-labelledby={h}>
      <div className="card-head">
        <h2 id={h}>Payments</h2>
      </div>
      <QueryStatus
        query={payments}
        count={items.length}
        loading="Loading payments…"
        empty="No payments yet. Buy credits to see them here."
      />
      <DataTable
        stack
        caption="Your payments"
        rows={items}
        columns={[
          paymentColumns.date,
          { header: 'Package', cell: (p) => p.packageId.replace(/^pkg_/, '') },
          paymentColumns.status,
          paymentColumns.amount,
          paymentColumns.credits,
          {
            header: 'Receipt',
            cell: (p) =>
              p.receiptUrl ? (
                <a href={p.receiptUrl} target="_blank" rel="noopener noreferrer">
                  Receipt
                </a>
              ) : (
                '–'
              ),
          },
        ]}
      />
      <LoadMore list={payments} />
    </section>
  );
}
