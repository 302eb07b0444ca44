import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useSubmitMutation } from '../../lib/submit-once';
import { useState } from 'react';
import type { Shape } from '../../../contracts/types';
import { api } from '../../api/client';
import { DialogActions, DialogButton, SmallButton } from '../../components/Actions';
import { DialogForm } from '../../components/Dialog';
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
 * once), edit (URL and events), enable and disable, delete (a dialog), and the delivery
 * log of the one chosen.
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
  const deleted = (e: Shape<'WebhookEndpoint'>) => {
    if (selected === e.id) setSelected(null);
    queryClient.removeQueries({ queryKey: keys.admin.webhookDeliveries(e.id) });
    refresh();
  };
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
                <DialogButton
                  row
                  label={`Delete ${e.url}`}
                  dialog={(close) => <DeleteEndpointDialog endpoint={e} onClose={close} onDeleted={() => deleted(e)} />}
                >
                  Delete
                </DialogButton>
              ) : null}
            </>
          )}
        >
          <ErrorMessage error={toggle.error} />
        </QueryTable>
      </Card>
      {chosen ? <DeliveryLog endpoint={chosen} /> : null}
    </>
  );
}

/** "Delete the endpoint <url>?": it goes with its delivery log; events no longer go to it. */
function DeleteEndpointDialog({
  endpoint,
  onClose,
  onDeleted,
}: {
  endpoint: Shape<'WebhookEndpoint'>;
  onClose(): void;
  onDeleted(): void;
}) {
  const remove = useSubmitMutation({
    mutationFn: () => api('DELETE /api/admin/webhook-endpoints/:id', { params: { id: endpoint.id } }),
    onSuccess: () => {
      onDeleted();
      onClose();
    },
  });
  return (
    <DialogForm title={`Delete the endpoint ${endpoint.url}?`} onClose={onClose} onSubmit={() => remove.mutate()}>
      <p>No more events are sent to it, and its delivery log goes with it. This cannot be undone.</p>
      <ErrorMessage error={remove.error} />
      <DialogActions onCancel={onClose} submit="Delete endpoint" busy={remove.isPending} danger />
    </DialogForm>
  );
}
