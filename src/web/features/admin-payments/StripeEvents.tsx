import { Card } from '../../components/Card';
import { DataTable } from '../../components/DataTable';
import { LoadMore } from '../../components/LoadMore';
import { QueryStatus } from '../../components/QueryStatus';
import { formatDate, humanize } from '../../lib/format';
import { usePages } from '../../lib/paged';
import { keys } from '../../lib/query-keys';

/** The "Stripe events" section of `/admin/payments`: every event the webhook received, and what it did. */
export function StripeEvents() {
  const { list: events, items } = usePages('GET /api/admin/webhook-events', keys.admin.webhookEvents, { limit: 25 });
  return (
    <Card title="Stripe events">
      <QueryStatus query={events} count={items.length} empty="No Stripe event received yet." />
      <DataTable
        stack
        caption="Stripe events received"
        rows={items}
        columns={[
          { header: 'Received', cellClassName: 'nowrap', cell: (e) => formatDate(e.receivedAt) },
          { header: 'Event', cellClassName: 'break stack-wide', cell: (e) => <code>{e.id}</code> },
          { header: 'Type', cell: (e) => <code>{e.type}</code> },
          { header: 'Outcome', cell: (e) => humanize(e.outcome) },
          { header: 'Payment', cellClassName: 'break', cell: (e) => e.paymentId ?? '–' },
        ]}
      />
      <LoadMore list={events} />
    </Card>
  );
}
