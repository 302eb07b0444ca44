import { Card } from '../../components/Card';
import { PagedTable } from '../../components/QueryTable';
import { formatDate, humanize } from '../../lib/format';
import { keys } from '../../lib/query-keys';

/** The "Stripe events" section of `/admin/payments`: every event the webhook received, and what it did. */
export function StripeEvents() {
  return (
    <Card title="Stripe events">
      <PagedTable
        endpoint="GET /api/admin/webhook-events"
        queryKey={keys.admin.webhookEvents}
        query={{ limit: 25 }}
        empty="No Stripe event received yet."
        caption="Stripe events received"
        columns={[
          { header: 'Received', cellClassName: 'nowrap', cell: (e) => formatDate(e.receivedAt) },
          { header: 'Event', cellClassName: 'break stack-wide', cell: (e) => <code>{e.id}</code> },
          { header: 'Type', cell: (e) => <code>{e.type}</code> },
          { header: 'Outcome', cell: (e) => humanize(e.outcome) },
          { header: 'Payment', cellClassName: 'break', cell: (e) => e.paymentId ?? '–' },
        ]}
      />
    </Card>
  );
}
