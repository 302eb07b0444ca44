import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { Shape } from '../../../contracts/types';
import { api } from '../../api/client';
import { DialogButton, SmallButton } from '../../components/Actions';
import { Card } from '../../components/Card';
import type { Column } from '../../components/DataTable';
import { QueryTable } from '../../components/QueryTable';
import { Badge, ErrorMessage } from '../../components/ui';
import { EVENT_TYPES } from '../../../contracts/enums';
import { useList } from '../../lib/paged';
import { keys } from '../../lib/query-keys';
import { DeliveryLog } from './DeliveryLog';
import { EndpointDialog } from './EndpointDialog';

const COLUMNS: readonly Column<Shape<'WebhookEndpoint'>>[] = [
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
    // Which ones, always (a count said nothing of what is subscribed).
    cell: (e) => (e.events.length === EVENT_TYPES.length ? 'All events' : e.events.join(', ')),
  },
  { header: 'Status', cell: (e) => (e.enabled ? <Badge tone="ok">Enabled</Badge> : <Badge>Disabled</Badge>) },
];

/**
 * `/admin/webhooks`: the endpoints events are sent to, "New endpoint" (its secret shown
 * once), enable and disable, delete, and the delivery log of the one chosen.
 */
export function AdminWebhooksPage() {
  const [selected, setSelected] = useState<string | null>(null);
  const queryClient = useQueryClient();
  const { list: endpoints, items } = useList('GET /api/admin/webhook-endpoints', keys.admin.webhooks);
  // The endpoints alone (their delivery logs sit under the same key: a deleted one's would be asked for again, a 404).
  const refresh = () => void queryClient.invalidateQueries({ queryKey: keys.admin.webhooks, exact: true });
  const toggle = useMutation({
    mutationFn: (e: Shape<'WebhookEndpoint'>) =>
      api('PATCH /api/admin/webhook-endpoints/:id', { params: { id: e.id }, body: { enabled: !e.enabled } }),
    onSuccess: refresh,
  });
  const remove = useMutation({
    mutationFn: (e: Shape<'WebhookEndpoint'>) => api('DELETE /api/admin/webhook-endpoints/:id', { params: { id: e.id } }),
    onSuccess: (_r, e) => {
      if (selected === e.id) setSelected(null);
      queryClient.removeQueries({ queryKey: keys.admin.webhookDeliveries(e.id) });
      refresh();
    },
  });
  const chosen = items.find((e) => e.id === selected) ?? null;
  return (
    <>
      <Card
        title="Webhook endpoints"
        actions={<DialogButton dialog={(close) => <EndpointDialog onClose={close} onCreated={refresh} />}>New endpoint</DialogButton>}
      >
        <p className="muted">
          Events are sent signed in the Standard Webhooks format, retried for about a day until the endpoint answers 2xx.
        </p>
        <QueryTable
          query={endpoints}
          empty="No endpoints yet."
          caption="Webhook endpoints"
          rows={items}
          columns={COLUMNS}
          actions={(e) => (
            <>
              <SmallButton onClick={() => setSelected(e.id)} label={`Deliveries of ${e.url}`}>
                Deliveries
              </SmallButton>{' '}
              <SmallButton
                onClick={() => toggle.mutate(e)}
                disabled={toggle.isPending}
                label={`${e.enabled ? 'Disable' : 'Enable'} ${e.url}`}
              >
                {e.enabled ? 'Disable' : 'Enable'}
              </SmallButton>{' '}
              {e.source === 'admin' ? (
                <DialogButton
                  row
                  label={`Edit ${e.url}`}
                  dialog={(close) => <EndpointDialog endpoint={e} onClose={close} onCreated={refresh} />}
                >
                  Edit
                </DialogButton>
              ) : null}{' '}
              {e.source === 'admin' ? (
                <SmallButton
                  tone="danger"
                  onClick={() => {
                    if (window.confirm(`Delete the endpoint ${e.url} and its delivery log?`)) remove.mutate(e);
                  }}
                  disabled={remove.isPending}
                  label={`Delete ${e.url}`}
                >
                  Delete
                </SmallButton>
              ) : null}
            </>
          )}
        >
          <ErrorMessage error={toggle.error ?? remove.error} />
        </QueryTable>
      </Card>
      {chosen ? <DeliveryLog endpoint={chosen} /> : null}
    </>
  );
}
