import { useId, useState } from 'react';
import { Link } from 'react-router';
import { PAYMENT_STATUSES } from '../../../contracts/enums';
import type { Shape } from '../../../contracts/types';
import { SmallButton } from '../../components/Actions';
import { CsvButton, todaysFile, useCsvDownload } from '../../components/CsvDownload';
import { BadRange, DateRangeFields } from '../../components/DateRangeFields';
import { FilterSelect } from '../../components/Field';
import { paymentColumns } from '../../components/payment-columns';
import { QueryTable } from '../../components/QueryTable';
import { Badge, ErrorMessage, statusTone } from '../../components/ui';
import { type DayRange, localDaysQuery, startsAfterEnd } from '../../lib/date-range';
import { formatMoney, humanize } from '../../lib/format';
import { usePages } from '../../lib/paged';
import { keys } from '../../lib/query-keys';
import { RefundDialog } from './RefundDialog';
import { StripeEvents } from './StripeEvents';
import { type PickedUser, UserFilter } from './UserFilter';

const refundable = (p: Shape<'AdminPayment'>) =>
  (p.status === 'succeeded' || p.status === 'partially_refunded') && p.amountCents - p.refundedCents > 0;

/**
 * `/admin/payments`: payment monitoring — every user's payments with the payer, the Stripe
 * PaymentIntent, the failure reason, refunds and disputes, filtered by status, user (picked by email) and dates,
 * "Download CSV" of the filtered rows, and "Refund" where something is left to refund; then
 * the Stripe events received.
 */
export function AdminPaymentsPage() {
  const h = useId();
  const [status, setStatus] = useState<Shape<'Payment'>['status'] | ''>('');
  const [refunding, setRefunding] = useState<Shape<'AdminPayment'> | null>(null);
  const [range, setRange] = useState<DayRange>({ from: '', to: '' });
  const [user, setUser] = useState<PickedUser>({ text: '', id: null });
  const bad = startsAfterEnd(range);
  const filter = {
    ...(status ? { status } : {}),
    ...(user.id ? { userId: user.id } : {}),
    // Either day may be left empty: "From" alone lists the payments since that day. The days are
    // the viewer's, as the rows' times are (the history's rule).
    ...(bad ? {} : localDaysQuery(range.from, range.to)),
  };
  const { list: payments, items } = usePages(
    'GET /api/admin/payments',
    [...keys.admin.payments(status), filter.from ?? '', filter.to ?? '', filter.userId ?? ''],
    { ...filter, limit: 25 },
    // Nothing is asked while the range is wrong (the table is hidden then).
    { enabled: !bad },
  );
  const csv = useCsvDownload('GET /api/admin/payments.csv', todaysFile('payments'), { query: filter });
  return (
    <>
      <section className="card" aria-labelledby={h}>
        <div className="card-head">
          <h2 id={h}>Payments</h2>
          <FilterSelect label="Status" all="All statuses" options={PAYMENT_STATUSES} value={status} onChange={setStatus} words={humanize} />
        </div>
        <DateRangeFields range={range} onChange={setRange}>
          <UserFilter value={user} onChange={setUser} />
          <CsvButton csv={csv} disabled={bad} />
        </DateRangeFields>
        <ErrorMessage error={csv.error} />
        {/* Not every payment (the filter without its dates) under the message that the dates are wrong. */}
        {bad ? (
          <BadRange />
        ) : (
          <QueryTable
            query={payments}
            empty={`No payments${status ? ' with this status' : ''}.`}
            caption="Payments"
            rows={items}
            columns={[
              paymentColumns.date,
              {
                header: 'User',
                cellClassName: 'break stack-wide',
                cell: (p) =>
                  p.accountKind === 'organization' ? (
                    <>
                      <Link to="/admin/organizations">{p.accountName}</Link> <span className="muted">(organisation)</span>
                    </>
                  ) : (
                    <Link to={`/admin/users/${encodeURIComponent(p.userId)}`}>{p.userEmail ?? p.accountName}</Link>
                  ),
              },
              paymentColumns.amount,
              paymentColumns.credits,
              // What happened to it after the charge, under its status: a refund, a dispute, why it failed
              // (three columns of mostly dashes pushed Refund off a laptop's screen).
              {
                header: 'Status',
                cellClassName: 'stack-wide',
                cell: (p) => (
                  <>
                    <Badge tone={statusTone(p.status)}>{humanize(p.status)}</Badge>
                    {p.refundedCents ? (
                      <div className="small">
                        Refunded <span>{formatMoney(p.refundedCents, p.currency)}</span>
                      </div>
                    ) : null}
                    {p.disputeStatus ? <div className="small">Dispute {humanize(p.disputeStatus)}</div> : null}
                    {p.failureReason ? <div className="small muted details">{p.failureReason}</div> : null}
                  </>
                ),
              },
              paymentColumns.provider,
              {
                header: 'PaymentIntent',
                cellClassName: 'break stack-wide',
                cell: (p) => (p.stripePaymentIntentId ? <code>{p.stripePaymentIntentId}</code> : '–'),
              },
            ]}
            actions={(p) => (refundable(p) ? <SmallButton onClick={() => setRefunding(p)}>Refund</SmallButton> : null)}
          />
        )}
        {refunding ? <RefundDialog payment={refunding} onClose={() => setRefunding(null)} /> : null}
      </section>
      <StripeEvents />
    </>
  );
}
