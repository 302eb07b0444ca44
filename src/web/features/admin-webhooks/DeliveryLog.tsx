import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { Shape } from '../../../contracts/types';
import { api } from '../../api/client';
import { SmallButton } from '../../components/Actions';
import { Card } from '../../components/Card';
import { QueryTable } from '../../components/QueryTable';
import { Badge, ErrorMessage, statusTone } from '../../components/ui';
import { formatDate } from '../../lib/format';
import { usePages } from '../../lib/paged';
import { keys } from '../../lib/query-keys';

/** An endpoint's deliveries, newest first: status, every attempt's time and status code, and "Retry". */
export function DeliveryLog({ endpoint }: { endpoint: Shape<'WebhookEndpoint'> }) {
  const queryClient = useQueryClient();
  const { list, items } = usePages(
    'GET /api/admin/webhook-endpoints/:id/deliveries',
    keys.admin.webhookDeliveries(endpoint.id),
    { limit: 50 },
    {
      params: { id: endpoint.id },
      // A delivery due now (a retry asked for, or its next attempt's time come) changes within a
      // second or two: look again until none is, rather than show "pending" with a time gone by.
      refetchInterval: (rows) =>
        rows.some((d) => d.status === 'pending' && d.nextAttemptAt !== null && Date.parse(d.nextAttemptAt) <= Date.now() + 2000)
          ? 1500
          : false,
    },
  );
  const retry = useMutation({
    mutationFn: (d: Shape<'WebhookDelivery'>) =>
      api('POST /api/admin/webhook-endpoints/:id/deliveries/:deliveryId/retry', { params: { id: endpoint.id, deliveryId: d.id } }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: keys.admin.webhookDeliveries(endpoint.id) }),
  });
  return (
    <Card title={`Deliveries to ${endpoint.url}`} actions={<SmallButton onClick={() => void list.refetch()}>Refresh</SmallButton>}>
      <QueryTable
        query={list}
        empty="Nothing sent to this endpoint yet."
        caption="Deliveries"
        rows={items}
        columns={[
          { header: 'Created', cellClassName: 'nowrap', cell: (d) => formatDate(d.createdAt) },
          { header: 'Event', cell: (d) => <code>{d.type}</code> },
          { header: 'Status', cell: (d) => <Badge tone={statusTone(d.status)}>{d.status}</Badge> },
          {
            header: 'Attempts',
            cellClassName: 'details stack-wide',
            cell: (d) =>
              d.attemptLog.length === 0 ? (
                'none yet'
              ) : (
                <ol className="attempts">
                  {d.attemptLog.map((a) => (
                    <li key={a.at}>
                      {formatDate(a.at)}: {a.statusCode ?? 'no answer'}
                      {a.error && a.statusCode === null ? ` (${a.error})` : ''}
                    </li>
                  ))}
                </ol>
              ),
          },
          { header: 'Next attempt', cellClassName: 'nowrap', cell: (d) => (d.nextAttemptAt ? formatDate(d.nextAttemptAt) : '—') },
        ]}
        actions={(d) => (
          <SmallButton onClick={() => retry.mutate(d)} disabled={retry.isPending} label={`Retry ${d.type} ${d.eventId}`}>
            Retry
          </SmallButton>
        )}
      >
        <ErrorMessage error={retry.error} />
      </QueryTable>
    </Card>
  );
}
