import { Card } from '../../components/Card';
import { useChosenAccount } from '../../lib/account';
import { paymentColumns } from '../../components/payment-columns';
import { QueryTable } from '../../components/QueryTable';
import { usePages } from '../../lib/paged';
import { keys } from '../../lib/query-keys';
import { formatMoney } from '../../lib/format';

/** The "Payments" section of `/credits`: the account's payments with their status, and Stripe's receipt where it gives one; on an organisation, which owner or admin bought each. */
export function PaymentsList() {
  const { list: payments, items } = usePages('GET /api/credits/payments', keys.payments, { limit: 10 });
  const { isOrg } = useChosenAccount();
  return (
    <Card title="Payments" actions={null}>
      <QueryTable
        query={payments}
        loading="Loading payments…"
        empty="No payments yet. Buy credits to see them here."
        caption={isOrg ? 'The organisation’s payments' : 'Your payments'}
        rows={items}
        columns={[
          paymentColumns.date,
          { header: 'Package', cell: (p) => p.packageName ?? p.packageId },
          ...(isOrg
            ? [
                {
                  header: 'Bought by',
                  // Auto-recharge buys with no one at the keyboard (and older payments did not record a buyer).
                  cell: (p: (typeof items)[number]) =>
                    p.boughtBy ? (
                      <span title={p.boughtBy.email}>{p.boughtBy.name || p.boughtBy.email}</span>
                    ) : (
                      'Auto-recharge or unrecorded'
                    ),
                },
              ]
            : []),
          paymentColumns.status,
          {
            ...paymentColumns.amount,
            // A partial refund says how much came back (the history's refund row says it too).
            cell: (p) => (
              <>
                {paymentColumns.amount.cell(p)}
                {p.refundedCents > 0 && p.status !== 'refunded' ? (
                  <div className="muted small">{formatMoney(p.refundedCents, p.currency)} refunded</div>
                ) : null}
              </>
            ),
          },
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
