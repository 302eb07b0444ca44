import type { Column } from '../../components/DataTable';
import { PagedCard } from '../../components/QueryTable';
import { formatDate, humanize } from '../../lib/format';
import type { ItemOf } from '../../lib/paged';

const COLUMNS: readonly Column<ItemOf<'GET /api/admin/webhook-events'>>[] = [
  { header: 'Received', cellClassName: 'nowrap', cell: (e) => formatDate(e.receivedAt) },
  { header: 'Event', cellClassName: 'break stack-wide', cell: (e) => <code>{e.id}</code> },
  { header: 'Type', cell: (e) => <code>{e.type}</code> },
  { header: 'Outcome', cell: (e) => humanize(e.outcome) },
  { header: 'Payment', cellClassName: 'break', cell: (e) => e.paymentId ?? '–' },
];

/** The "Stripe events" section of `/admin/payments`: every event the webhook received, and what it did. */
export function StripeEvents() {
  return (
    <PagedCard
      title="Stripe events"
      caption="Stripe events received"
      endpoint="GET /api/admin/webhook-events"
      query={{ limit: 25 }}
      empty="No Stripe event received yet."
      columns={COLUMNS}
    />
  );
}
