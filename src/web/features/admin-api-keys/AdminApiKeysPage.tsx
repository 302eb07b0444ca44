import { useQueryClient } from '@tanstack/react-query';
import { useSubmitMutation } from '../../lib/submit-once';
import { useState } from 'react';
import type { RequestOf, ResponseOf } from '../../../contracts/endpoints';
import { api } from '../../api/client';
import { DialogActions, DialogButton, SmallButton } from '../../components/Actions';
import { Card } from '../../components/Card';
import type { Column } from '../../components/DataTable';
import { DialogForm } from '../../components/Dialog';
import { fieldErrors, TextField } from '../../components/Field';
import { QueryTable } from '../../components/QueryTable';
import { SecretShownOnce } from '../../components/SecretShownOnce';
import { Badge, ErrorMessage } from '../../components/ui';
import { formatDate } from '../../lib/format';
import { useList } from '../../lib/paged';
import { keys } from '../../lib/query-keys';

type ApiKey = ResponseOf<'GET /api/admin/api-keys'>['items'][number];
type Created = ResponseOf<'POST /api/admin/api-keys'>;

const COLUMNS: readonly Column<ApiKey>[] = [
  { header: 'Name', cellClassName: 'break stack-title', cell: (k) => k.name },
  { header: 'Key', cell: (k) => <code>{k.prefix}…</code> },
  { header: 'Created', cellClassName: 'nowrap', cell: (k) => formatDate(k.createdAt) },
  { header: 'Last used', cellClassName: 'nowrap', cell: (k) => (k.lastUsedAt ? formatDate(k.lastUsedAt) : 'Never') },
  {
    header: 'Status',
    cell: (k) => (k.revokedAt ? <Badge tone="danger">Revoked {formatDate(k.revokedAt)}</Badge> : <Badge tone="ok">Active</Badge>),
  },
];

/** `/admin/api-keys`: the service API's keys, with their last use; "New key" shows a key once, "Revoke" ends one. */
export function AdminApiKeysPage() {
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const { list, items } = useList('GET /api/admin/api-keys', keys.admin.apiKeys);
  return (
    <Card title="API keys" actions={<DialogButton dialog={(close) => <NewKeyDialog onClose={close} />}>New key</DialogButton>}>
      <p className="muted">
        The platform’s backends call the service API (<code>/api/v1</code>) with these keys, as <code>Authorization: Bearer ck_live_…</code>
        . A key is shown once, when it is made; a revoked key is refused at once.
      </p>
      <QueryTable
        query={list}
        empty="No API keys yet."
        caption="API keys"
        rows={items}
        rowClassName={(k) => (k.revokedAt ? 'row-inactive' : '')}
        columns={COLUMNS}
        actions={(k) =>
          k.revokedAt ? null : (
            <SmallButton tone="danger" onClick={() => setRevoking(k)} label={`Revoke ${k.name}`}>
              Revoke
            </SmallButton>
          )
        }
      />
      {revoking ? <RevokeDialog apiKey={revoking} onClose={() => setRevoking(null)} /> : null}
    </Card>
  );
}

/** Names a new key, then shows it once with a copy button. */
function NewKeyDialog({ onClose }: { onClose(): void }) {
  const [name, setName] = useState('');
  const [made, setMade] = useState<Created | null>(null);
  const queryClient = useQueryClient();
  const create = useSubmitMutation({
    mutationFn: (body: RequestOf<'POST /api/admin/api-keys'>['body']) => api('POST /api/admin/api-keys', { body }),
    onSuccess: (r) => {
      setMade(r);
      void queryClient.invalidateQueries({ queryKey: keys.admin.apiKeys });
    },
  });
  const fe = fieldErrors(create.error);
  if (made) {
    return (
      <SecretShownOnce title={`Key “${made.apiKey.name}”`} secret={made.key} testId="new-api-key" closeLabel="Done" onClose={onClose}>
        <p>
          The key is <strong>shown only once</strong>: copy it now into the backend’s secret store (only its hash is kept).
        </p>
      </SecretShownOnce>
    );
  }
  return (
    <DialogForm title="New API key" onClose={onClose} onSubmit={() => create.mutate({ name: name.trim() })}>
      <TextField label="Name (which backend uses it)" value={name} onChange={setName} required error={fe.name} />
      <ErrorMessage error={create.error} inline={['name']} />
      <DialogActions onCancel={onClose} submit="Create key" busy={create.isPending} />
    </DialogForm>
  );
}

function RevokeDialog({ apiKey, onClose }: { apiKey: ApiKey; onClose(): void }) {
  const queryClient = useQueryClient();
  const revoke = useSubmitMutation({
    mutationFn: () => api('DELETE /api/admin/api-keys/:id', { params: { id: apiKey.id } }),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: keys.admin.apiKeys });
      onClose();
    },
  });
  return (
    <DialogForm title={`Revoke “${apiKey.name}”?`} onClose={onClose} onSubmit={() => revoke.mutate()}>
      <p>
        Requests with <code>{apiKey.prefix}…</code> are refused from now on, on every instance. This cannot be undone.
      </p>
      <ErrorMessage error={revoke.error} />
      <DialogActions onCancel={onClose} submit="Revoke key" busy={revoke.isPending} danger />
    </DialogForm>
  );
}
