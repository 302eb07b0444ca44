import { Card } from '../../components/Card';
import { paymentColumns } from '../../components/payment-columns';
import { QueryTable } from '../../components/QueryTable';
import { usePages } from '../../lib/paged';
import { keys } from '../../lib/query-keys';

/** The "Payments" section of `/credits`: the user's payments with their status, and Stripe's receipt where it gives one. */
export function PaymentsList() {
  const { list: payments, items } = usePages('GET /api/credits/payments', keys.payments, { limit: 10 });
  return (
    <Card title="Payments" actions={null}>
      <QueryTable
        query={payments}
        loading="Loading payments…"
        empty="No payments yet. Buy credits to see them here."
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
    </Card>
  );
}
