import { useSubmitMutation } from '../../lib/submit-once';
import { useState } from 'react';
import { EVENT_TYPES } from '../../../contracts/enums';
import type { ResponseOf } from '../../../contracts/endpoints';
import type { Shape } from '../../../contracts/types';
import { api } from '../../api/client';
import { DialogActions } from '../../components/Actions';
import { DialogForm } from '../../components/Dialog';
import { CheckField, fieldErrors, TextField } from '../../components/Field';
import { SecretShownOnce } from '../../components/SecretShownOnce';
import { ErrorMessage, Success } from '../../components/ui';

type EventType = (typeof EVENT_TYPES)[number];

/**
 * "New endpoint": its URL and event types; then its `whsec_` secret, shown only once, with
 * "Copy". With `endpoint`, "Edit endpoint": its URL and events changed in place (its secret
 * and delivery log kept), then closed.
 */
export function EndpointDialog({
  endpoint,
  onClose,
  onCreated,
}: {
  endpoint?: Shape<'WebhookEndpoint'>;
  onClose(): void;
  onCreated(): void;
}) {
  const [url, setUrl] = useState(endpoint?.url ?? '');
  const [events, setEvents] = useState<EventType[]>(endpoint ? [...endpoint.events] : [...EVENT_TYPES]);
  const [created, setCreated] = useState<ResponseOf<'POST /api/admin/webhook-endpoints'> | null>(null);
  const save = useSubmitMutation({
    mutationFn: async () => {
      const body = { url: url.trim(), events };
      if (!endpoint) setCreated(await api('POST /api/admin/webhook-endpoints', { body }));
      else await api('PATCH /api/admin/webhook-endpoints/:id', { params: { id: endpoint.id }, body });
    },
    onSuccess: () => {
      onCreated();
      // An edit has no secret to show: done.
      if (endpoint) onClose();
    },
  });
  const fe = fieldErrors(save.error);
  if (created) {
    return (
      <SecretShownOnce title="Endpoint created" secret={created.secret} testId="webhook-secret" onClose={onClose}>
        <Success>Events will be sent to {created.endpoint.url}.</Success>
        <p>
          Its signing secret is <strong>shown only once</strong>: copy it now into the receiver’s configuration.
        </p>
      </SecretShownOnce>
    );
  }
  return (
    <DialogForm title={endpoint ? 'Edit endpoint' : 'New endpoint'} onClose={onClose} onSubmit={() => save.mutate()}>
      <TextField
        label="Endpoint URL"
        type="url"
        placeholder="https://platform.example.com/hooks/credits"
        value={url}
        onChange={setUrl}
        required
        error={fe.url}
      />
      <fieldset className="stack">
        <legend>Events</legend>
        {EVENT_TYPES.map((t) => (
          <CheckField
            key={t}
            label={t}
            checked={events.includes(t)}
            onChange={(on) => setEvents(on ? [...events, t] : events.filter((x) => x !== t))}
          />
        ))}
      </fieldset>
      <ErrorMessage error={save.error} inline={['url']} />
      <DialogActions onCancel={onClose} submit={endpoint ? 'Save endpoint' : 'Create endpoint'} busy={save.isPending} />
    </DialogForm>
  );
}
