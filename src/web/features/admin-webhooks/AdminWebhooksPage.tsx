import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { Shape } from '../../../contracts/types';
import { api } from '../../api/client';
import { Card } from '../../components/Card';
import { DataTable } from '../../components/DataTable';
import { QueryStatus } from '../../components/QueryStatus';
import { Badge, ErrorMessage } from '../../components/ui';
import { keys } from '../../lib/query-keys';
import { DeliveryLog } from './DeliveryLog';
import { EndpointDialog } from './EndpointDialog';

/**
 * `/admin/webhooks`: the endpoints events are sent to, "New endpoint" (its secret shown
 * once), enable and disable, delete, and the delivery log of the one chosen.
 */
export function AdminWebhooksPage() {
  const [creating, setCreating] = useState(false);
  const [selected, setSelected] = useState<string | null>(null);
  const queryClient = useQueryClient();
  const endpoints = useQuery({
    queryKey: keys.admin.webhooks,
    queryFn: ({ signal }) => api('GET /api/admin/webhook-endpoints', { signal }),
  });
  const refresh = () => void queryClient.invalidateQueries({ queryKey: keys.admin.webhooks });
  const toggle = useMutation({
    mutationFn: (e: Shape<'WebhookEndpoint'>) =>
      api('PATCH /api/admin/webhook-endpoints/:id', { params: { id: e.id }, body: { enabled: !e.enabled } }),
    onSuccess: refresh,
  });
  const remove = useMutation({
    mutationFn: (e: Shape<'WebhookEndpoint'>) => api('DELETE /api/admin/webhook-endpoints/:id', { params: { id: e.id } }),
    onSuccess: (_r, e) => {
      if (selected === e.id) setSelected(null);
      refresh();
    },
  });
  const items = endpoints.data?.items ?? [];
  const chosen = items.find((e) => e.id === selected) ?? null;
  return (
    <>
      <Card
        title="Webhook endpoints"
        actions={
          <button type="button" className="button button-primary button-small" onClick={() => setCreating(true)}>
            New endpoint
          </button>
        }
      >
        <p className="muted">
          Events are sent signed in the Standard Webhooks format, retried for about a day until the endpoint answers 2xx.
        </p>
        <QueryStatus query={endpoints} count={items.length} empty="No endpoints yet." />
        <ErrorMessage error={toggle.error ?? remove.error} />
        <DataTable
          stack
          caption="Webhook endpoints"
          rows={items}
          columns={[
            {
              header: 'URL',
              cellClassName: 'break stack-wide',
              cell: (e) => (
                <>
                  <code>{e.url}</code> {e.source === 'config' ? <Badge tone="accent">ALERTS_WEBHOOK_URL</Badge> : null}
                </>
              ),
            },
            {
              header: 'Events',
              cellClassName: 'details stack-wide',
              cell: (e) => (e.events.length > 4 ? `${e.events.length} types` : e.events.join(', ')),
            },
            { header: 'Status', cell: (e) => (e.enabled ? <Badge tone="ok">Enabled</Badge> : <Badge>Disabled</Badge>) },
            {
              header: 'Actions',
              hideHeader: true,
              cellClassName: 'right stack-actions',
              cell: (e) => (
                <>
                  <button
                    type="button"
                    className="button button-small"
                    onClick={() => setSelected(e.id)}
                    aria-label={`Deliveries of ${e.url}`}
                  >
                    Deliveries
                  </button>{' '}
                  <button
                    type="button"
                    className="button button-small"
                    onClick={() => toggle.mutate(e)}
                    disabled={toggle.isPending}
                    aria-label={`${e.enabled ? 'Disable' : 'Enable'} ${e.url}`}
                  >
                    {e.enabled ? 'Disable' : 'Enable'}
                  </button>{' '}
                  {e.source === 'admin' ? (
                    <button
                      type="button"
                      className="button button-small button-danger"
                      onClick={() => {
                        if (window.confirm(`Delete the endpoint ${e.url} and its delivery log?`)) remove.mutate(e);
                      }}
                      disabled={remove.isPending}
                      aria-label={`Delete ${e.url}`}
                    >
                      Delete
                    </button>
                  ) : null}
                </>
              ),
            },
          ]}
        />
      </Card>
      {chosen ? <DeliveryLog endpoint={chosen} /> : null}
      {creating ? <EndpointDialog onClose={() => setCreating(false)} onCreated={refresh} /> : null}
    </>
  );
}
